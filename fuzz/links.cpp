// Fuzz target: the crawler's parsers of untrusted bytes (the app's answers): link extraction
// from HTML, CSS and sniffed bodies, URL resolution, and the Crawler over one answer. Checks:
// links are unique, non-empty and trimmed; a smaller cap gives a prefix of the same links;
// resolved URLs are http(s), carry no fragment, no byte a request line cannot hold, no dot
// segment, and are fixed points of resolution; crawled requests stay within the limits, and
// the same answers a second time yield nothing new.
#include "slim/probe/links.hpp"

#include "slim/probe/crawl.hpp"
#include "slim/probe/url.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_links: invariant broken: %s\n", what);
    std::abort();
  }
}

constexpr std::string_view k_base = "http://127.0.0.1:8080/dir/page.html?q=1";

bool request_line_safe(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '#') {
      return false;
    }
  }
  return true;
}

void check_resolved(std::string_view base, std::string_view link) {
  auto url = slim::probe::resolve_http_url(base, link);
  if (!url) {
    return;
  }
  check(url->scheme == "http" || url->scheme == "https", "resolved URLs are http(s)");
  check(!url->host.empty(), "resolved URLs have a host");
  check(url->port >= 0 && url->port <= 65535, "ports are ports");
  check(!url->target.empty() && url->target.front() == '/', "targets start with /");
  check(request_line_safe(url->target), "targets fit a request line and have no fragment");
  std::string_view path = url->target;
  path = path.substr(0, path.find('?'));
  std::size_t i = 1;
  while (i <= path.size()) {
    auto slash = path.find('/', i);
    auto seg = path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    check(seg != "." && seg != "..", "no dot segments");
    if (slash == std::string_view::npos) {
      break;
    }
    i = slash + 1;
  }
  std::string text = url->to_string();
  check(request_line_safe(text), "URLs are printable ASCII");
  auto again = slim::probe::resolve_url(base, text);
  check(again && *again == text, "an absolute result resolves to itself");
  auto self = slim::probe::resolve_url(text, "");
  check(self && *self == text, "the empty link resolves to its base");
  auto parsed = slim::probe::parse_http_url(text);
  check(parsed && *parsed == *url, "to_string round-trips through parse_http_url");
}

void check_links(std::string_view body, std::string_view content_type) {
  auto page = slim::probe::extract_page_links(body, content_type, 2000);
  check(page.links.size() <= 2000, "links under max_links");
  std::unordered_set<std::string> seen;
  for (const auto& link : page.links) {
    check(!link.empty(), "no empty links");
    check(static_cast<unsigned char>(link.front()) > 0x20 &&
              static_cast<unsigned char>(link.back()) > 0x20,
          "links are trimmed");
    check(seen.insert(link).second, "links are unique");
    check_resolved(k_base, link);
  }
  auto small = slim::probe::extract_page_links(body, content_type, 3);
  check(small.links.size() <= 3, "links under a small max_links");
  check(small.base == page.base, "the base does not depend on the cap");
  for (std::size_t i = 0; i < small.links.size(); ++i) {
    check(i < page.links.size() && small.links[i] == page.links[i], "a smaller cap gives a prefix");
  }
  check(small.truncated == (page.links.size() > 3 || page.truncated),
        "truncated exactly when links were cut off");
}

void check_crawl(std::string_view body) {
  slim::probe::CrawlLimits limits;
  limits.max_depth = 2;
  limits.max_pages = 8;
  limits.max_links_per_page = 16;
  limits.max_url_bytes = 128;
  slim::probe::Crawler crawler(limits);
  slim::probe::ProbeRequest from;
  from.path = "/dir/page.html";
  from.port = 8080;
  from.crawl = true;
  std::vector<slim::probe::ProbeOutcome> answers(3);
  for (auto& a : answers) {
    a.request = from;
    a.status = 200;
    a.body = std::string(body);
  }
  answers[0].content_type = "text/html";
  answers[1].request.path = "/style.css";
  answers[1].content_type = "text/css";
  answers[2].request.path = "/moved";
  answers[2].status = 302;
  answers[2].location = std::string(body.substr(0, 4096));
  auto next = crawler.next(answers);
  check(next.size() <= limits.max_pages, "requests under max_pages");
  check(crawler.crawled() == next.size(), "crawled counts what was handed out");
  std::unordered_set<std::string> paths;
  for (const auto& r : next) {
    check(r.method == "GET" && r.port == 8080 && r.protocol == "http", "same origin GETs");
    check(r.depth == 1 && r.crawl && r.source == slim::probe::ProbeSource::crawl,
          "crawled requests are marked");
    check(!r.path.empty() && r.path.front() == '/' && r.path.size() <= limits.max_url_bytes,
          "paths start with / and fit max_url_bytes");
    check(request_line_safe(r.path), "paths fit a request line");
    check(paths.insert(r.path).second, "each path once");
    check(r.path != "/dir/page.html" && r.path != "/style.css" && r.path != "/moved",
          "the answers' own requests are not handed out");
  }
  check(crawler.next(answers).empty(), "the same answers again yield nothing");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_links(text, "text/html");
  check_links(text, "text/css");
  check_links(text, "");
  check_resolved(k_base, text);
  check_resolved("https://localhost/a/b/", text);
  if (auto base = slim::probe::parse_http_url(text)) {
    check_resolved(base->to_string(), "../x?y#z");
  }
  check_crawl(text);
  return 0;
}
