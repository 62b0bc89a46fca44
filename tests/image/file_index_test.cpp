#include "slim/image/file_index.hpp"

#include <gtest/gtest.h>

namespace slim::image {
namespace {

Entry dir(std::string p) { return Entry{.path = std::move(p), .type = EntryType::directory, .mode = 0755}; }
Entry file(std::string p) { return Entry{.path = std::move(p), .type = EntryType::regular, .mode = 0644}; }
Entry link(std::string p, std::string target) {
  return Entry{.path = std::move(p), .type = EntryType::symlink, .mode = 0777, .link_target = std::move(target)};
}

TEST(NormalizePath, Forms) {
  EXPECT_EQ(normalize_path(""), "/");
  EXPECT_EQ(normalize_path("./"), "/");
  EXPECT_EQ(normalize_path("usr//bin/./x/"), "/usr/bin/x");
  EXPECT_EQ(normalize_path("../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(normalize_path("/a/b/../c"), "/a/c");
  EXPECT_EQ(parent_path("/a/b"), "/a");
  EXPECT_EQ(parent_path("/a"), "/");
  EXPECT_EQ(parent_path("/"), "/");
}

TEST(FileIndex, ChildrenAndErase) {
  FileIndex idx;
  idx.put(dir("/"));
  idx.put(dir("/a"));
  idx.put(file("/a/x"));
  idx.put(dir("/a/d"));
  idx.put(file("/a/d/y"));
  idx.put(file("/ab"));
  auto kids = idx.children("/a");
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0]->path, "/a/d");
  EXPECT_EQ(kids[1]->path, "/a/x");
  EXPECT_EQ(idx.subtree("/a").size(), 3u);
  idx.erase_children("/a");
  EXPECT_NE(idx.find("/a"), nullptr);
  EXPECT_EQ(idx.find("/a/d/y"), nullptr);
  EXPECT_NE(idx.find("/ab"), nullptr); // a sibling with the same prefix survives
}

TEST(FileIndex, ResolveMergedUsrAndRelativeLinks) {
  FileIndex idx;
  idx.put(dir("/"));
  idx.put(dir("/usr"));
  idx.put(dir("/usr/lib"));
  idx.put(link("/lib", "usr/lib"));
  idx.put(link("/usr/lib/libz.so.1", "libz.so.1.2.13"));
  idx.put(file("/usr/lib/libz.so.1.2.13"));
  std::vector<std::string> walked;
  auto r = idx.resolve("/lib/libz.so.1", &walked);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "/usr/lib/libz.so.1.2.13");
  EXPECT_EQ(walked, (std::vector<std::string>{"/lib", "/usr/lib/libz.so.1"}));
}

TEST(FileIndex, ResolveStaysInsideTheImageAndStopsOnLoops) {
  FileIndex idx;
  idx.put(dir("/etc"));
  idx.put(link("/etc/passwd", "/../../../etc/shadow"));
  EXPECT_EQ(idx.resolve("/etc/passwd").value(), "/etc/shadow");
  idx.put(link("/a", "b"));
  idx.put(link("/b", "a"));
  EXPECT_FALSE(idx.resolve("/a/x").has_value());
}

} // namespace
} // namespace slim::image
