#include "slim/util/cancel.hpp"
#include "slim/util/error.hpp"
#include "slim/util/sha256.hpp"
#include "slim/util/strings.hpp"
#include "slim/util/temp_dir.hpp"

#include <fstream>
#include <gtest/gtest.h>

namespace slim {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.update("ab");
  h.update("c");
  EXPECT_EQ(h.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TempDir, RemovedWithContents) {
  std::filesystem::path p;
  {
    TempDir dir("unit");
    p = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(p));
    std::filesystem::create_directories(p / "a" / "b");
    std::ofstream(p / "a" / "b" / "f") << "x";
  }
  EXPECT_FALSE(std::filesystem::exists(p));
}

TEST(Result, ValueAndError) {
  Result<int> good(3);
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 3);
  auto bad = Result<int>::fail("no");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "no");
  EXPECT_THROW(bad.value(), Error);
}

TEST(Cancel, FdBecomesReadableAndThrows) {
  int fd = cancel::fd();
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(cancel::requested());
  cancel::request();
  EXPECT_TRUE(cancel::requested());
  EXPECT_THROW(cancel::throw_if_requested(), Cancelled);
  {
    cancel::Shield shield; // cleanup may still run
    EXPECT_FALSE(cancel::requested());
    EXPECT_NO_THROW(cancel::throw_if_requested());
  }
  EXPECT_TRUE(cancel::requested());
}

} // namespace slim

#include "slim/util/small_tar.hpp"

namespace slim {

TEST(SmallTar, RoundTripAndLimits) {
  std::string tar = make_small_tar({{.path = ".slim", .mode = 0755, .directory = true},
                                    {.path = ".slim/report.json", .content = "{\"v\":1}"}});
  auto got = extract_from_small_tar(tar, "report.json", 1024);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got.value(), "{\"v\":1}");
  EXPECT_FALSE(extract_from_small_tar(tar, "missing.json", 1024).ok());
  auto too_big = extract_from_small_tar(tar, "report.json", 3);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().find("larger than"), std::string::npos);
  EXPECT_FALSE(extract_from_small_tar("garbage that is not a tar", "report.json", 1024).ok());
}

} // namespace slim

#include "slim/util/shell_words.hpp"

namespace slim {

TEST(ShellWords, SplitsLikeAShell) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_words("  a b\tc "), (V{"a", "b", "c"}));
  EXPECT_EQ(split_words("sh -c 'echo hi; exit 3'"), (V{"sh", "-c", "echo hi; exit 3"}));
  EXPECT_EQ(split_words(R"(a"b c"d e\ f "x\"y")"), (V{"ab cd", "e f", "x\"y"}));
  EXPECT_EQ(split_words("''"), (V{""}));
  EXPECT_TRUE(split_words("   ").empty());
  EXPECT_THROW(split_words("echo 'oops"), Error);
  EXPECT_THROW(split_words("echo \"oops"), Error);
}

TEST(ShellWords, QuoteRoundTrips) {
  for (std::string w : {"plain", "two words", "it's", "", "$HOME"}) {
    auto words = split_words(shell_quote(w));
    ASSERT_EQ(words.size(), 1u) << w;
    EXPECT_EQ(words[0], w);
  }
}

} // namespace slim

#include "slim/util/progress.hpp"

namespace slim {

TEST(Progress, CountsAndFormats) {
  Progress p("exporting", false);
  p.add(1'500'000);
  p.add(250'000);
  EXPECT_EQ(p.total(), 1'750'000u);
  EXPECT_EQ(Progress::format("exporting", 1'750'000), "exporting: 1.8 MB");
  EXPECT_EQ(Progress::format("loading", 0), "loading: 0.0 MB");
}

} // namespace slim

#include "slim/util/base64.hpp"

namespace slim {
namespace {

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  for (std::size_t n = 0; n <= all.size(); n += 1 + n / 3) {
    auto text = all.substr(0, n);
    auto encoded = base64_encode(text);
    EXPECT_EQ(encoded.size() % 4, 0u);
    EXPECT_EQ(base64_decode(encoded), text) << n;
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_decode("Zm8"), "fo"); // padding optional
  EXPECT_FALSE(base64_decode("Zm9v!").has_value());
  EXPECT_FALSE(base64_decode("Z").has_value());
}

} // namespace
} // namespace slim

#include "slim/util/shell_words.hpp"

namespace slim {
namespace {

TEST(ShellWords, NeedsShellForSyntaxNotForPlainCommands) {
  for (const char* plain : {"wget -qO- http://127.0.0.1:8000/", "python3 /app/check.py --fast",
                            "redis-cli ping", "/usr/bin/true"}) {
    EXPECT_FALSE(needs_shell(plain)) << plain;
  }
  for (const char* shell :
       {"i=0; while [ $i -lt 30 ]; do i=$((i+1)); done", "a && b", "a | b", "a > /tmp/x",
        "echo \"x y\"", "ls *.py", "FOO=1 app", "if true; then x; fi", "cd /app", "echo ~", "a\nb",
        "(a)", "echo `id`"}) {
    EXPECT_TRUE(needs_shell(shell)) << shell;
  }
}

} // namespace
} // namespace slim

namespace slim {
namespace {

TEST(Strings, DecodeHexTakesEitherCaseAndRefusesTheRest) {
  EXPECT_EQ(decode_hex("2F62696E2f7368"), std::optional<std::string>("/bin/sh"));
  EXPECT_EQ(decode_hex(""), std::optional<std::string>(""));
  EXPECT_EQ(decode_hex("00ff"), std::optional<std::string>(std::string("\0\xff", 2)));
  EXPECT_EQ(decode_hex("abc"), std::nullopt);
  EXPECT_EQ(decode_hex("zz"), std::nullopt);
}

} // namespace
} // namespace slim
