#include "slim/keep/glob.hpp"

#include <gtest/gtest.h>

namespace slim::keep {
namespace {

TEST(Glob, StarStaysInsideAComponent) {
  EXPECT_TRUE(glob_match("/etc/*.conf", "/etc/ld.so.conf"));
  EXPECT_FALSE(glob_match("/etc/*.conf", "/etc/ld.so.conf.d/x.conf"));
  EXPECT_TRUE(glob_match("/etc/ld.so.conf.d/*.conf", "/etc/ld.so.conf.d/x86_64-linux-gnu.conf"));
  EXPECT_FALSE(glob_match("/etc/*", "/etc"));
  EXPECT_TRUE(glob_match("/a/*", "/a/"));
}

TEST(Glob, DoubleStarCrossesDirectories) {
  EXPECT_TRUE(glob_match("/usr/**/*.pyc", "/usr/lib/python3/x.pyc"));
  EXPECT_TRUE(glob_match("/usr/**/*.pyc", "/usr/x.pyc")); // zero directories
  EXPECT_FALSE(glob_match("/usr/**/*.pyc", "/usr/x.py"));
  EXPECT_TRUE(glob_match("/usr/share/**", "/usr/share/doc/a/b"));
  EXPECT_FALSE(glob_match("/usr/share/**", "/usr/lib/x"));
  EXPECT_TRUE(glob_match("**", "/anything/at/all"));
}

TEST(Glob, QuestionClassesAndEscapes) {
  EXPECT_TRUE(glob_match("/lib/libc.so.?", "/lib/libc.so.6"));
  EXPECT_FALSE(glob_match("/a?b", "/a/b"));
  EXPECT_TRUE(glob_match("/x[0-9]", "/x7"));
  EXPECT_FALSE(glob_match("/x[0-9]", "/xa"));
  EXPECT_TRUE(glob_match("/x[!0-9]", "/xa"));
  EXPECT_FALSE(glob_match("/x[!0-9]", "/x5"));
  EXPECT_TRUE(glob_match("/a\\*b", "/a*b"));
  EXPECT_FALSE(glob_match("/a\\*b", "/axb"));
  EXPECT_TRUE(glob_match("/x[", "/x[")); // unterminated class is a literal
  EXPECT_TRUE(has_glob_chars("/a/*.conf"));
  EXPECT_FALSE(has_glob_chars("/a/b.conf"));
}

TEST(Glob, PathologicalPatternIsBounded) {
  std::string pattern = "/";
  for (int i = 0; i < 30; ++i) {
    pattern += "*a";
  }
  std::string path = "/" + std::string(200, 'a') + "b";
  EXPECT_FALSE(glob_match(pattern, path));                       // memoised: returns quickly
  EXPECT_FALSE(glob_match("/**", "/" + std::string(5000, 'a'))); // over the length cap
}

TEST(ExcludeSet, ParentsAndRelativePatterns) {
  ExcludeSet ex({"/usr/share/doc", "*.pyc", "/opt/**/cache/"});
  EXPECT_TRUE(ex.excluded("/usr/share/doc"));
  EXPECT_TRUE(ex.excluded("/usr/share/doc/bash/README"));
  EXPECT_FALSE(ex.excluded("/usr/share/docs"));
  EXPECT_TRUE(ex.excluded("/x.pyc"));
  EXPECT_TRUE(ex.excluded("/usr/lib/python3/__pycache__/a.pyc"));
  EXPECT_TRUE(ex.excluded("/opt/app/cache/blob"));
  EXPECT_TRUE(ex.excluded("/opt/cache"));
  EXPECT_FALSE(ex.excluded("/opt/app/data"));
  EXPECT_EQ(ex.matching_pattern("/a/b.pyc"), "*.pyc");
  EXPECT_EQ(ex.matching_pattern("/etc/passwd"), "");
  EXPECT_FALSE(ExcludeSet().excluded("/etc/passwd"));
}

} // namespace
} // namespace slim::keep
