#include "slim/keep/glob.hpp"

#include <cstdint>

namespace slim::keep {
namespace {

constexpr std::size_t k_max_path = 4096; // longer paths never match (bounded work)
constexpr std::size_t k_max_pattern = 512;

// Matches one `[...]` class at pattern[pi] against c. Returns the index after the class,
// or npos when the class is unterminated (then `[` is a literal).
std::size_t match_class(std::string_view p, std::size_t pi, char c, bool& matched) {
  std::size_t i = pi + 1;
  bool negate = false;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
    negate = true;
    ++i;
  }
  bool any = false;
  bool first = true;
  while (i < p.size() && (p[i] != ']' || first)) {
    first = false;
    char lo = p[i];
    if (lo == '\\' && i + 1 < p.size()) {
      lo = p[++i];
    }
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      if (hi == '\\' && i + 3 < p.size()) {
        hi = p[i + 3];
        ++i;
      }
      i += 2;
    }
    if (lo <= c && c <= hi) {
      any = true;
    }
    ++i;
  }
  if (i >= p.size()) {
    return std::string_view::npos;
  }
  matched = (any != negate) && c != '/';
  return i + 1;
}

class Matcher {
public:
  Matcher(std::string_view p, std::string_view s)
      : m_p(p), m_s(s), m_memo((p.size() + 1) * (s.size() + 1), 0) {}

  bool match(std::size_t pi, std::size_t si) {
    std::uint8_t& memo = m_memo[pi * (m_s.size() + 1) + si];
    if (memo != 0) {
      return memo == 2;
    }
    bool r = run(pi, si);
    memo = r ? 2 : 1;
    return r;
  }

private:
  bool run(std::size_t pi, std::size_t si) {
    if (pi == m_p.size()) {
      return si == m_s.size();
    }
    char pc = m_p[pi];
    if (pc == '*') {
      if (pi + 1 < m_p.size() && m_p[pi + 1] == '*') {
        std::size_t after = pi + 2;
        // `/**/` may also match a single `/`: skip "**/" when preceded by '/'.
        if (after < m_p.size() && m_p[after] == '/' && pi > 0 && m_p[pi - 1] == '/' &&
            match(after + 1, si)) {
          return true;
        }
        for (std::size_t k = si; k <= m_s.size(); ++k) {
          if (match(after, k)) {
            return true;
          }
        }
        return false;
      }
      for (std::size_t k = si; k <= m_s.size(); ++k) {
        if (match(pi + 1, k)) {
          return true;
        }
        if (k < m_s.size() && m_s[k] == '/') {
          break;
        }
      }
      return false;
    }
    if (si == m_s.size()) {
      return false;
    }
    char c = m_s[si];
    if (pc == '?') {
      return c != '/' && match(pi + 1, si + 1);
    }
    if (pc == '[') {
      bool matched = false;
      std::size_t next = match_class(m_p, pi, c, matched);
      if (next != std::string_view::npos) {
        return matched && match(next, si + 1);
      }
      return c == '[' && match(pi + 1, si + 1);
    }
    if (pc == '\\' && pi + 1 < m_p.size()) {
      return c == m_p[pi + 1] && match(pi + 2, si + 1);
    }
    return c == pc && match(pi + 1, si + 1);
  }

  std::string_view m_p, m_s;
  std::vector<std::uint8_t> m_memo; // 0 unknown, 1 false, 2 true
};

} // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
  if (pattern.size() > k_max_pattern || path.size() > k_max_path) {
    return false;
  }
  return Matcher(pattern, path).match(0, 0);
}

bool has_glob_chars(std::string_view pattern) {
  return pattern.find_first_of("*?[\\") != std::string_view::npos;
}

ExcludeSet::ExcludeSet(const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    if (p.empty()) {
      continue;
    }
    std::string m = p;
    while (m.size() > 1 && m.back() == '/') {
      m.pop_back();
    }
    if (m.front() != '/') {
      m = "/**/" + m;
    }
    m_patterns.emplace_back(std::move(m), p);
  }
}

std::string ExcludeSet::matching_pattern(std::string_view path) const {
  if (m_patterns.empty()) {
    return {};
  }
  // The path itself, then each parent up to (not including) "/".
  std::string_view cur = path;
  while (!cur.empty() && cur != "/") {
    for (const auto& [m, given] : m_patterns) {
      if (glob_match(m, cur)) {
        return given;
      }
    }
    auto slash = cur.rfind('/');
    if (slash == std::string_view::npos || slash == 0) {
      break;
    }
    cur = cur.substr(0, slash);
  }
  return {};
}

bool ExcludeSet::excluded(std::string_view path) const {
  return !matching_pattern(path).empty();
}

} // namespace slim::keep
