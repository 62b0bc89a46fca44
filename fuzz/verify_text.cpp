// Fuzz target: verify's text functions over untrusted output (bodies, exec output, logs). The
// input is two texts split at the first NUL byte (the whole input twice when there is none).
// Checks: masks rebuild from their tokens; valid UTF-8 stays valid; a similarity is in [0, 1],
// 1 exactly for equal texts, within its work bound; an excerpt is "" exactly for equal texts,
// valid UTF-8 and short; error lines are quoted short and a text has no new errors against
// itself.
#include "slim/verify/error_lines.hpp"
#include "slim/verify/text_diff.hpp"
#include "slim/verify/utf8_text.hpp"
#include "slim/verify/volatile_tokens.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace slim::verify;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_verify_text: invariant broken: %s\n", what);
    std::abort();
  }
}

void check_mask(std::string_view text, MaskLevel level) {
  MaskedText m = mask_volatile(text, level);
  std::string rebuilt;
  std::size_t at = 0;
  for (const auto& t : m.tokens) {
    check(t.offset >= at && t.length > 0 && t.offset + t.length <= text.size(),
          "tokens are in order, not empty, inside the input");
    check(level == MaskLevel::numbers || t.kind != TokenClass::number,
          "plain numbers only at the numbers level");
    rebuilt.append(text.substr(at, t.offset - at));
    rebuilt += "⟨" + std::string(token_class_label(t.kind)) + "⟩";
    at = t.offset + t.length;
  }
  rebuilt.append(text.substr(at));
  check(rebuilt == m.text, "the mask is the input with its tokens replaced");
  check(!is_valid_utf8(text) || is_valid_utf8(m.text), "valid UTF-8 stays valid");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nul = input.find('\0');
  std::string_view a = input.substr(0, nul);
  std::string_view b = nul == std::string_view::npos ? input : input.substr(nul + 1);

  check_mask(a, MaskLevel::volatile_tokens);
  check_mask(a, MaskLevel::numbers);

  Similarity s = text_similarity(a, b);
  check(s.value >= 0.0 && s.value <= 1.0, "similarity in [0, 1]");
  check((s.value == 1.0) == (a == b), "similarity 1 exactly for equal texts");
  check(s.work <= 2 * k_similarity_budget + 4 * (a.size() + b.size()) + 16, "work bounded");

  std::string excerpt = diff_excerpt(a, b);
  check(excerpt.empty() == (a == b), "an excerpt exactly when the texts differ");
  check(is_valid_utf8(excerpt), "excerpts are valid UTF-8");
  check(excerpt.size() <= 2048, "excerpts are short");

  for (const auto& line : error_lines(b)) {
    check(line.size() <= k_error_line_bytes + 6, "error lines are clipped");
  }
  if (error_lines(a, k_max_original_error_lines).size() < k_max_original_error_lines) {
    check(new_error_lines(a, a).empty(), "no new errors against itself");
  }
  check(printable(a).find('\n') == std::string::npos && is_valid_utf8(printable(a)),
        "printable is one valid line");
  check(is_valid_utf8(to_valid_utf8(a)), "to_valid_utf8 is valid");
  return 0;
}
