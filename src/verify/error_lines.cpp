#include "slim/verify/error_lines.hpp"

#include "slim/verify/utf8_text.hpp"
#include "slim/verify/volatile_tokens.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_set>

namespace slim::verify {

namespace {

// Lower-case phrases that name something missing wherever they appear.
constexpr std::array<std::string_view, 28> k_phrases = {
    "no such file or directory",
    "cannot open shared object file",
    "error while loading shared libraries",
    "modulenotfounderror",
    "no module named",
    "importerror",
    "cannot find module",
    "module_not_found",
    "classnotfoundexception",
    "noclassdeffounderror",
    "could not find or load main class",
    "unsatisfiedlinkerror",
    "filenotfounderror",
    "could not access file",
    "cannot load such file",
    "failed to open stream",
    "failed opening required",
    "undefined symbol",
    "cannot stat",
    "unable to load",
    "could not open",
    "cannot change locale",
    "unknown time zone",
    "no time zone found",
    "zoneinfonotfounderror",
    "unable to get local issuer certificate",
    "certificate signed by unknown authority",
    "executable file not found",
};

// Words before `not found` that make it a missing thing (`command not found`), unlike a page's
// "Page not found" or a search's "nothing found".
constexpr std::array<std::string_view, 22> k_not_found_subjects = {
    "command",   "file",   "executable", "module",      "library", "libraries",
    "package",   "class",  "font",       "locale",      "program", "binary",
    "directory", "plugin", "extension",  "interpreter", "symbol",  "dependency",
    "script",    "object", "path",       "template"};

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool names_missing_thing_before(std::string_view lower, std::size_t at) {
  // `sh: 1: foo: not found`, `libssl.so.3 => not found` (ldd)
  if (at >= 2 && (lower.substr(at - 2, 2) == ": " || lower.substr(at - 2, 2) == "> ")) {
    return true;
  }
  std::size_t end = at;
  while (end > 0 && lower[end - 1] == ' ') {
    --end;
  }
  std::size_t start = end;
  while (start > 0 && lower[start - 1] >= 'a' && lower[start - 1] <= 'z') {
    --start;
  }
  std::string_view word = lower.substr(start, end - start);
  for (auto subject : k_not_found_subjects) {
    if (word == subject) {
      return true;
    }
  }
  return false;
}

std::string_view trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) {
    ++b;
  }
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) {
    --e;
  }
  return s.substr(b, e - b);
}

// Where the phrase that makes `line` a missing-thing error starts, if it is one.
std::optional<std::size_t> missing_error_at(std::string_view line) {
  const std::string lower = lower_ascii(line.substr(0, utf8_floor(line, k_error_scan_bytes)));
  std::optional<std::size_t> first;
  auto found = [&](std::size_t at) {
    if (!first || at < *first) {
      first = at;
    }
  };
  for (auto phrase : k_phrases) {
    if (std::size_t at = lower.find(phrase); at != std::string::npos) {
      found(at);
    }
  }
  // Perl: `Can't locate Foo/Bar.pm in @INC`
  if (std::size_t at = lower.find("can't locate");
      at != std::string::npos && lower.find(" in @inc", at) != std::string::npos) {
    found(at);
  }
  for (std::size_t at = lower.find("not found"); at != std::string::npos;
       at = lower.find("not found", at + 1)) {
    if (names_missing_thing_before(lower, at)) {
      found(at);
      break;
    }
  }
  return first;
}

// Calls `f(line, at)` for each trimmed line of `text` (cut to k_error_scan_bytes) that reads
// like a missing-thing error (its phrase at `at`), until `f` returns false.
template <typename F> void for_each_error_line(std::string_view text, F&& f) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    std::size_t end = eol == std::string_view::npos ? text.size() : eol;
    std::string_view line = text.substr(pos, end - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    line = trim(line.substr(0, utf8_floor(line, k_error_scan_bytes)));
    if (line.empty()) {
      continue;
    }
    if (auto at = missing_error_at(line); at && !f(line, *at)) {
      return;
    }
  }
}

std::string masked_key(std::string_view line) {
  return mask_volatile(line, MaskLevel::numbers).text;
}

// `line` for the report: whole when short, else k_error_line_bytes around the phrase at `at`.
std::string quote_line(std::string_view line, std::size_t at) {
  if (line.size() <= k_error_line_bytes) {
    return std::string(line);
  }
  std::size_t start =
      utf8_floor(line, at > k_error_line_bytes / 3 ? at - k_error_line_bytes / 3 : 0);
  std::size_t end = utf8_floor(line, std::min(line.size(), start + k_error_line_bytes));
  return (start > 0 ? "…" : "") + std::string(line.substr(start, end - start)) +
         (end < line.size() ? "…" : "");
}

} // namespace

bool is_missing_error(std::string_view line) {
  return missing_error_at(line).has_value();
}

std::vector<std::string> error_lines(std::string_view text, std::size_t max_lines) {
  std::vector<std::string> out;
  if (max_lines == 0) {
    return out;
  }
  for_each_error_line(text, [&](std::string_view line, std::size_t at) {
    out.push_back(quote_line(line, at));
    return out.size() < max_lines;
  });
  return out;
}

std::vector<std::string> new_error_lines(const std::vector<std::string_view>& originals,
                                         std::string_view result, std::size_t max_lines) {
  std::unordered_set<std::string> known;
  for (auto original : originals) {
    for_each_error_line(original, [&](std::string_view line, std::size_t) {
      known.insert(masked_key(line));
      return known.size() < k_max_original_error_lines;
    });
  }
  std::vector<std::string> out;
  if (max_lines == 0) {
    return out;
  }
  std::unordered_set<std::string> reported;
  for_each_error_line(result, [&](std::string_view line, std::size_t at) {
    std::string key = masked_key(line);
    if (known.count(key) == 0 && reported.insert(key).second) {
      out.push_back(quote_line(line, at));
    }
    return out.size() < max_lines;
  });
  return out;
}

std::vector<std::string> new_error_lines(std::string_view original, std::string_view result,
                                         std::size_t max_lines) {
  return new_error_lines(std::vector<std::string_view>{original}, result, max_lines);
}

} // namespace slim::verify
