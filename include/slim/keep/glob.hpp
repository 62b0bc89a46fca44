#pragma once
// Path globs for --exclude-pattern and ld.so.conf `include` lines.
//
// Syntax: `*` any run of characters except `/`; `?` one character except `/`; `[abc]`,
// `[a-z]`, `[!a-z]` / `[^a-z]` one character of (or not of) a set; `\x` the character x;
// `**` any run of characters including `/`, and `/**/` also matches a single `/` (zero
// directories), so `/usr/**/*.pyc` matches `/usr/x.pyc` and `/usr/a/b/x.pyc`.

#include <string>
#include <string_view>
#include <vector>

namespace slim::keep {

/// True when the whole of `path` matches the whole of `pattern`.
bool glob_match(std::string_view pattern, std::string_view path);

/// True when `pattern` has any of the special characters `*`, `?`, `[` or `\`.
bool has_glob_chars(std::string_view pattern);

/// A set of exclude patterns. A pattern without a leading `/` matches at any depth (it is
/// matched as `/**/PATTERN`). A path is excluded when a pattern matches it or any of its
/// parent directories, so `/usr/share/doc` excludes that whole tree.
class ExcludeSet {
public:
  ExcludeSet() = default;
  /// Takes the patterns as the user gave them.
  explicit ExcludeSet(const std::vector<std::string>& patterns);
  /// True when the normalised absolute `path` or one of its parents matches a pattern.
  bool excluded(std::string_view path) const;
  /// The pattern that excludes `path` (as given), or empty when none does.
  std::string matching_pattern(std::string_view path) const;
  bool empty() const noexcept { return m_patterns.empty(); }

private:
  std::vector<std::pair<std::string, std::string>> m_patterns; ///< (as matched, as given)
};

} // namespace slim::keep
