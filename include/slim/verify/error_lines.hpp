#pragma once
// The lines of an output that say something is missing (a file, a shared library, a module, a
// class, a command, a locale, a time zone, CA certificates): the way slimming damage shows in a
// log or a page even when every status and exit code is as before.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace slim::verify {

/// Bytes of each line searched for the phrases (the rest of a longer line is not looked at).
inline constexpr std::size_t k_error_scan_bytes = 4096;
/// Bytes of a line kept for the report: a longer one is quoted around its error, at UTF-8
/// boundaries, with "…" where it was cut.
inline constexpr std::size_t k_error_line_bytes = 300;
/// Error lines of the original remembered; with more, later ones may be reported as new.
inline constexpr std::size_t k_max_original_error_lines = 5000;

/// Whether `line` reads like an error that names something missing (case-insensitive):
/// `No such file or directory`, `cannot open shared object file`, `No module named`,
/// `Cannot find module`, `NoClassDefFoundError`, `sh: 1: foo: not found`, ...
bool is_missing_error(std::string_view line);

/// The lines of `text` that read so (trimmed, quoted as k_error_line_bytes says), in order, at
/// most `max_lines`.
std::vector<std::string> error_lines(std::string_view text, std::size_t max_lines = 100);

/// The error lines of `result` whose masked form (MaskLevel::numbers: their dates, ids and
/// numbers do not make them new) is not among those of any of `originals`; each once, in order,
/// at most `max_lines`.
std::vector<std::string> new_error_lines(const std::vector<std::string_view>& originals,
                                         std::string_view result, std::size_t max_lines = 3);

/// The same with one original text.
std::vector<std::string> new_error_lines(std::string_view original, std::string_view result,
                                         std::size_t max_lines = 3);

} // namespace slim::verify
