#include "slim/verify/utf8_text.hpp"

#include <gtest/gtest.h>

namespace slim::verify {
namespace {

TEST(Utf8Text, Validity) {
  EXPECT_TRUE(is_valid_utf8("plain, wörld, ⟨n⟩, 😀"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));             // cut
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));         // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));     // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("a\x80z"));           // stray continuation
  EXPECT_EQ(utf8_sequence_length("😀", 0), 4u);
}

TEST(Utf8Text, FloorNeverLandsInsideACharacter) {
  const std::string s = "aö😀b"; // a, C3 B6, F0 9F 98 80, b
  EXPECT_EQ(utf8_floor(s, 0), 0u);
  EXPECT_EQ(utf8_floor(s, 2), 1u);
  EXPECT_EQ(utf8_floor(s, 3), 3u);
  EXPECT_EQ(utf8_floor(s, 5), 3u);
  EXPECT_EQ(utf8_floor(s, 6), 3u);
  EXPECT_EQ(utf8_floor(s, 7), 7u);
  EXPECT_EQ(utf8_floor(s, 99), s.size());
  EXPECT_EQ(utf8_floor("a\x80\x80z", 2), 2u); // invalid bytes are units of their own
}

TEST(Utf8Text, ClipCutsAtCharacters) {
  EXPECT_EQ(clip_utf8("wörld", 2), "w…");
  EXPECT_EQ(clip_utf8("wörld", 3), "wö…");
  EXPECT_EQ(clip_utf8("wörld", 6), "wörld");
}

TEST(Utf8Text, PrintableEscapesControlsAndInvalidBytes) {
  EXPECT_EQ(printable("a\nb\tc\r\x01\x7f"), "a\\nb\\tc\\r\\x01\\x7f");
  EXPECT_EQ(printable("wö\xff"), "wö\\xff");
  EXPECT_TRUE(is_valid_utf8(printable("\xC3\x28\xE2\x82")));
}

TEST(Utf8Text, ToValidUtf8ReplacesInvalidBytesOnly) {
  EXPECT_EQ(to_valid_utf8("ok\nwö"), "ok\nwö");
  EXPECT_EQ(to_valid_utf8("a\xff"
                          "b"),
            "a\xEF\xBF\xBD"
            "b");
}

} // namespace
} // namespace slim::verify
