#include "slim/verify/text_diff.hpp"
#include "slim/verify/utf8_text.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <random>

namespace slim::verify {
namespace {

// 2 * LCS / (n + m) over tokens, by the textbook table (small inputs only).
double reference_similarity(std::string_view a, std::string_view b) {
  auto ta = split_tokens(a);
  auto tb = split_tokens(b);
  if (ta.empty() && tb.empty()) {
    return 1.0;
  }
  std::vector<std::vector<int>> t(ta.size() + 1, std::vector<int>(tb.size() + 1, 0));
  for (std::size_t i = 1; i <= ta.size(); ++i) {
    for (std::size_t j = 1; j <= tb.size(); ++j) {
      t[i][j] = ta[i - 1] == tb[j - 1] ? t[i - 1][j - 1] + 1 : std::max(t[i - 1][j], t[i][j - 1]);
    }
  }
  return 2.0 * t[ta.size()][tb.size()] / static_cast<double>(ta.size() + tb.size());
}

TEST(TextDiff, Tokens) {
  auto t = split_tokens("<p>Hello  wörld_2</p>\n\n");
  std::vector<std::string_view> expected = {"<", "p", ">", "Hello", "  ",  "wörld_2",
                                            "<", "/", "p", ">",     "\n\n"};
  EXPECT_EQ(t, expected);
  auto bad = split_tokens("a\xff\xfe");
  EXPECT_EQ(bad.size(), 3u); // an invalid byte is a token of its own
}

TEST(TextDiff, SimilarityBounds) {
  EXPECT_EQ(text_similarity("", "").value, 1.0);
  EXPECT_EQ(text_similarity("same text", "same text").value, 1.0);
  EXPECT_EQ(text_similarity("abc", "").value, 0.0);
  EXPECT_EQ(text_similarity("one two", "three").value, 0.0);
  // 7 tokens each, 6 common: 12/14.
  EXPECT_NEAR(text_similarity("a b c d", "a b x d").value, 12.0 / 14.0, 1e-12);
}

TEST(TextDiff, SimilarityIsTheTokenLcsOnRandomTexts) {
  std::mt19937 rng(7);
  const char* pieces[] = {"a", "b", " ", "cc", ",", "\n", "dé", "x", "  "};
  for (int round = 0; round < 3000; ++round) {
    std::string a;
    std::string b;
    for (unsigned i = rng() % 30; i > 0; --i) {
      a += pieces[rng() % 9];
    }
    for (unsigned i = rng() % 30; i > 0; --i) {
      b += pieces[rng() % 9];
    }
    if (rng() % 2 == 0) {
      b = a.substr(0, a.size() / 2) + b + a.substr(a.size() / 2);
    }
    Similarity s = text_similarity(a, b);
    ASSERT_EQ(s.method, SimilarityMethod::tokens);
    ASSERT_NEAR(s.value, reference_similarity(a, b), 1e-12) << "[" << a << "] [" << b << "]";
  }
}

TEST(TextDiff, OneMebibyteWithFewChangesIsExact) {
  std::string a;
  while (a.size() < (1u << 20)) {
    a += "<tr><td>row " + std::to_string(a.size()) + "</td><td>in stock</td></tr>\n";
  }
  std::string b = a;
  b.replace(1000, 5, "CHANGED");
  b.replace(500000, 3, "");
  b.replace(900000, 2, "xyz");
  Similarity s = text_similarity(a, b);
  EXPECT_EQ(s.method, SimilarityMethod::tokens);
  EXPECT_GT(s.value, 0.999);
  EXPECT_LT(s.value, 1.0);
  EXPECT_LE(s.work, 2 * (k_similarity_budget + (1u << 20)));
}

TEST(TextDiff, OneMebibyteOfUnrelatedTextStaysWithinTheBudget) {
  std::mt19937 rng(3);
  std::string a;
  std::string b;
  while (a.size() < (1u << 20)) {
    a += std::to_string(rng() % 1000) + (rng() % 10 == 0 ? "\n" : " ");
    b += std::to_string(rng() % 1000) + (rng() % 10 == 0 ? "\n" : " ");
  }
  Similarity s = text_similarity(a, b);
  EXPECT_EQ(s.method, SimilarityMethod::anchored); // the token pass gave up
  EXPECT_LE(s.work, 2 * (k_similarity_budget + (1u << 20)));
  EXPECT_LT(s.value, 0.2);
}

TEST(TextDiff, ManyScatteredChangesAreAnchoredOnUniqueLines) {
  // Every other line differs by a comma: too many token edits for the exact pass, but the
  // equal lines anchor the alignment and each changed line is compared by tokens.
  std::string a;
  std::string b;
  for (int i = 0; i < 20000; ++i) {
    std::string line = "line " + std::to_string(i) + " of the listing with some words\n";
    a += line;
    b += i % 2 == 0 ? line : "line " + std::to_string(i) + " of the listing, with some words\n";
  }
  Similarity s = text_similarity(a, b);
  EXPECT_EQ(s.method, SimilarityMethod::anchored);
  // 16 tokens per line of a, 17 per changed line of b, all of a's in common.
  EXPECT_NEAR(s.value, 2.0 * 16 * 20000 / (16 * 20000 + 16 * 10000 + 17 * 10000), 1e-9);
  EXPECT_LE(s.work, 2 * (k_similarity_budget + a.size() + b.size()));
}

TEST(TextDiff, OneLineWithManyChangesIsAnchoredOnUniqueTokens) {
  // Minified JSON on one line, a counter changed in every record: no lines to anchor on, but
  // the ids occur once each.
  std::mt19937 rng(5);
  std::string a = "[";
  std::string b = "[";
  for (int i = 0; i < 30000; ++i) {
    std::string id = "{\"id\":\"u-" + std::to_string(i) + "\",\"hits\":";
    a += id + std::to_string(1000000 + rng() % 9000000) + "},";
    b += id + std::to_string(1000000 + rng() % 9000000) + "},";
  }
  a += "]";
  b += "]";
  Similarity s = text_similarity(a, b);
  EXPECT_EQ(s.method, SimilarityMethod::anchored);
  // 18 tokens per record, one of them changed: the anchors find all the rest.
  EXPECT_NEAR(s.value, 17.0 / 18.0, 0.001);
  EXPECT_LE(s.work, 2 * (k_similarity_budget + a.size() + b.size()));
}

TEST(TextDiff, ExcerptShowsWholeWordsAroundTheChange) {
  EXPECT_EQ(diff_excerpt("<p>Hello world</p>", "<p>Hello wörld</p>"),
            "<p>Hello [-world-]{+wörld+}</p>");
  EXPECT_EQ(diff_excerpt("same", "same"), "");
  EXPECT_EQ(diff_excerpt("a b c", "a b c d"), "a b c{+ d+}");
  EXPECT_EQ(diff_excerpt("a b c d", "a b d"), "a b [-c -]d");
}

TEST(TextDiff, ExcerptEscapesControlCharacters) {
  EXPECT_EQ(diff_excerpt("one\ntwo\nthree\n", "one\n2\nthree\n"), "one\\n[-two-]{+2+}\\nthree\\n");
  EXPECT_EQ(diff_excerpt("x\ty", "x\tz\x01"), "x\\t[-y-]{+z\\x01+}");
}

TEST(TextDiff, ExcerptCapsContextAndSidesAtUtf8Boundaries) {
  const std::string before(30, 'x');
  const std::string umlauts = "äöü äöü äöü äöü äöü äöü äöü äöü "; // 2-byte characters
  const std::string a = before + umlauts + " Apfel " + umlauts + umlauts + umlauts;
  const std::string b = before + umlauts + " Birne " + umlauts + umlauts + umlauts;
  ExcerptLimits limits;
  limits.context = 11; // lands inside a character on both sides
  limits.side = 3;
  std::string e = diff_excerpt(a, b, limits);
  EXPECT_TRUE(is_valid_utf8(e)) << e;
  EXPECT_EQ(e.rfind("…", 0), 0u) << e; // cut context before
  EXPECT_NE(e.find("[-Apf…-]{+Bir…+}"), std::string::npos) << e;
  EXPECT_EQ(e.substr(e.size() - 3), "…") << e; // cut context after
  // Each side of a long change is capped.
  std::string long_a(5000, 'a');
  std::string long_b(5000, 'b');
  std::string capped = diff_excerpt("start " + long_a, "start " + long_b);
  EXPECT_LT(capped.size(), 400u);
  EXPECT_NE(capped.find("[-aaa"), std::string::npos);
}

TEST(TextDiff, ExcerptOfABodyThatLostHalfItsContent) {
  std::string a = "<ul>\n";
  std::string b = a;
  for (int i = 0; i < 40; ++i) {
    a += "<li>item " + std::to_string(i) + "</li>\n";
    b += i < 20 ? "<li>item " + std::to_string(i) + "</li>\n" : "";
  }
  a += "</ul>\n";
  b += "</ul>\n";
  std::string e = diff_excerpt(a, b);
  // The deletion starts a line rather than inside `<li>`.
  EXPECT_NE(e.find("<li>item 19</li>\\n[-<li>item 20</li>\\n"), std::string::npos) << e;
  EXPECT_EQ(e.rfind("…", 0), 0u) << e;
  EXPECT_EQ(e.find("{+"), std::string::npos) << e;  // nothing was added
  EXPECT_NE(e.find("…-]"), std::string::npos) << e; // the lost part is capped
}

} // namespace
} // namespace slim::verify
