#include "slim/probe/links.hpp"

#include "link_scan.hpp"

#include <algorithm>

namespace slim::probe {
namespace {

using link_scan::is_alpha;
using link_scan::is_space;
using link_scan::lower;
using link_scan::trim;

std::string media_type(std::string_view content_type) {
  std::string out;
  for (char c : trim(content_type.substr(0, content_type.find(';')))) {
    out += lower(c);
  }
  return out;
}

// Generic types say nothing: the first bytes decide. HTML starts with a tag, a doctype or a
// comment; CSS, after its comments, with an at-rule or a selector and `{`.
DocumentKind sniff(std::string_view body) {
  if (body.substr(0, 3) == "\xef\xbb\xbf") {
    body.remove_prefix(3);
  }
  std::size_t i = 0;
  while (i < body.size() && is_space(body[i])) {
    ++i;
  }
  if (i + 1 < body.size() && body[i] == '<' &&
      (is_alpha(body[i + 1]) || body[i + 1] == '!' || body[i + 1] == '?' || body[i + 1] == '/')) {
    return DocumentKind::html;
  }
  const std::size_t limit = std::min<std::size_t>(body.size(), 4096);
  while (i + 1 < limit && body[i] == '/' && body[i + 1] == '*') {
    auto end = body.find("*/", i + 2);
    if (end == std::string_view::npos || end >= limit) {
      return DocumentKind::other;
    }
    i = end + 2;
    while (i < limit && is_space(body[i])) {
      ++i;
    }
  }
  if (i + 1 < limit && body[i] == '@' && is_alpha(body[i + 1])) {
    return DocumentKind::css;
  }
  std::size_t start = i;
  for (; i < limit; ++i) {
    char c = body[i];
    if (c == '{') {
      return i > start ? DocumentKind::css : DocumentKind::other;
    }
    if (std::string_view(";(){}=").find(c) != std::string_view::npos || c == '\0') {
      return DocumentKind::other;
    }
  }
  return DocumentKind::other;
}

} // namespace

DocumentKind document_kind(std::string_view body, std::string_view content_type) {
  std::string type = media_type(content_type);
  if (type == "text/html" || type == "application/xhtml+xml" || type == "image/svg+xml") {
    return DocumentKind::html;
  }
  if (type == "text/css") {
    return DocumentKind::css;
  }
  if (type.empty() || type == "text/plain" || type == "application/octet-stream") {
    return sniff(body);
  }
  return DocumentKind::other;
}

PageLinks extract_page_links(std::string_view body, std::string_view content_type,
                             std::size_t max_links) {
  link_scan::LinkSink sink(max_links);
  switch (document_kind(body, content_type)) {
  case DocumentKind::html:
    link_scan::scan_html(body, sink, sink.page().base);
    break;
  case DocumentKind::css:
    link_scan::scan_css(body, sink);
    break;
  case DocumentKind::other:
    break;
  }
  return std::move(sink.page());
}

std::vector<std::string> extract_links(std::string_view body, std::string_view content_type,
                                       std::size_t max_links) {
  return extract_page_links(body, content_type, max_links).links;
}

} // namespace slim::probe
