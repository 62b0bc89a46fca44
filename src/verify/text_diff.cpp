#include "slim/verify/text_diff.hpp"

#include "slim/verify/utf8_text.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <unordered_map>

namespace slim::verify {

namespace {

// Bytes looked at past the first difference for the excerpt, tokens skipped on each side while
// looking for where the texts agree again, and the number of places tried (each up to
// k_resync_tokens compares): the search is quadratic in the skips, so it is capped.
constexpr std::size_t k_excerpt_window = 16384;
constexpr std::size_t k_excerpt_max_skip = 2048;
constexpr std::size_t k_excerpt_max_tries = std::size_t{1} << 21;
constexpr std::size_t k_resync_tokens = 3;

enum class CharClass { word, space, other };

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The class of the character at `p` and its length in bytes.
CharClass char_class(std::string_view s, std::size_t p, std::size_t& len) {
  const auto c = static_cast<unsigned char>(s[p]);
  len = 1;
  if (c >= 0x80) {
    std::size_t n = utf8_sequence_length(s, p);
    if (n == 0) {
      return CharClass::other; // an invalid byte is a token of its own
    }
    len = n;
    return CharClass::word;
  }
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
    return CharClass::word;
  }
  return is_space(c) ? CharClass::space : CharClass::other;
}

// The end of the token that starts at `p`.
std::size_t token_end(std::string_view s, std::size_t p) {
  std::size_t len = 0;
  CharClass cls = char_class(s, p, len);
  std::size_t e = p + len;
  if (cls == CharClass::other) {
    return e;
  }
  while (e < s.size()) {
    CharClass next = char_class(s, e, len);
    if (next != cls) {
      break;
    }
    e += len;
  }
  return e;
}

// Whether a token starts (or ends) at `p`: not inside a character, not inside a run.
bool is_boundary(std::string_view s, std::size_t p) {
  if (p == 0 || p >= s.size()) {
    return true;
  }
  if (utf8_floor(s, p) != p) {
    return false;
  }
  std::size_t len = 0;
  CharClass here = char_class(s, p, len);
  CharClass before = char_class(s, utf8_floor(s, p - 1), len);
  return here != before || here == CharClass::other;
}

std::size_t count_tokens(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t p = 0; p < s.size(); p = token_end(s, p)) {
    ++n;
  }
  return n;
}

// Small ids for tokens and lines, equal exactly when their bytes are (no hash collisions).
class Interner {
public:
  std::uint32_t id(std::string_view piece) {
    auto [it, added] = m_ids.try_emplace(piece, static_cast<std::uint32_t>(m_ids.size()));
    return it->second;
  }
  std::size_t size() const { return m_ids.size(); }

  /// The ids of the tokens of `s`, or nullopt when there are more than k_max_compared_units.
  std::optional<std::vector<std::uint32_t>> tokens(std::string_view s) {
    std::vector<std::uint32_t> out;
    for (std::size_t p = 0; p < s.size();) {
      if (out.size() >= k_max_compared_units) {
        return std::nullopt;
      }
      std::size_t e = token_end(s, p);
      out.push_back(id(s.substr(p, e - p)));
      p = e;
    }
    return out;
  }

private:
  std::unordered_map<std::string_view, std::uint32_t> m_ids;
};

// Myers' greedy algorithm ("An O(ND) Difference Algorithm", 1986): the length of the shortest
// edit script (insertions + deletions) from `a` to `b`, in O((n + m) * D) time and O(D) memory.
// Round d visits d + 1 diagonals, so a budget of B steps allows about sqrt(2B) rounds (5793
// for 2^24); past the budget (checked after each diagonal, so overrun by at most one snake of
// n + m steps): nullopt.
std::optional<std::size_t> edit_distance(std::span<const std::uint32_t> a,
                                         std::span<const std::uint32_t> b, std::size_t budget,
                                         std::size_t& work) {
  const auto n = static_cast<std::ptrdiff_t>(a.size());
  const auto m = static_cast<std::ptrdiff_t>(b.size());
  if (n == 0 || m == 0) {
    return static_cast<std::size_t>(n + m);
  }
  const auto round_cap =
      static_cast<std::ptrdiff_t>(std::sqrt(2.0 * static_cast<double>(budget))) + 1;
  const std::ptrdiff_t d_max = std::min(n + m, round_cap);
  const std::ptrdiff_t off = d_max + 1;
  std::vector<std::ptrdiff_t> v(static_cast<std::size_t>(2 * d_max + 3), 0);
  const std::size_t start_work = work;
  for (std::ptrdiff_t d = 0; d <= d_max; ++d) {
    for (std::ptrdiff_t k = -d; k <= d; k += 2) {
      std::ptrdiff_t x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                             ? v[off + k + 1]
                             : v[off + k - 1] + 1;
      std::ptrdiff_t y = x - k;
      while (x < n && y < m && a[static_cast<std::size_t>(x)] == b[static_cast<std::size_t>(y)]) {
        ++x;
        ++y;
        ++work;
      }
      v[off + k] = x;
      ++work;
      if (x >= n && y >= m) {
        return static_cast<std::size_t>(d);
      }
      if (work - start_work > budget) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

// The lines of `s` (each with its newline).
std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t p = 0; p < s.size();) {
    std::size_t e = s.find('\n', p);
    e = e == std::string_view::npos ? s.size() : e + 1;
    out.push_back(s.substr(p, e - p));
    p = e;
  }
  return out;
}

using Ids = std::span<const std::uint32_t>;

// Pairs (i, j) of the ids that occur exactly once in `a` and once in `b`, the longest chain of
// them in the same order in both (patience diff's anchors); O(L log L).
std::vector<std::pair<std::size_t, std::size_t>> unique_anchors(Ids a, Ids b, std::size_t ids) {
  constexpr std::size_t k_none = static_cast<std::size_t>(-1);
  constexpr std::size_t k_many = static_cast<std::size_t>(-2);
  std::vector<std::size_t> in_a(ids, k_none);
  std::vector<std::size_t> in_b(ids, k_none);
  for (std::size_t i = 0; i < a.size(); ++i) {
    in_a[a[i]] = in_a[a[i]] == k_none ? i : k_many;
  }
  for (std::size_t j = 0; j < b.size(); ++j) {
    in_b[b[j]] = in_b[b[j]] == k_none ? j : k_many;
  }
  std::vector<std::pair<std::size_t, std::size_t>> candidates;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::size_t j = in_b[a[i]];
    if (in_a[a[i]] == i && j != k_none && j != k_many) {
      candidates.emplace_back(i, j);
    }
  }
  // The longest increasing subsequence of the b positions (candidates are in a's order).
  std::vector<std::size_t> tails; // the candidate ending the best chain of each length
  std::vector<std::size_t> previous(candidates.size(), k_none);
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    auto it =
        std::lower_bound(tails.begin(), tails.end(), candidates[c].second,
                         [&](std::size_t t, std::size_t j) { return candidates[t].second < j; });
    if (it != tails.begin()) {
      previous[c] = *(it - 1);
    }
    if (it == tails.end()) {
      tails.push_back(c);
    } else {
      *it = c;
    }
  }
  std::vector<std::pair<std::size_t, std::size_t>> chain;
  for (std::size_t c = tails.empty() ? k_none : tails.back(); c != k_none; c = previous[c]) {
    chain.push_back(candidates[c]);
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

struct Matched {
  std::size_t matched = 0; ///< tokens common to both, in order, counted on both sides
  std::size_t total = 0;   ///< tokens of a and b together
};

// The anchored comparison (a lower bound of the token LCS): lines that occur once in each text
// anchor the alignment; a stretch between anchors is compared by tokens, and when it is too big
// for that (k_direct_tokens) it is anchored again on its unique tokens first. A comparison over
// the budget counts as nothing in common.
class Anchored {
public:
  explicit Anchored(std::size_t& work) : m_work(work) {}

  Matched run(std::string_view a, std::string_view b) {
    const auto la = split_lines(a);
    const auto lb = split_lines(b);
    if (la.size() > k_max_compared_units || lb.size() > k_max_compared_units) {
      stretch(a, b);
      return m_out;
    }
    Interner lines;
    std::vector<std::uint32_t> ia;
    std::vector<std::uint32_t> ib;
    for (auto l : la) {
      ia.push_back(lines.id(l));
    }
    for (auto l : lb) {
      ib.push_back(lines.id(l));
    }
    std::size_t next_a = 0;
    std::size_t next_b = 0;
    for (auto [i, j] : unique_anchors(ia, ib, lines.size())) {
      stretch(join(la, next_a, i), join(lb, next_b, j));
      std::size_t n = count_tokens(la[i]);
      m_out.matched += 2 * n;
      m_out.total += 2 * n;
      next_a = i + 1;
      next_b = j + 1;
    }
    stretch(join(la, next_a, la.size()), join(lb, next_b, lb.size()));
    return m_out;
  }

private:
  // Stretches up to this many tokens (both sides) are compared without token anchors.
  static constexpr std::size_t k_direct_tokens = 4096;

  static std::string_view join(const std::vector<std::string_view>& lines, std::size_t from,
                               std::size_t to) {
    if (from >= to) {
      return {};
    }
    const char* start = lines[from].data();
    const char* end = lines[to - 1].data() + lines[to - 1].size();
    return {start, static_cast<std::size_t>(end - start)};
  }

  // LCS of a and b, counted on both sides, or 0 over the budget.
  std::size_t compare(Ids a, Ids b) {
    if (a.empty() || b.empty() || m_budget == 0) {
      return 0;
    }
    const std::size_t before = m_work;
    auto d = edit_distance(a, b, m_budget, m_work);
    m_budget -= std::min(m_budget, m_work - before);
    return d ? a.size() + b.size() - *d : 0;
  }

  void stretch(std::string_view sa, std::string_view sb) {
    auto ta = m_tokens.tokens(sa);
    auto tb = m_tokens.tokens(sb);
    if (!ta || !tb) {
      m_out.total += count_tokens(sa) + count_tokens(sb);
      return;
    }
    const Ids a(*ta);
    const Ids b(*tb);
    m_out.total += a.size() + b.size();
    if (a.size() + b.size() <= k_direct_tokens) {
      m_out.matched += compare(a, b);
      return;
    }
    std::size_t next_a = 0;
    std::size_t next_b = 0;
    for (auto [i, j] : unique_anchors(a, b, m_tokens.size())) {
      m_out.matched += compare(a.subspan(next_a, i - next_a), b.subspan(next_b, j - next_b)) + 2;
      next_a = i + 1;
      next_b = j + 1;
    }
    m_out.matched += compare(a.subspan(next_a), b.subspan(next_b));
  }

  std::size_t& m_work;
  std::size_t m_budget = k_similarity_budget;
  Interner m_tokens;
  Matched m_out;
};

// The common prefix and suffix of `a` and `b`, moved to token boundaries of both.
struct Common {
  std::size_t prefix = 0;
  std::size_t suffix = 0;
};

Common common_ends(std::string_view a, std::string_view b) {
  Common c;
  const std::size_t shorter = std::min(a.size(), b.size());
  while (c.prefix < shorter && a[c.prefix] == b[c.prefix]) {
    ++c.prefix;
  }
  while (c.prefix > 0 && !(is_boundary(a, c.prefix) && is_boundary(b, c.prefix))) {
    --c.prefix;
  }
  const std::size_t room = shorter - c.prefix;
  while (c.suffix < room && a[a.size() - 1 - c.suffix] == b[b.size() - 1 - c.suffix]) {
    ++c.suffix;
  }
  while (c.suffix > 0 &&
         !(is_boundary(a, a.size() - c.suffix) && is_boundary(b, b.size() - c.suffix))) {
    --c.suffix;
  }
  return c;
}

// Where the token that ends at `p` starts.
std::size_t token_start_before(std::string_view s, std::size_t p) {
  std::size_t q = utf8_floor(s, p - 1);
  while (q > 0 && !is_boundary(s, q)) {
    q = utf8_floor(s, q - 1);
  }
  return q;
}

// A pure insertion or deletion of `len` bytes of `s` at `p` can slide left while the token
// before it equals its own last token (`<li>a</li>[-<li>b</li>-]` is also `<li>a[-</li><li>b-]
// </li>`): the place where it starts a line reads best, else `p` stays.
std::size_t slide_to_line_start(std::string_view s, std::size_t p, std::size_t len) {
  constexpr int k_max_slide = 64; // tokens
  std::size_t at = p;
  for (int step = 0; step <= k_max_slide; ++step) {
    if (at == 0 || s[at - 1] == '\n') {
      return at;
    }
    std::size_t before = token_start_before(s, at);
    std::size_t last = token_start_before(s, at + len);
    if (last < at || s.substr(before, at - before) != s.substr(last, at + len - last)) {
      break;
    }
    at = before;
  }
  return p;
}

} // namespace

std::vector<std::string_view> split_tokens(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t p = 0; p < text.size();) {
    std::size_t e = token_end(text, p);
    out.push_back(text.substr(p, e - p));
    p = e;
  }
  return out;
}

Similarity text_similarity(std::string_view a, std::string_view b) {
  Similarity result;
  if (a == b) {
    return result;
  }
  const Common common = common_ends(a, b);
  const std::size_t common_tokens =
      count_tokens(a.substr(0, common.prefix)) + count_tokens(a.substr(a.size() - common.suffix));
  const std::string_view mid_a = a.substr(common.prefix, a.size() - common.prefix - common.suffix);
  const std::string_view mid_b = b.substr(common.prefix, b.size() - common.prefix - common.suffix);
  const std::size_t n = count_tokens(mid_a);
  const std::size_t m = count_tokens(mid_b);
  const double total = static_cast<double>(2 * common_tokens + n + m);
  auto with_middle = [&](double mid_similarity, SimilarityMethod method) {
    result.value =
        (2.0 * static_cast<double>(common_tokens) + mid_similarity * static_cast<double>(n + m)) /
        total;
    result.method = method;
    return result;
  };
  if (n == 0 || m == 0) {
    return with_middle(0.0, SimilarityMethod::tokens);
  }
  {
    Interner ids;
    auto ta = ids.tokens(mid_a);
    auto tb = ta ? ids.tokens(mid_b) : std::nullopt;
    if (ta && tb) {
      if (auto d = edit_distance(*ta, *tb, k_similarity_budget, result.work)) {
        return with_middle(1.0 - static_cast<double>(*d) / static_cast<double>(n + m),
                           SimilarityMethod::tokens);
      }
    }
  }
  Matched anchored = Anchored(result.work).run(mid_a, mid_b);
  // The stretches are tokenized on their own (a run of blank lines may split at an anchor), so
  // the total is theirs, not n + m.
  result.value = static_cast<double>(2 * common_tokens + anchored.matched) /
                 static_cast<double>(2 * common_tokens + anchored.total);
  result.method = SimilarityMethod::anchored;
  return result;
}

std::string diff_excerpt(std::string_view a, std::string_view b, const ExcerptLimits& limits) {
  if (a == b) {
    return "";
  }
  const std::size_t first = common_ends(a, b).prefix;
  const std::size_t window = std::max(k_excerpt_window, 4 * limits.side);
  const std::string_view wa = a.substr(first, window);
  const std::string_view wb = b.substr(first, window);
  const bool a_whole = first + wa.size() == a.size();
  const bool b_whole = first + wb.size() == b.size();
  const auto toks_a = split_tokens(wa);
  const auto toks_b = split_tokens(wb);
  const std::size_t na = toks_a.size();
  const std::size_t nb = toks_b.size();

  // The earliest (fewest tokens skipped on both sides together) point where the texts agree
  // again for a few tokens, or both end.
  auto agree_at = [&](std::size_t i, std::size_t j) {
    if (i == na && j == nb) {
      return a_whole && b_whole;
    }
    std::size_t k = 0;
    while (k < k_resync_tokens && i + k < na && j + k < nb && toks_a[i + k] == toks_b[j + k]) {
      ++k;
    }
    return k == k_resync_tokens || (i + k == na && j + k == nb && a_whole && b_whole);
  };
  std::optional<std::pair<std::size_t, std::size_t>> resync;
  const std::size_t max_i = std::min(na, k_excerpt_max_skip);
  const std::size_t max_j = std::min(nb, k_excerpt_max_skip);
  std::size_t tries = 0;
  for (std::size_t s = 0; s <= max_i + max_j && !resync && tries < k_excerpt_max_tries; ++s) {
    for (std::size_t i = s > max_j ? s - max_j : 0; i <= std::min(s, max_i); ++i) {
      ++tries;
      if (agree_at(i, s - i)) {
        resync = std::make_pair(i, s - i);
        break;
      }
    }
  }
  auto bytes_of = [](const std::vector<std::string_view>& toks, std::size_t count) {
    std::size_t n = 0;
    for (std::size_t t = 0; t < count; ++t) {
      n += toks[t].size();
    }
    return n;
  };
  const std::size_t del_len = resync ? bytes_of(toks_a, resync->first) : wa.size();
  const std::size_t ins_len = resync ? bytes_of(toks_b, resync->second) : wb.size();
  std::size_t p = first;
  if (resync && (del_len == 0) != (ins_len == 0)) {
    p = slide_to_line_start(del_len > 0 ? a : b, first, del_len + ins_len);
  }

  std::string out;
  std::size_t before = p > limits.context ? p - limits.context : 0;
  while (before < p && utf8_floor(a, before) != before) {
    ++before; // start on a whole character
  }
  if (before > 0) {
    out += "…";
  }
  out += printable(a.substr(before, p - before));
  const std::string_view del = a.substr(p, del_len);
  const std::string_view ins = b.substr(p, ins_len);
  // A part that goes on past what was looked at ends with "…" like a clipped one.
  auto part = [&](std::string_view text, bool complete) {
    return text.size() > limits.side || complete ? printable(clip_utf8(text, limits.side))
                                                 : printable(text) + "…";
  };
  if (!del.empty()) {
    out += "[-" + part(del, resync || a_whole) + "-]";
  }
  if (!ins.empty()) {
    out += "{+" + part(ins, resync || b_whole) + "+}";
  }
  if (resync) {
    const std::size_t after = p + ins_len;
    const std::size_t end = utf8_floor(b, std::min(b.size(), after + limits.context));
    out += printable(b.substr(after, end - after));
    if (end < b.size()) {
      out += "…";
    }
  }
  return out;
}

} // namespace slim::verify
