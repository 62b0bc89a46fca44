#pragma once
// http(s) URLs of the links the crawler finds: parsing, RFC 3986 section 5 reference
// resolution, and the normalisation that makes two spellings of one URL compare equal.
//
// Where browsers (the WHATWG URL standard) and RFC 3986 differ on what pages really contain,
// this follows the browsers, since the app was written against them: tabs and newlines inside
// a link are dropped, leading and trailing control characters and spaces trimmed, `\` before
// the query is `/`, `%2e` counts as `.` in dot segments, and `http:x` on an http page is
// relative (RFC 3986's "non-strict" parser). Bytes a request line cannot carry (controls,
// spaces, non-ASCII, `"<>` and a few more) are percent-encoded; existing `%XX` are kept.

#include <optional>
#include <string>
#include <string_view>

namespace slim::probe {

/// An absolute http(s) URL, normalised: scheme and host lower-case, the port always set,
/// dot segments removed; no user info (never sent on) and no fragment.
struct HttpUrl {
  std::string scheme; ///< "http" | "https"
  std::string host;   ///< lower-case name or IPv4; IPv6 in brackets ("[::1]")
  int port = 80;      ///< the scheme's default (80, 443) when the URL names none
  std::string target; ///< path and query as a request line carries them: "/a/b?c=1"
  /// "scheme://host[:port]target", the port only when it is not the scheme's default.
  std::string to_string() const;
  bool operator==(const HttpUrl&) const = default;
};

/// `text` as an absolute http(s) URL with a host, normalised as above; nullopt otherwise.
std::optional<HttpUrl> parse_http_url(std::string_view text);

/// `link` resolved against `base` (an absolute http(s) URL) as RFC 3986 section 5 says (dot
/// segments removed), without its fragment; nullopt for other schemes (javascript:, mailto:,
/// data:, tel:, ...), fragment-only links, or malformed input (bad host or port).
std::optional<HttpUrl> resolve_http_url(std::string_view base, std::string_view link);

/// `resolve_http_url(base, link)` as a string ("http://localhost:8080/a?b=1").
std::optional<std::string> resolve_url(std::string_view base, std::string_view link);

/// Whether `host` (lower-case, as in HttpUrl) names the app's own loopback as a page would:
/// 127.0.0.1, localhost, [::1] or 0.0.0.0.
bool is_loopback_host(std::string_view host);

} // namespace slim::probe
