#pragma once
// PLACEHOLDER (not committed): the helper's crawl API, so the pipeline compiles until the merge.
#include "slim/probe/probe.hpp"
namespace slim::probe {
struct CrawlLimits {
  int max_depth = 3;
  std::size_t max_pages = 1000;
  std::size_t max_links_per_page = 2000;
  std::size_t max_url_bytes = 2048;
};
class Crawler {
public:
  explicit Crawler(CrawlLimits limits) : m_limits(limits) {}
  void add_known(const ProbeRequest&) {}
  std::vector<ProbeRequest> next(const std::vector<ProbeOutcome>&) { return {}; }
  std::size_t crawled() const noexcept { return 0; }
  bool limit_reached() const noexcept { return false; }
private:
  CrawlLimits m_limits;
};
}
