#include "sensor/paths.hpp"

#include <gtest/gtest.h>
#include <map>

using namespace slim::sensor;

namespace {

// A fake file system: path -> symlink target.
LinkLookup links(std::map<std::string, std::string> table) {
  return [table = std::move(table)](const std::string& path) -> std::optional<std::string> {
    auto it = table.find(path);
    if (it == table.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

} // namespace

TEST(SensorPaths, JoinsRelativeToBaseAndKeepsAbsolute) {
  EXPECT_EQ(join_path("/app", "data/x"), "/app/data/x");
  EXPECT_EQ(join_path("/", "etc"), "/etc");
  EXPECT_EQ(join_path("/app", "/etc/passwd"), "/etc/passwd");
}

TEST(SensorPaths, NormalizesDotsAndSlashes) {
  EXPECT_EQ(normalize_path("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(normalize_path("/a/b/../c"), "/a/c");
  EXPECT_EQ(normalize_path("/../../x"), "/x");
  EXPECT_EQ(normalize_path("/"), "/");
}

TEST(SensorPaths, IgnoresSensorAndPseudoFileSystems) {
  EXPECT_TRUE(is_ignored_path("/.slim/sensor"));
  EXPECT_TRUE(is_ignored_path("/.slim"));
  EXPECT_TRUE(is_ignored_path("/proc/self/fd/3"));
  EXPECT_TRUE(is_ignored_path("/sys"));
  EXPECT_TRUE(is_ignored_path("/dev/null"));
  EXPECT_TRUE(is_ignored_path("socket:[1234]"));
  EXPECT_FALSE(is_ignored_path("/device/x"));
  EXPECT_FALSE(is_ignored_path("/.slimmer"));
  EXPECT_FALSE(is_ignored_path("/process"));
  EXPECT_FALSE(is_ignored_path("/etc/passwd"));
}

TEST(SensorPaths, ResolvesRelativeAndDotDotWithoutLinks) {
  auto r = resolve_path(join_path("/srv/app", "../data/./f.txt"), true, links({}));
  EXPECT_EQ(r.path, "/srv/data/f.txt");
  EXPECT_TRUE(r.symlinks.empty());
}

TEST(SensorPaths, WalksThroughADirectorySymlinkInTheMiddle) {
  // /lib -> usr/lib (relative), like merged-usr Debian.
  auto r = resolve_path("/lib/x86_64-linux-gnu/libc.so.6", true, links({{"/lib", "usr/lib"}}));
  EXPECT_EQ(r.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  ASSERT_EQ(r.symlinks.size(), 1U);
  EXPECT_EQ(r.symlinks[0], "/lib");
}

TEST(SensorPaths, DotDotAfterASymlinkAppliesToTheTarget) {
  // /a/link -> /x/y; /a/link/../z is /x/z, not /a/z.
  auto r = resolve_path("/a/link/../z", true, links({{"/a/link", "/x/y"}}));
  EXPECT_EQ(r.path, "/x/z");
  EXPECT_EQ(r.symlinks, std::vector<std::string>{"/a/link"});
}

TEST(SensorPaths, FinalSymlinkFollowedOnlyWhenAsked) {
  auto table = links({{"/usr/bin/python3", "python3.11"}, {"/bin", "usr/bin"}});
  auto followed = resolve_path("/bin/python3", true, table);
  EXPECT_EQ(followed.path, "/usr/bin/python3.11");
  EXPECT_EQ(followed.symlinks, (std::vector<std::string>{"/bin", "/usr/bin/python3"}));
  auto not_followed = resolve_path("/bin/python3", false, table);
  EXPECT_EQ(not_followed.path, "/usr/bin/python3");
  EXPECT_EQ(not_followed.symlinks, std::vector<std::string>{"/bin"});
}

TEST(SensorPaths, ChainedLinksAndLoopsEnd) {
  auto chain = resolve_path("/a", true, links({{"/a", "/b"}, {"/b", "c"}}));
  EXPECT_EQ(chain.path, "/c");
  EXPECT_EQ(chain.symlinks.size(), 2U);
  auto loop = resolve_path("/loop/x", true, links({{"/loop", "/loop"}}));
  EXPECT_LE(loop.symlinks.size(), 40U); // gives up like ELOOP instead of spinning
}
