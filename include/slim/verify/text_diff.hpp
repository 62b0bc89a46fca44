#pragma once
// How similar two texts are, and a short excerpt of where they differ, for outputs up to the
// probes' 1 MiB bodies. Texts are compared as tokens: runs of word characters (ASCII letters,
// digits, `_` and every non-ASCII UTF-8 character, so `wörld` is one word), runs of whitespace,
// and single other characters.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slim::verify {

/// Edit-graph steps a similarity may take per pass (the exact token pass, then the anchored
/// one). With the linear scans around them, two 1 MiB texts compare in well under a second
/// whatever they hold.
inline constexpr std::size_t k_similarity_budget = std::size_t{1} << 24;
/// Tokens (or lines) per side above which the exact pass is not tried; a token is at least a
/// byte, so any 1 MiB body fits. Memory: 4 bytes per token and side, plus the distinct tokens.
inline constexpr std::size_t k_max_compared_units = std::size_t{1} << 20;

/// How a similarity was found.
enum class SimilarityMethod : std::uint8_t {
  tokens,   ///< exact: the longest common subsequence of tokens
  anchored, ///< too many edits for that: lines that occur once in each text anchor the
            ///< alignment, the stretches between them are compared by tokens (a lower bound)
};

struct Similarity {
  double value = 1.0; ///< 2 * matched tokens / (tokens of a + tokens of b), in [0, 1]
  SimilarityMethod method = SimilarityMethod::tokens;
  /// Edit-graph steps spent: at most 2 * k_similarity_budget plus one snake (<= the tokens of
  /// both texts) per pass and stretch.
  std::size_t work = 0;
};

/// The similarity of `a` and `b`: 1 when equal (also both empty), 0 when nothing is common.
/// Exact while the token edit script (after the common prefix and suffix) fits the budget;
/// else anchored on unique lines, a lower bound.
Similarity text_similarity(std::string_view a, std::string_view b);

/// The tokens of `text`, in order; concatenated they are `text`.
std::vector<std::string_view> split_tokens(std::string_view text);

struct ExcerptLimits {
  std::size_t context = 40; ///< bytes of common text shown before and after
  std::size_t side = 120;   ///< bytes of each side's differing part shown
};

/// Where `a` (the original) and `b` (the result) first differ, as `…before[-a's part-]{+b's
/// part+}after…`: whole tokens, each part capped, never a cut UTF-8 character, control
/// characters escaped. "" when they are equal. Looks at most 16 KiB past the first
/// difference.
std::string diff_excerpt(std::string_view a, std::string_view b, const ExcerptLimits& limits = {});

} // namespace slim::verify
