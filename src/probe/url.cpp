#include "slim/probe/url.hpp"

#include <vector>

namespace slim::probe {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    c = lower(c);
  }
  return out;
}

int default_port(std::string_view scheme) {
  return scheme == "https" ? 443 : 80;
}

// What a browser does to a link before parsing it: C0 controls and spaces trimmed at both ends,
// tabs and newlines dropped everywhere, the fragment cut off, `\` before the query made `/`.
// Sets `fragment_only` for "#...".
std::string clean_link(std::string_view link, bool& fragment_only) {
  while (!link.empty() && static_cast<unsigned char>(link.front()) <= 0x20) {
    link.remove_prefix(1);
  }
  while (!link.empty() && static_cast<unsigned char>(link.back()) <= 0x20) {
    link.remove_suffix(1);
  }
  fragment_only = !link.empty() && link.front() == '#';
  std::string out;
  out.reserve(link.size());
  bool in_query = false;
  for (char c : link) {
    if (c == '\t' || c == '\n' || c == '\r') {
      continue;
    }
    if (c == '#') {
      break;
    }
    if (c == '?') {
      in_query = true;
    }
    out += (c == '\\' && !in_query) ? '/' : c;
  }
  return out;
}

// A URI reference split as RFC 3986 appendix B does (the fragment is already gone).
struct Reference {
  std::string scheme; ///< lower-case; "" when none
  bool has_authority = false;
  std::string_view authority;
  std::string_view path;
  bool has_query = false;
  std::string_view query;
};

Reference split_reference(std::string_view s) {
  Reference r;
  if (!s.empty() && is_alpha(s.front())) {
    std::size_t i = 1;
    while (i < s.size() &&
           (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
      ++i;
    }
    if (i < s.size() && s[i] == ':') {
      r.scheme = lowered(s.substr(0, i));
      s.remove_prefix(i + 1);
    }
  }
  if (s.size() >= 2 && s[0] == '/' && s[1] == '/') {
    std::size_t end = s.find_first_of("/?", 2);
    if (end == std::string_view::npos) {
      end = s.size();
    }
    r.has_authority = true;
    r.authority = s.substr(2, end - 2);
    s.remove_prefix(end);
  }
  std::size_t q = s.find('?');
  r.path = s.substr(0, q);
  if (q != std::string_view::npos) {
    r.has_query = true;
    r.query = s.substr(q + 1);
  }
  return r;
}

// Host and port of an authority ([userinfo@]host[:port]); false when either is malformed.
bool parse_authority(std::string_view authority, std::string_view scheme, HttpUrl& url) {
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host;
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    host = authority.substr(0, close + 1);
    rest = authority.substr(close + 1);
    bool colon = false;
    for (char c : host.substr(1, host.size() - 2)) {
      colon = colon || c == ':';
      if (!is_digit(c) && !(lower(c) >= 'a' && lower(c) <= 'f') && c != ':' && c != '.') {
        return false;
      }
    }
    if (!colon) {
      return false;
    }
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    // A registered name of RFC 3986 (unreserved and sub-delims); no percent-encoded or
    // non-ASCII names (IDN): those never name the app's loopback anyway.
    for (char c : host) {
      if (!is_alpha(c) && !is_digit(c) &&
          std::string_view("-._~!$&'()*+,;=").find(c) == std::string_view::npos) {
        return false;
      }
    }
  }
  if (host.empty()) {
    return false;
  }
  url.host = lowered(host);
  url.port = default_port(scheme);
  if (!rest.empty()) {
    if (rest.front() != ':') {
      return false;
    }
    rest.remove_prefix(1);
    if (!rest.empty()) {
      long port = 0;
      for (char c : rest) {
        if (!is_digit(c)) {
          return false;
        }
        port = port * 10 + (c - '0');
        if (port > 65535) {
          return false;
        }
      }
      url.port = static_cast<int>(port);
    }
  }
  return true;
}

bool is_dot(std::string_view seg) {
  return seg == "." || (seg.size() == 3 && seg[0] == '%' && seg[1] == '2' && lower(seg[2]) == 'e');
}

bool is_dot_dot(std::string_view seg) {
  if (seg.size() < 2 || seg.size() > 6) {
    return false;
  }
  // "..", ".%2e", "%2e.", "%2e%2e"
  std::string_view first = seg.front() == '.' ? seg.substr(0, 1) : seg.substr(0, 3);
  return is_dot(first) && seg.size() > first.size() && is_dot(seg.substr(first.size()));
}

// RFC 3986 5.2.4 for an absolute path (or ""), in one pass over its segments.
std::string remove_dot_segments(std::string_view path) {
  if (path.empty()) {
    return "";
  }
  if (path.front() == '/') {
    path.remove_prefix(1);
  }
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (true) {
    std::size_t slash = path.find('/', i);
    bool last = slash == std::string_view::npos;
    std::string_view seg = path.substr(i, last ? std::string_view::npos : slash - i);
    if (is_dot_dot(seg)) {
      if (!out.empty()) {
        out.pop_back();
      }
      if (last) {
        out.emplace_back(); // "/a/b/.." is "/a/": the directory
      }
    } else if (is_dot(seg)) {
      if (last) {
        out.emplace_back();
      }
    } else {
      out.push_back(seg);
    }
    if (last) {
      break;
    }
    i = slash + 1;
  }
  std::string result;
  result.reserve(path.size() + 1);
  for (auto seg : out) {
    result += '/';
    result += seg;
  }
  return result.empty() ? "/" : result;
}

// RFC 3986 5.2.3: the base's path up to its last `/`, then the reference's.
std::string merge_paths(std::string_view base_path, std::string_view ref_path) {
  auto slash = base_path.rfind('/');
  std::string out(slash == std::string_view::npos ? std::string_view("/")
                                                  : base_path.substr(0, slash + 1));
  out += ref_path;
  return out;
}

// Percent-encodes what a request line cannot carry, as WHATWG's path and special-query
// percent-encode sets do; `%` itself is kept (links are written already encoded).
void append_encoded(std::string& out, std::string_view s, bool query) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool encode = u <= 0x20 || u >= 0x7f || c == '"' || c == '<' || c == '>' ||
                  (query ? c == '\'' : (c == '`' || c == '{' || c == '}'));
    if (encode) {
      out += '%';
      out += k_hex[u >> 4];
      out += k_hex[u & 15];
    } else {
      out += c;
    }
  }
}

std::optional<HttpUrl> make_url(std::string_view scheme, std::string_view authority,
                                std::string_view path, bool has_query, std::string_view query) {
  HttpUrl url;
  url.scheme = std::string(scheme);
  if (!parse_authority(authority, scheme, url)) {
    return std::nullopt;
  }
  std::string clean = remove_dot_segments(path);
  append_encoded(url.target, clean.empty() ? std::string_view("/") : std::string_view(clean),
                 false);
  if (has_query) {
    url.target += '?';
    append_encoded(url.target, query, true);
  }
  return url;
}

bool is_http(std::string_view scheme) {
  return scheme == "http" || scheme == "https";
}

} // namespace

std::string HttpUrl::to_string() const {
  std::string out = scheme + "://" + host;
  if (port != default_port(scheme)) {
    out += ':' + std::to_string(port);
  }
  return out + target;
}

std::optional<HttpUrl> parse_http_url(std::string_view text) {
  bool fragment_only = false;
  std::string clean = clean_link(text, fragment_only);
  Reference r = split_reference(clean);
  if (!is_http(r.scheme) || !r.has_authority) {
    return std::nullopt;
  }
  return make_url(r.scheme, r.authority, r.path, r.has_query, r.query);
}

std::optional<HttpUrl> resolve_http_url(std::string_view base_text, std::string_view link) {
  auto base = parse_http_url(base_text);
  if (!base) {
    return std::nullopt;
  }
  bool fragment_only = false;
  std::string clean = clean_link(link, fragment_only);
  if (fragment_only) {
    return std::nullopt;
  }
  Reference r = split_reference(clean);
  if (!r.scheme.empty()) {
    if (!is_http(r.scheme)) {
      return std::nullopt;
    }
    if (!r.has_authority) {
      // "http:x" on an http page is relative (RFC 3986 5.2.2's non-strict parser, and what
      // browsers do); an http(s) URL of the other scheme needs its host.
      if (r.scheme != base->scheme) {
        return std::nullopt;
      }
      r.scheme.clear();
    }
  }
  if (!r.scheme.empty()) {
    return make_url(r.scheme, r.authority, r.path, r.has_query, r.query);
  }
  if (r.has_authority) {
    return make_url(base->scheme, r.authority, r.path, r.has_query, r.query);
  }
  // Same authority as the base: only the target changes.
  std::string_view base_target = base->target;
  auto q = base_target.find('?');
  std::string_view base_path = base_target.substr(0, q);
  HttpUrl url = *base;
  url.target.clear();
  std::string path;
  if (r.path.empty()) {
    path = std::string(base_path);
    if (!r.has_query && q != std::string_view::npos) {
      r.has_query = true;
      r.query = base_target.substr(q + 1);
    }
  } else if (r.path.front() == '/') {
    path = remove_dot_segments(r.path);
  } else {
    path = remove_dot_segments(merge_paths(base_path, r.path));
  }
  // base_path is encoded already; encoding is idempotent on it (`%` is kept).
  append_encoded(url.target, path.empty() ? std::string_view("/") : std::string_view(path), false);
  if (r.has_query) {
    url.target += '?';
    append_encoded(url.target, r.query, true);
  }
  return url;
}

std::optional<std::string> resolve_url(std::string_view base, std::string_view link) {
  auto url = resolve_http_url(base, link);
  if (!url) {
    return std::nullopt;
  }
  return url->to_string();
}

bool is_loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "localhost." || host == "[::1]" ||
         host == "0.0.0.0";
}

} // namespace slim::probe
