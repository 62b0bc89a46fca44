#pragma once
// Masking of the tokens that legitimately change between two runs of a working app (dates,
// times, durations, uptimes, pids, ids, random tokens), so that two masked texts are equal
// exactly when the texts differ only in such tokens. Each token becomes a placeholder named
// after its class (`⟨http-date⟩`); what is not volatile stays as it was, so that the breakage
// of a missing locale or time zone still shows: English day and month names are masked, German
// ones are not; a zone (`+0100`, `GMT`, `UTC`) after a date is kept. A second level masks every
// other number by its shape (`1.234,5` -> `⟨n⟩.⟨n⟩,⟨n⟩`), for texts whose own numbers change
// (counters). One linear pass: every matcher looks a bounded way ahead.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slim::verify {

/// What a masked token was; the order is the order of `describe_counts`.
enum class TokenClass : std::uint8_t {
  http_date,    ///< IMF-fixdate `Tue, 01 Dec 2026 20:08:00`, RFC 850, asctime (zone kept)
  rfc2822_date, ///< `Tue, 1 Dec 2026 20:08:00`, `1 Dec 2026 20:08` (zone kept)
  js_date,      ///< JavaScript's `Tue Dec 01 2026 20:08:00` (the ` GMT+0100 (...)` is kept)
  iso_datetime, ///< `2026-12-01T20:08:00.123`, `2026-12-01 20:08:00,123`, `2026/12/01 20:08:00`
  clf_date,     ///< common log format `01/Dec/2026:20:08:00`, Tomcat's `01-Dec-2026 20:08:00.123`
  syslog_date,  ///< `Dec  1 20:08:00`
  time_of_day,  ///< `20:08:00`, `20:08:00.123456`
  date,         ///< `2026-12-01`, `2026/12/01`
  epoch,        ///< unix seconds/ms/µs/ns in 2001-2100 (10/13/16/19 digits), `1764619680.123`
  duration,     ///< `123ms`, `1.5 s`, `3 seconds`, `2 days`, `1h2m3.5s`
  uptime,       ///< `up 3 days, 2:03`, `up 5 min`
  keyed_value,  ///< a number after a key like `uptime`, `pid`, `elapsed`, `used_memory`
  uuid,         ///< `123e4567-e89b-12d3-a456-426614174000`
  hex,          ///< 12+ hex digits (container hostnames, digests, run ids), `0x7f3a2b1c4d50`
  token,        ///< the value after a key like `csrf_token`, `session`, `nonce`, `ETag`
  random,       ///< a long base64-ish run of mixed letters and digits (session ids, nonces)
  number,       ///< any other number (MaskLevel::numbers only)
};
inline constexpr std::size_t k_token_class_count = 17;

enum class MaskLevel : std::uint8_t {
  volatile_tokens, ///< the classes above but `number`
  numbers,         ///< also every other run of digits, separators kept
};

/// One masked token: its class and where it was in the input.
struct MaskedToken {
  TokenClass kind = TokenClass::number;
  std::size_t offset = 0;
  std::size_t length = 0;
};

struct MaskedText {
  std::string text;                ///< the input with each masked token replaced by `⟨label⟩`
  std::vector<MaskedToken> tokens; ///< what was masked, in order
};

using TokenCounts = std::array<std::size_t, k_token_class_count>;

/// `text` with its volatile tokens (and at MaskLevel::numbers its numbers) replaced by
/// placeholders. Time and memory are linear in `text`'s size.
MaskedText mask_volatile(std::string_view text, MaskLevel level = MaskLevel::volatile_tokens);

/// How many tokens of each class `masked` holds.
TokenCounts count_tokens(const MaskedText& masked);

/// Of the tokens of `a` and `b` (masks of the same level whose texts are equal, so that their
/// tokens pair up in order), how many per class differ in their original text.
TokenCounts changed_tokens(std::string_view a, const MaskedText& masked_a, std::string_view b,
                           const MaskedText& masked_b);

/// "1 http date, 2 durations" for the non-zero counts ("" when all are zero).
std::string describe_counts(const TokenCounts& counts);

/// The placeholder's name of a class ("http-date"); the placeholder is `⟨name⟩`.
std::string_view token_class_label(TokenClass kind);

} // namespace slim::verify
