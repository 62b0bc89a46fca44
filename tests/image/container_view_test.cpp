#include "slim/image/container_view.hpp"

#include <gtest/gtest.h>

namespace slim::image {
namespace {

Entry dir(std::string p, std::int64_t mtime = 100) {
  return Entry{.path = std::move(p), .type = EntryType::directory, .mode = 0755, .mtime = mtime};
}
Entry file(std::string p, std::uint64_t data, std::int64_t size = 3) {
  return Entry{.path = std::move(p),
               .type = EntryType::regular,
               .mode = 0644,
               .size = size,
               .data = DataRef{0, data}};
}
Entry link(std::string p, std::string target) {
  return Entry{.path = std::move(p),
               .type = EntryType::symlink,
               .mode = 0700,
               .link_target = std::move(target)};
}

FileIndex index_of(std::vector<Entry> entries) {
  FileIndex idx;
  for (auto& e : entries) {
    idx.put(std::move(e));
  }
  return idx;
}

TEST(ContainerView, DropsWhatTheEngineAddsAndKeepsEtcsChildren) {
  auto idx = index_of({dir("/"), dir("/etc"), file("/etc/passwd", 1), file("/etc/hosts", 2),
                       file("/etc/hostname", 3), file("/etc/resolv.conf", 4),
                       link("/etc/mtab", "../proc/self/mounts"), file("/.dockerenv", 5),
                       dir("/proc"), file("/proc/x", 6), dir("/dev"), file("/dev/null", 7),
                       dir("/sys"), dir("/.slim"), file("/.slim/sensor", 8), dir("/usr")});
  to_container_view(idx, {.created = 1000});
  std::vector<std::string> left;
  idx.for_each([&](const Entry& e) { left.push_back(e.path); });
  EXPECT_EQ(left, (std::vector<std::string>{"/", "/etc/passwd", "/usr"}));
  EXPECT_TRUE(is_engine_path("/dev/shm"));
  EXPECT_TRUE(is_engine_path("/etc/hosts"));
  EXPECT_FALSE(is_engine_path("/etc"));
  EXPECT_FALSE(is_engine_path("/device"));
}

TEST(ContainerView, RootIsOneFixedDirectory) {
  Entry root = dir("/", 999);
  root.mode = 0700;
  root.uid = 5;
  auto idx = index_of({root});
  to_container_view(idx, {.created = 1000});
  ASSERT_NE(idx.find("/"), nullptr);
  EXPECT_EQ(idx.find("/")->mode, 0755u);
  EXPECT_EQ(idx.find("/")->uid, 0u);
  EXPECT_EQ(idx.find("/")->mtime, 0);
  FileIndex empty;
  to_container_view(empty, {});
  EXPECT_NE(empty.find("/"), nullptr);
}

TEST(ContainerView, NoNamesSymlinksAre0777AndUnseenXattrsGo) {
  Entry f = file("/f", 1);
  f.uname = "root";
  f.gname = "adm";
  f.xattrs = {{"security.capability", "cap"}, {"trusted.x", "t"}, {"user.u", "u"}};
  Entry l = link("/l", "f");
  l.xattrs = {{"user.u", "u"}, {"security.selinux", "s"}};
  auto idx = index_of({f, l});
  to_container_view(idx, {.created = 1000});
  EXPECT_EQ(idx.find("/f")->uname, "");
  EXPECT_EQ(idx.find("/f")->gname, "");
  EXPECT_EQ(idx.find("/f")->xattrs,
            (std::map<std::string, std::string>{{"security.capability", "cap"}, {"user.u", "u"}}));
  EXPECT_EQ(idx.find("/l")->mode, 0777u);
  EXPECT_EQ(idx.find("/l")->xattrs,
            (std::map<std::string, std::string>{{"security.selinux", "s"}}));
}

TEST(ContainerView, DirectoryTimesAfterTheImagesCreationAreClamped) {
  Entry later = dir("/later", 2000);
  later.mtime_nsec = 5;
  Entry same = dir("/same", 1000);
  same.mtime_nsec = 7;
  Entry file_later = file("/file", 1);
  file_later.mtime = 5000;
  auto idx = index_of({dir("/early", 500), later, same, dir("/exact", 1000), file_later});
  to_container_view(idx, {.created = 1000});
  EXPECT_EQ(idx.find("/early")->mtime, 500);
  EXPECT_EQ(idx.find("/later")->mtime, 1000);
  EXPECT_EQ(idx.find("/later")->mtime_nsec, 0u);
  EXPECT_EQ(idx.find("/same")->mtime_nsec, 0u);
  EXPECT_EQ(idx.find("/exact")->mtime, 1000);
  EXPECT_EQ(idx.find("/file")->mtime, 5000); // files keep theirs: they always come from a header
}

TEST(ContainerView, VolumeDirectoriesHaveTheCreationTimeAndAreMadeWhenMissing) {
  auto idx =
      index_of({dir("/data", 10), dir("/data/sub", 20), file("/data/sub/f", 1), dir("/var", 30),
                link("/var/run", "/run"), dir("/run", 40), dir("/other", 50)});
  to_container_view(idx, {.created = 1000, .volumes = {"/data", "/var/run/app", "/new/vol"}});
  EXPECT_EQ(idx.find("/data")->mtime, 1000);
  EXPECT_EQ(idx.find("/data/sub")->mtime, 1000);
  EXPECT_EQ(idx.find("/other")->mtime, 50);
  ASSERT_NE(idx.find("/run/app"), nullptr); // through the symlink, as the engine mounts it
  EXPECT_EQ(idx.find("/run/app")->type, EntryType::directory);
  EXPECT_EQ(idx.find("/run/app")->mode, 0755u);
  ASSERT_NE(idx.find("/new/vol"), nullptr);
  // Its missing parent too, as the engine makes it (the pristine container's walk sees it).
  ASSERT_NE(idx.find("/new"), nullptr);
  EXPECT_EQ(idx.find("/new")->type, EntryType::directory);
  EXPECT_EQ(idx.find("/new")->mode, 0755u);
  EXPECT_EQ(idx.find("/new")->mtime, 1000);
  EXPECT_EQ(resolved_volumes(idx, {"/var/run/app", "/data", "/data/", "/proc/x", "/"}),
            (std::vector<std::string>{"/data", "/run/app"}));
}

TEST(ContainerView, HardLinksFirstNameHoldsTheBytesAndVolumesSplitThem) {
  Entry a = file("/z/a", 7);
  Entry b = file("/b", 7);
  b.type = EntryType::hardlink; // the tar's order made /b the link
  b.link_target = "/z/a";
  Entry orphan = file("/orphan", 8);
  orphan.type = EntryType::hardlink; // its target was whited out
  orphan.link_target = "/gone";
  Entry in_vol = file("/vol/c", 7);
  Entry in_vol2 = file("/vol/d", 7);
  auto idx = index_of({a, b, orphan, dir("/vol"), in_vol, in_vol2, file("/single", 9)});
  to_container_view(idx, {.created = 1000, .volumes = {"/vol"}});
  EXPECT_EQ(idx.find("/b")->type, EntryType::regular);
  EXPECT_EQ(idx.find("/b")->link_target, "");
  EXPECT_EQ(idx.find("/z/a")->type, EntryType::hardlink);
  EXPECT_EQ(idx.find("/z/a")->link_target, "/b");
  EXPECT_EQ(idx.find("/orphan")->type, EntryType::regular);
  // The volume's copy is another file: its names link to each other, not to /b.
  EXPECT_EQ(idx.find("/vol/c")->type, EntryType::regular);
  EXPECT_EQ(idx.find("/vol/d")->type, EntryType::hardlink);
  EXPECT_EQ(idx.find("/vol/d")->link_target, "/vol/c");
  EXPECT_NE(idx.find("/vol/c")->data, idx.find("/b")->data);
  EXPECT_EQ(idx.find("/vol/c")->data.offset, idx.find("/b")->data.offset); // same bytes
  EXPECT_EQ(idx.find("/vol/c")->data, idx.find("/vol/d")->data);
  EXPECT_EQ(idx.find("/b")->data.copy, 0u);
}

} // namespace
} // namespace slim::image
