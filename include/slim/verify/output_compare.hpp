#pragma once
// The verdict on one text output of the slim image (a body, an exec's output) against the
// original's one or two samples of it: the same, drift a working app shows, or a difference.

#include "slim/verify/observation.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace slim::verify {

/// Taken off what the original's own two samples reached when they are compared by similarity:
/// a second run (a new process: new ids, cold caches) varies a little more than two answers of
/// one process.
inline constexpr double k_own_similarity_margin = 0.05;

struct OutputVerdict {
  enum class Kind { same, drift, difference };
  Kind kind = Kind::same;
  std::string how;     ///< drift: why it was tolerated; difference: how similar it still is
  std::string excerpt; ///< difference: where they differ (masked as compared), else ""
};

/// Compares `result` with the original's `first` sample and, when the original answered twice,
/// its `second`. Stable (one sample, or two equal ones): masked equal or at least
/// `min_similarity` similar (masked) is drift. Unstable: at the masking level that explains the
/// original's own difference the same holds; when no level does, the threshold is lowered to
/// the original's own similarity minus k_own_similarity_margin. `strict`: byte for byte when
/// stable, not compared when not.
OutputVerdict compare_output(std::string_view first, std::optional<std::string_view> second,
                             std::string_view result, const CompareOptions& options);

/// "94%" (rounded down, so that 0.899 never shows as 90%).
std::string percent(double fraction);

} // namespace slim::verify
