#pragma once
// UTF-8 helpers for the texts the verification shows (bodies, exec output, logs): cut only at
// character boundaries, make untrusted bytes printable and valid for the report's JSON.

#include <cstddef>
#include <string>
#include <string_view>

namespace slim::verify {

/// Length of the valid UTF-8 sequence starting at `s[pos]` (1-4), or 0 when the bytes there
/// are not one (a stray continuation byte, an overlong or surrogate form, a cut sequence).
std::size_t utf8_sequence_length(std::string_view s, std::size_t pos);

/// Whether `s` is valid UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view s);

/// The largest character boundary <= `pos` (never inside a multi-byte sequence of `s`).
std::size_t utf8_floor(std::string_view s, std::size_t pos);

/// `s` cut to at most `max_bytes` at a character boundary, with "…" appended when cut.
std::string clip_utf8(std::string_view s, std::size_t max_bytes);

/// `s` with control characters shown escaped (`\n`, `\r`, `\t`, `\xNN`) and bytes that are not
/// valid UTF-8 as `\xNN`: always valid UTF-8, on one line.
std::string printable(std::string_view s);

/// `s` with every byte that is not valid UTF-8 replaced by U+FFFD (newlines kept), for JSON.
std::string to_valid_utf8(std::string_view s);

} // namespace slim::verify
