#include "slim/probe/crawl.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace slim::probe {
namespace {

std::string key_of(std::string_view method, std::string_view protocol, std::string_view port,
                   std::string_view target) {
  std::string key;
  key.reserve(method.size() + protocol.size() + port.size() + target.size() + 3);
  key.append(method).append(" ").append(protocol).append(" ").append(port).append(" ");
  key.append(target);
  return key;
}

std::string key_of(const ProbeRequest& r, bool any_port) {
  return key_of(r.method, r.protocol, any_port ? "*" : std::to_string(r.port), r.path);
}

} // namespace

bool looks_state_changing(std::string_view target) {
  static constexpr std::array<std::string_view, 12> k_words = {
      "logout", "log-out",  "log_out", "signout", "sign-out", "sign_out",
      "logoff", "shutdown", "reboot",  "delete",  "destroy",  "remove"};
  std::string_view path = target.substr(0, target.find('?'));
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    std::string_view segment =
        path.substr(start, end == std::string_view::npos ? path.size() - start : end - start);
    std::string lower(segment);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view word : k_words) {
      if (lower.starts_with(word)) {
        return true;
      }
    }
    if (lower.starts_with("unsubscribe")) {
      return true;
    }
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  return false;
}

Crawler::Crawler(CrawlLimits limits) : m_limits(limits) {}

void Crawler::add_known(const ProbeRequest& request) {
  m_known.insert(key_of(request, request.port == 0));
}

bool Crawler::is_known(const ProbeRequest& request) const {
  return m_known.contains(key_of(request, false)) || m_known.contains(key_of(request, true));
}

std::size_t Crawler::crawled() const noexcept {
  return m_crawled;
}

bool Crawler::limit_reached() const noexcept {
  return m_limit_reached;
}

std::vector<ProbeRequest> Crawler::next(const std::vector<ProbeOutcome>& answers) {
  // Every answer's own request was sent: a page linking to itself, or to a page of this level,
  // is not one to send again.
  for (const auto& answer : answers) {
    add_known(answer.request);
  }
  std::vector<ProbeRequest> out;
  for (const auto& answer : answers) {
    follow(answer, out);
  }
  return out;
}

void Crawler::follow(const ProbeOutcome& answer, std::vector<ProbeRequest>& out) {
  const ProbeRequest& from = answer.request;
  if (!from.crawl || !answer.status || (from.protocol != "http" && from.protocol != "https")) {
    return;
  }
  const int depth = from.depth + 1;
  // Once a bound has cut links off, reading more pages it would cut too changes nothing.
  if (m_limit_reached && (depth > m_limits.max_depth || m_crawled >= m_limits.max_pages)) {
    return;
  }
  const int status = *answer.status;
  const std::string page_url = from.url();
  std::string base = page_url;
  std::vector<std::string> links;
  if (status >= 200 && status < 300) {
    PageLinks page =
        extract_page_links(answer.body, answer.content_type, m_limits.max_links_per_page);
    m_limit_reached = m_limit_reached || page.truncated;
    if (!page.base.empty()) {
      if (auto resolved = resolve_url(page_url, page.base)) {
        base = std::move(*resolved);
      }
    }
    links = std::move(page.links);
  } else if (status >= 300 && status < 400 && !answer.location.empty()) {
    links.push_back(answer.location); // relative to the request, not to any <base>
  } else {
    return;
  }
  for (const auto& link : links) {
    auto url = resolve_http_url(base, link);
    if (!url || url->scheme != from.protocol || url->port != from.port ||
        !is_loopback_host(url->host) || url->target.size() > m_limits.max_url_bytes) {
      continue;
    }
    ProbeRequest request;
    request.method = "GET";
    request.path = std::move(url->target);
    request.port = from.port;
    request.protocol = from.protocol;
    if (is_known(request)) {
      continue;
    }
    if (looks_state_changing(request.path)) {
      ++m_skipped_state_changing;
      add_known(request); // counted once
      continue;
    }
    if (depth > m_limits.max_depth || m_crawled >= m_limits.max_pages) {
      m_limit_reached = true;
      return;
    }
    request.headers = from.headers; // a user's Authorization or Host applies to the site
    request.source = ProbeSource::crawl;
    request.crawl = true;
    request.depth = depth;
    request.found_on = page_url;
    add_known(request);
    ++m_crawled;
    out.push_back(std::move(request));
  }
}

} // namespace slim::probe
