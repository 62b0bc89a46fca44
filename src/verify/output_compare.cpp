#include "slim/verify/output_compare.hpp"

#include "slim/verify/text_diff.hpp"
#include "slim/verify/volatile_tokens.hpp"

#include <algorithm>
#include <cmath>

namespace slim::verify {

namespace {

using Kind = OutputVerdict::Kind;

std::string similar(const Similarity& s) {
  std::string out = percent(s.value) + " similar";
  if (s.method == SimilarityMethod::anchored) {
    out += " (at least)";
  }
  return out;
}

// Equal masks are drift (naming what differed), else the similarity of the masks decides.
OutputVerdict judge(std::string_view a, const MaskedText& ma, std::string_view b,
                    const MaskedText& mb, double threshold, const std::string& why) {
  if (ma.text == mb.text) {
    std::string counts = describe_counts(changed_tokens(a, ma, b, mb));
    std::string how = counts.empty() ? "only volatile tokens differ" : counts + " masked";
    return {Kind::drift, why.empty() ? how : why + " (" + how + ")", ""};
  }
  Similarity s = text_similarity(ma.text, mb.text);
  if (s.value >= threshold) {
    return {Kind::drift, why.empty() ? similar(s) : why + " (" + similar(s) + ")", ""};
  }
  return {Kind::difference, similar(s), diff_excerpt(ma.text, mb.text)};
}

} // namespace

std::string percent(double fraction) {
  double clamped = std::clamp(fraction, 0.0, 1.0);
  return std::to_string(static_cast<int>(std::floor(clamped * 100.0 + 1e-9))) + "%";
}

OutputVerdict compare_output(std::string_view first, std::optional<std::string_view> second,
                             std::string_view result, const CompareOptions& options) {
  if (result == first || (second && result == *second)) {
    return {};
  }
  const bool stable = !second || *second == first;
  if (options.strict) {
    if (!stable) {
      return {Kind::drift,
              "not compared: the original's own two answers differed (--verify-strict compares "
              "only outputs the original gave the same twice)",
              ""};
    }
    return {Kind::difference, similar(text_similarity(first, result)), diff_excerpt(first, result)};
  }
  const MaskedText m1_first = mask_volatile(first);
  const MaskedText m1_result = mask_volatile(result);
  if (stable) {
    return judge(first, m1_first, result, m1_result, options.min_similarity, "");
  }
  // The original's own answers differ only in volatile tokens: the result may differ from it in
  // those and otherwise as much as from a stable output (requiring equality here would make a
  // page with a clock stricter than one without).
  const MaskedText m1_second = mask_volatile(*second);
  if (m1_first.text == m1_second.text) {
    return judge(first, m1_first, result, m1_result, options.min_similarity, "");
  }
  // Only the numbers level explains them (counters): compare at that level.
  const MaskedText m2_first = mask_volatile(first, MaskLevel::numbers);
  const MaskedText m2_second = mask_volatile(*second, MaskLevel::numbers);
  const MaskedText m2_result = mask_volatile(result, MaskLevel::numbers);
  if (m2_first.text == m2_second.text) {
    return judge(first, m2_first, result, m2_result, options.min_similarity,
                 "numbers that changed between the original's own two answers");
  }
  // Nothing masks the original's own difference away (a page that shows random content): the
  // original's two answers, taken seconds apart in one run, show how much the output varies on
  // its own, so a result that differs from them no more than they differ from each other (less
  // a margin for a new process) is drift; above min_similarity it is drift anyway.
  const Similarity own = text_similarity(m2_first.text, m2_second.text);
  const double threshold =
      std::max(0.0, std::min(options.min_similarity, own.value - k_own_similarity_margin));
  Similarity to_first = text_similarity(m2_first.text, m2_result.text);
  Similarity to_second = text_similarity(m2_second.text, m2_result.text);
  const Similarity& best = to_first.value >= to_second.value ? to_first : to_second;
  if (best.value >= threshold) {
    return {Kind::drift,
            similar(best) + "; the original's own two answers were " + percent(own.value) +
                " similar",
            ""};
  }
  return {Kind::difference,
          similar(best) + "; the original's own two answers were " + percent(own.value) +
              " similar",
          diff_excerpt(m2_first.text, m2_result.text)};
}

} // namespace slim::verify
