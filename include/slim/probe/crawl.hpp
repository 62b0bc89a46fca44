#pragma once
// The crawler's frontier: from the answers of one level of probes, the requests of the next,
// breadth first, kept to the app's own origin and bounded, so a static site's stylesheet, logo
// and scripts are requested (and kept) although only `GET /` was probed. Pure: the exercise
// sends the requests and hands the answers back.

#include "slim/probe/links.hpp"
#include "slim/probe/probe.hpp"

#include <cstddef>
#include <string>
#include <unordered_set>
#include <vector>

namespace slim::probe {

/// Bounds of one crawl (the app's pages are untrusted: loops and link farms end here).
struct CrawlLimits {
  int max_depth = 3;                     ///< links are followed to this depth from the start probes
  std::size_t max_pages = 1000;          ///< crawled requests in all (start probes not counted)
  std::size_t max_links_per_page = 2000; ///< unique links read from one answer
  std::size_t max_url_bytes = 2048;      ///< longer paths (with the query) are skipped
};

/// True when a path looks like a GET that changes the app's state rather than reading it: a
/// path segment (before the query, any case) named like logout, signout, shutdown, reboot,
/// delete, destroy, remove or unsubscribe, alone or as a prefix ("delete.php", "logout?next=").
/// A crawl that logs itself out or shuts the app down learns less, so these are not followed.
bool looks_state_changing(std::string_view target);

/// Breadth-first crawl state over probe answers: dedupes, keeps to the app's origin, bounds.
class Crawler {
public:
  /// A crawl that has handed out nothing yet.
  explicit Crawler(CrawlLimits limits);
  /// A request already planned (start probes, user probes): never handed out again. Port 0
  /// (a probe of every port) counts as known on every port.
  void add_known(const ProbeRequest& request);
  /// From the answers of one level: the requests of the next level, in order: GET, same origin
  /// as the answer's own request (scheme, port; host 127.0.0.1/localhost/[::1]/0.0.0.0 are the
  /// app's own loopback), not known before, depth = answer's depth + 1 <= max_depth, within
  /// max_pages. Only answers whose request has `crawl == true` are followed: a 2xx answer's
  /// body (HTML or CSS, links resolved against its <base href>), and a 3xx answer's Location.
  /// Each new request has source crawl, crawl = true, found_on = the answer's URL, the answer's
  /// port, protocol and headers. The answers' own requests become known.
  std::vector<ProbeRequest> next(const std::vector<ProbeOutcome>& answers);
  /// Requests handed out so far.
  std::size_t crawled() const noexcept;
  /// True once max_pages, max_depth or max_links_per_page cut links off.
  bool limit_reached() const noexcept;
  /// Links not followed because they look state-changing (looks_state_changing).
  std::size_t skipped_state_changing() const noexcept { return m_skipped_state_changing; }

private:
  /// Known on its port, or by a port-0 probe of every port.
  bool is_known(const ProbeRequest& request) const;
  /// Appends the new requests one answer links to (next() without the bookkeeping).
  void follow(const ProbeOutcome& answer, std::vector<ProbeRequest>& out);

  CrawlLimits m_limits;
  std::unordered_set<std::string> m_known; ///< "METHOD protocol port target"; port `*` for 0
  std::size_t m_crawled = 0;
  std::size_t m_skipped_state_changing = 0;
  bool m_limit_reached = false;
};

} // namespace slim::probe
