#pragma once
// Links in the answers of the app: which URLs an HTML page or a stylesheet refers to, so the
// crawler can request them too (a static site's stylesheet and logo are files to keep).
//
// The bytes are the app's, so untrusted: one linear pass, no tree, no recursion, bounded
// output; unterminated tags, quotes, strings and url() at the end of the buffer (a body cut at
// the batch's max_body) yield nothing rather than half a URL.
//
// HTML (names case-insensitive, values quoted or not, character references decoded):
//   a/area href, link href (not rel=dns-prefetch/preconnect) and imagesrcset, script src,
//   img/source src srcset data-src data-srcset, video src poster, audio/track/iframe/frame/
//   embed src, object data, input type=image src, body/table/td/th background, svg use/image
//   href xlink:href, meta http-equiv=refresh's url, form action (GET forms only, without the
//   query a submission would replace), CSS of <style> and style="..."; the first base href
//   is returned apart. Nothing from comments or from script, textarea, title (their contents
//   are text, not markup).
// CSS: url(...) quoted or not, @import "x" and @import url(x), strings in image-set(); not
//   @namespace's URL (a name, never fetched); comments skipped, escapes decoded.

#include "slim/probe/url.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace slim::probe {

/// How a body is read for links.
enum class DocumentKind {
  other, ///< no links are looked for (images, scripts, JSON, ...)
  html,  ///< text/html, application/xhtml+xml, image/svg+xml
  css,   ///< text/css
};

/// The kind by `content_type` (parameters and case ignored); sniffed from the first bytes when
/// it is empty or generic (text/plain, application/octet-stream): `<` starts HTML, an at-rule
/// or a selector followed by `{` starts CSS.
DocumentKind document_kind(std::string_view body, std::string_view content_type);

/// What one document links to.
struct PageLinks {
  std::vector<std::string> links; ///< as written (decoded, trimmed, never ""), in order, unique
  std::string base;               ///< the first <base href> as written; "" when none
  bool truncated = false;         ///< there were more unique links than max_links
};

/// Links of an HTML or CSS document (by document_kind), at most `max_links`; the base is to
/// be resolved against the page's URL and the links against that (see Crawler).
PageLinks extract_page_links(std::string_view body, std::string_view content_type,
                             std::size_t max_links = 2000);

/// Links in an HTML or CSS document, as written (not resolved), in document order, unique,
/// at most `max_links`: extract_page_links(...).links.
std::vector<std::string> extract_links(std::string_view body, std::string_view content_type,
                                       std::size_t max_links = 2000);

/// Links in CSS text (a stylesheet, a <style> element or a style attribute), as above.
PageLinks extract_css_links(std::string_view css, std::size_t max_links = 2000);

/// The URLs of a srcset attribute (descriptors dropped), in order, not deduplicated.
std::vector<std::string> parse_srcset(std::string_view srcset);

} // namespace slim::probe
