#pragma once
// What the link scanners of probe/ share (internal): character classes, the link sink, and the
// two scanners, HTML (html_links.cpp) and CSS (css_links.cpp).

#include "slim/probe/links.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace slim::probe::link_scan {

/// HTML's ASCII whitespace (what CSS counts as whitespace too).
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

inline bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

inline bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}

inline int hex_value(char c) {
  if (is_digit(c)) {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

inline char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// `s` equals `lower_name` (lower-case ASCII) ignoring ASCII case.
inline bool iequals(std::string_view s, std::string_view lower_name) {
  if (s.size() != lower_name.size()) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (lower(s[i]) != lower_name[i]) {
      return false;
    }
  }
  return true;
}

inline bool istarts_with(std::string_view s, std::string_view lower_prefix) {
  return s.size() >= lower_prefix.size() && iequals(s.substr(0, lower_prefix.size()), lower_prefix);
}

// Trims what a URL parser trims: C0 controls and spaces.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) {
    s.remove_prefix(1);
  }
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) {
    s.remove_suffix(1);
  }
  return s;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    cp = 0xfffd;
  }
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// The links found so far: unique, in order, capped. Dedupe is one hash lookup per link.
class LinkSink {
public:
  explicit LinkSink(std::size_t max_links) : m_max(max_links) {}
  /// Adds `link` trimmed, unless it is empty or seen; past the cap it marks the page truncated.
  void add(std::string_view link) {
    link = trim(link);
    if (link.empty() || m_page.truncated || m_seen.find(link) != m_seen.end()) {
      return;
    }
    if (m_page.links.size() >= m_max) {
      m_page.truncated = true;
      return;
    }
    m_seen.emplace(link);
    m_page.links.emplace_back(link);
  }
  /// The cap cut a link off: scanning further cannot add any.
  bool full() const noexcept { return m_page.truncated; }
  PageLinks& page() noexcept { return m_page; }

private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::size_t m_max;
  PageLinks m_page;
  std::unordered_set<std::string, Hash, std::equal_to<>> m_seen;
};

/// Adds the links of CSS text (a stylesheet, a <style>'s contents, a style attribute) to `sink`.
void scan_css(std::string_view css, LinkSink& sink);

/// Adds the links of an HTML document to `sink`; `base` gets its first <base href>.
void scan_html(std::string_view html, LinkSink& sink, std::string& base);

} // namespace slim::probe::link_scan
