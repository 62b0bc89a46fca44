#include "link_scan.hpp"

#include <algorithm>
#include <optional>

namespace slim::probe {
namespace link_scan {
namespace {

bool is_css_ident(char c) {
  return is_alnum(c) || c == '-' || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_css_newline(char c) {
  return c == '\n' || c == '\r' || c == '\f';
}

// A CSS escape whose first character (after the `\`) is at `i`, appended to `out`; returns the
// index after it (CSS Syntax 4.3.7: up to 6 hex digits and one whitespace, or one character).
std::size_t css_escape(std::string_view s, std::size_t i, std::string& out) {
  if (hex_value(s[i]) < 0) {
    out += s[i];
    return i + 1;
  }
  std::uint32_t cp = 0;
  for (int k = 0; k < 6 && i < s.size() && hex_value(s[i]) >= 0; ++k, ++i) {
    cp = cp * 16 + static_cast<std::uint32_t>(hex_value(s[i]));
  }
  if (i < s.size() && is_space(s[i])) {
    i += (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
  }
  append_utf8(out, cp);
  return i;
}

// The string token whose quote is at `i`: its value, or nullopt for a bad string (a newline
// before the closing quote) or one cut by the end. `i` is moved past what was consumed.
std::optional<std::string> css_string(std::string_view s, std::size_t& i) {
  const char quote = s[i];
  std::string value;
  std::size_t j = i + 1;
  while (j < s.size()) {
    char c = s[j];
    if (c == quote) {
      i = j + 1;
      return value;
    }
    if (is_css_newline(c)) {
      i = j; // a bad string; the newline is read again as whitespace
      return std::nullopt;
    }
    if (c == '\\') {
      if (j + 1 >= s.size()) {
        break;
      }
      if (is_css_newline(s[j + 1])) {
        j += (s[j + 1] == '\r' && j + 2 < s.size() && s[j + 2] == '\n') ? 3 : 2;
      } else {
        j = css_escape(s, j + 1, value);
      }
      continue;
    }
    value += c;
    ++j;
  }
  i = s.size();
  return std::nullopt;
}

// After a bad url(: up to and past its `)` (CSS Syntax 4.3.14).
std::size_t skip_bad_url(std::string_view s, std::size_t j) {
  while (j < s.size()) {
    if (s[j] == ')') {
      return j + 1;
    }
    j += (s[j] == '\\') ? 2 : 1;
  }
  return s.size();
}

// The url( whose contents start at `j`: its URL (nullopt when bad or cut by the end); `j`
// is moved past its `)`.
std::optional<std::string> css_url(std::string_view s, std::size_t& j) {
  while (j < s.size() && is_space(s[j])) {
    ++j;
  }
  if (j >= s.size()) {
    return std::nullopt;
  }
  if (s[j] == '"' || s[j] == '\'') {
    auto value = css_string(s, j);
    while (j < s.size() && is_space(s[j])) {
      ++j;
    }
    if (j >= s.size()) {
      return std::nullopt;
    }
    if (s[j] != ')') {
      j = skip_bad_url(s, j);
      return std::nullopt;
    }
    ++j;
    return value;
  }
  std::string value;
  while (j < s.size()) {
    char c = s[j];
    if (c == ')') {
      ++j;
      return value;
    }
    if (is_space(c)) {
      while (j < s.size() && is_space(s[j])) {
        ++j;
      }
      if (j < s.size() && s[j] == ')') {
        ++j;
        return value;
      }
      j = skip_bad_url(s, j);
      return std::nullopt;
    }
    if (c == '"' || c == '\'' || c == '(' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      j = skip_bad_url(s, j);
      return std::nullopt;
    }
    if (c == '\\') {
      if (j + 1 >= s.size() || is_css_newline(s[j + 1])) {
        j = skip_bad_url(s, j + 1);
        return std::nullopt;
      }
      j = css_escape(s, j + 1, value);
      continue;
    }
    value += c;
    ++j;
  }
  return std::nullopt;
}

// One pass over CSS text: comments, strings and url( tokenised as CSS Syntax does, at-rule
// names and function names read whole (so `myurl(` is not `url(`).
} // namespace

void scan_css(std::string_view s, LinkSink& sink) {
  std::size_t i = 0;
  int depth = 0;          // parentheses open
  int image_set = -1;     // the depth inside an image-set(, whose strings are URLs
  bool in_import = false; // after @import, before its `;`
  bool in_namespace = false;
  while (i < s.size() && !sink.full()) {
    char c = s[i];
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      auto end = s.find("*/", i + 2);
      if (end == std::string_view::npos) {
        return;
      }
      i = end + 2;
    } else if (c == '"' || c == '\'') {
      auto value = css_string(s, i);
      if (value && !in_namespace && (in_import || depth == image_set)) {
        sink.add(*value);
      }
      in_import = false;
    } else if (c == '\\') {
      i += 2;
    } else if (c == '@' || (is_css_ident(c) && !is_digit(c))) {
      std::size_t start = c == '@' ? i + 1 : i;
      i = start;
      while (i < s.size() && (is_css_ident(s[i]) || s[i] == '\\')) {
        i += s[i] == '\\' ? 2 : 1;
      }
      i = std::min(i, s.size());
      std::string_view name = s.substr(start, i - start);
      if (c == '@') {
        in_import = iequals(name, "import");
        in_namespace = iequals(name, "namespace");
      } else if (i < s.size() && s[i] == '(') {
        ++i;
        if (iequals(name, "url")) {
          auto value = css_url(s, i);
          if (value && !in_namespace) {
            sink.add(*value);
          }
          in_import = false;
        } else {
          ++depth;
          if (iequals(name, "image-set") || iequals(name, "-webkit-image-set")) {
            image_set = depth;
          }
        }
      }
    } else {
      if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (depth == image_set) {
          image_set = -1;
        }
        depth = depth > 0 ? depth - 1 : 0;
      } else if (c == ';' || c == '{' || c == '}') {
        in_import = false;
        in_namespace = false;
      }
      ++i;
    }
  }
}

} // namespace link_scan

PageLinks extract_css_links(std::string_view css, std::size_t max_links) {
  link_scan::LinkSink sink(max_links);
  link_scan::scan_css(css, sink);
  return std::move(sink.page());
}

} // namespace slim::probe
