// `slim build` on hostile images crafted by the test (static busybox inside, loaded into the
// real engine) and against an app that forges the sensor's report: setuid/setgid bits and file
// capabilities kept exactly, hard links whose target a later layer whiteouts, symlinks that
// climb out of the root, odd names, and reports the app wrote itself.
#include "support/crafted_image.hpp"
#include "support/support.hpp"

#include <fstream>
#include <gtest/gtest.h>

namespace slim::it {
namespace {

using T = CraftedEntry::Type;

std::string read_host_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// security.capability v2 granting cap_net_bind_service (bit 10) permitted + effective.
std::string net_bind_capability() {
  std::string v(20, '\0');
  v[0] = 0x01; // magic_etc 0x02000001 little-endian: VFS_CAP_REVISION_2 | effective
  v[3] = 0x02;
  v[5] = 0x04; // data[0].permitted = 1 << 10
  return v;
}

/// A busybox image with `extra` entries and `cmd` as its CMD, loaded and guarded.
CraftedImage busybox_image(CraftKit& kit, const std::string& name,
                           std::vector<std::vector<CraftedEntry>> layers,
                           const std::vector<std::string>& cmd) {
  static const std::string busybox = busybox_binary(kit.client());
  auto base = busybox_entries(busybox);
  layers.front().insert(layers.front().begin(), base.begin(), base.end());
  return kit.load("slim-test/hostile-" + name + ":latest", layers, {{"Cmd", cmd}});
}

/// What one `slim build` did.
struct Build {
  CommandResult run;
  std::string tag;
  std::map<std::string, TarMember> members; ///< the new image's layer (from --output-tar)
};

/// `slim build` of `image` into slim-test/hostile-NAME.slim (loaded and guarded) and a tar.
Build slim_build(CraftKit& kit, const CraftedImage& image, const std::string& extra = "") {
  Build b;
  b.tag = image.tag.substr(0, image.tag.rfind(':')) + ".slim:latest";
  kit.guard(b.tag);
  auto tar = kit.dir() / "built.tar";
  b.run = run_command(slim_binary() + " build --log-level warn --no-seccomp -t " + b.tag +
                          " --report " + (kit.dir() / "report.json").string() +
                          " --seccomp-profile " + (kit.dir() / "seccomp.json").string() +
                          " --output-tar " + tar.string() + " " + extra + " " + image.tag,
                      std::chrono::seconds(240));
  if (b.run.exit_code == 0) {
    b.members = archive_layer_members(tar);
  }
  return b;
}

/// No container of slim's is left behind from `image` or the image built from it (other slim
/// runs may share the engine, so only containers of these images count).
void expect_no_slim_containers(const CraftedImage& image) {
  std::string built = image.tag.substr(0, image.tag.rfind(':')) + ".slim:latest";
  for (const auto& name : {image.tag, built}) {
    auto left =
        run_command("docker ps -aq --filter label=io.slim.owner=slim --filter ancestor=" + name);
    EXPECT_EQ(left.out, "") << name;
  }
}

TEST(HostileBuild, SetuidSetgidAndCapabilitiesKeptExactly) {
  CraftKit kit("caps");
  const std::string caps = net_bind_capability();
  auto img = busybox_image(
      kit, "caps",
      {{{.path = "usr", .type = T::directory, .mode = 0755},
        {.path = "usr/local", .type = T::directory, .mode = 0755},
        {.path = "usr/local/bin", .type = T::directory, .mode = 0755},
        {.path = "usr/local/bin/suid", .content = "#!/bin/sh\necho suid\n", .mode = 04755},
        {.path = "usr/local/bin/sgid",
         .content = "#!/bin/sh\necho sgid\n",
         .mode = 02750,
         .gid = 50},
        {.path = "usr/local/bin/capped",
         .content = "#!/bin/sh\necho capped\n",
         .mode = 0755,
         .xattrs = {{"security.capability", caps}}},
        {.path = "shared", .type = T::directory, .mode = 01777},
        {.path = "shared/f", .content = "shared\n", .mode = 06644}}},
      {"/bin/sh", "-c",
       "/usr/local/bin/suid; /usr/local/bin/sgid; /usr/local/bin/capped; cat /shared/f"});
  struct Want {
    std::string path;
    unsigned mode;
    bool caps;
  };
  const std::vector<Want> wants = {{"usr/local/bin/suid", 04755, false},
                                   {"usr/local/bin/sgid", 02750, false},
                                   {"usr/local/bin/capped", 0755, true},
                                   {"shared", 01777, false},
                                   {"shared/f", 06644, false}};
  // The engine's own view of the crafted image first: it kept what the test wrote.
  for (const auto& w : wants) {
    auto m = kit.member_in_image(img.tag, "/" + w.path);
    EXPECT_EQ(m.mode, w.mode) << "loaded image: " << w.path;
    EXPECT_EQ(m.xattrs.count("security.capability"), w.caps ? 1u : 0u) << w.path;
  }
  auto xray = run_command(slim_binary() + " xray --json " + img.tag);
  EXPECT_NE(xray.out.find("/usr/local/bin/suid"), std::string::npos) << xray.out.substr(0, 500);
  // squash, loaded into the engine, and build: the same bits and bytes.
  kit.guard("slim-test/hostile-caps.squashed:latest");
  auto sq =
      run_command(slim_binary() + " squash -t slim-test/hostile-caps.squashed:latest " + img.tag);
  ASSERT_EQ(sq.exit_code, 0) << sq.err;
  auto b = slim_build(kit, img);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.err;
  for (const auto& w : wants) {
    for (const auto& image : {std::string("slim-test/hostile-caps.squashed:latest"), b.tag}) {
      auto m = kit.member_in_image(image, "/" + w.path);
      EXPECT_EQ(m.mode, w.mode) << image << ": " << w.path;
      if (w.caps) {
        EXPECT_EQ(m.xattrs["security.capability"], caps) << image << ": " << w.path;
      } else {
        EXPECT_TRUE(m.xattrs.empty()) << image << ": " << w.path;
      }
    }
    ASSERT_TRUE(b.members.count(w.path)) << w.path;
    EXPECT_EQ(b.members[w.path].mode, w.mode) << w.path;
  }
  EXPECT_EQ(b.members["usr/local/bin/capped"].xattrs["security.capability"], caps);
  EXPECT_EQ(kit.member_in_image(b.tag, "/usr/local/bin/sgid").content, "#!/bin/sh\necho sgid\n");
  expect_no_slim_containers(img);
}

TEST(HostileBuild, HardLinkWhoseTargetIsWhitedOutSurvivesAsAFile) {
  // Layer 0: /data/target and two hard links to it; layer 1 whiteouts /data/target. overlayfs
  // hides a name, not the inode: /data/link and /data/other keep the bytes. slim must write
  // them as a regular file (one of them; the other linked to it), never as a link to a path
  // that is gone.
  CraftKit kit("hardlink");
  auto img = busybox_image(
      kit, "hardlink",
      {{{.path = "data", .type = T::directory, .mode = 0755},
        {.path = "data/target", .content = "TARGET BYTES\n", .mode = 0640},
        {.path = "data/link", .type = T::hardlink, .mode = 0640, .link_target = "data/target"},
        {.path = "data/other", .type = T::hardlink, .mode = 0640, .link_target = "data/target"}},
       {{.path = "data/.wh.target", .content = ""}}},
      {"/bin/cat", "/data/link"});
  EXPECT_EQ(kit.member_in_image(img.tag, "/data/link").content, "TARGET BYTES\n");
  auto dir = kit.dir() / "sq.tar";
  auto sq = run_command(slim_binary() + " squash -t slim-test/hostile-hl.sq:latest --output-tar " +
                        dir.string() + " " + img.tag);
  ASSERT_EQ(sq.exit_code, 0) << sq.err;
  auto squashed = archive_layer_members(dir);
  EXPECT_FALSE(squashed.count("data/target"));
  ASSERT_TRUE(squashed.count("data/link"));
  ASSERT_TRUE(squashed.count("data/other"));
  const TarMember& link = squashed["data/link"];
  const TarMember& other = squashed["data/other"];
  EXPECT_EQ(link.type, '-');
  EXPECT_EQ(link.content, "TARGET BYTES\n");
  EXPECT_EQ(other.type, 'h');
  EXPECT_EQ(other.link_target, "data/link");
  auto b = slim_build(kit, img);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.err;
  EXPECT_FALSE(b.members.count("data/target"));
  ASSERT_TRUE(b.members.count("data/link"));
  EXPECT_EQ(b.members["data/link"].type, '-');
  EXPECT_EQ(b.members["data/link"].content, "TARGET BYTES\n");
  EXPECT_EQ(b.members["data/link"].mode, 0640u);
  EXPECT_EQ(kit.member_in_image(b.tag, "/data/link").content, "TARGET BYTES\n");
  expect_no_slim_containers(img);
}

TEST(HostileBuild, SymlinksOutOfTheRootAreKeptAsLinksAndNeverFollowedOnTheHost) {
  CraftKit kit("symlinks");
  const std::string host_shadow = read_host_file("/etc/shadow");
  auto canary = kit.dir().parent_path() / ("slim-it-canary-build-" + std::to_string(::getpid()));
  const std::string canary_text = "HOST CANARY " + std::to_string(::getpid()) + "\n";
  std::ofstream(canary) << canary_text;
  auto before = std::filesystem::last_write_time(canary);
  const std::string image_shadow = "root:x:0:0:image-shadow:/root:/bin/sh\n";
  auto img = busybox_image(
      kit, "symlinks",
      {{{.path = "etc/shadow", .content = image_shadow, .mode = 0640},
        {.path = "etc/passwd",
         .type = T::symlink,
         .mode = 0777,
         .link_target = "/../../../etc/shadow"},
        {.path = "loop1", .type = T::symlink, .mode = 0777, .link_target = "loop2"},
        {.path = "loop2", .type = T::symlink, .mode = 0777, .link_target = "/loop1"},
        {.path = "up", .type = T::symlink, .mode = 0777, .link_target = "../../../../.."},
        {.path = "canary", .type = T::symlink, .mode = 0777, .link_target = canary.string()}}},
      {"/bin/sh", "-c", "cat /etc/passwd; cat /loop1; cat /canary; ls /up/ >/dev/null; true"});
  auto b = slim_build(kit, img);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.err;
  ASSERT_TRUE(b.members.count("etc/passwd"));
  EXPECT_EQ(b.members["etc/passwd"].type, 'l');
  EXPECT_EQ(b.members["etc/passwd"].link_target, "/../../../etc/shadow");
  EXPECT_EQ(b.members["etc/shadow"].content, image_shadow); // read through the link: kept
  for (const auto& [path, m] : b.members) {
    EXPECT_EQ(("/" + path + "/").find("/../"), std::string::npos) << path;
    EXPECT_NE(m.content, host_shadow) << path;
    EXPECT_EQ(m.content.find(canary_text), std::string::npos) << path;
  }
  auto report = read_host_file((kit.dir() / "report.json").string());
  EXPECT_EQ(report.find(canary_text), std::string::npos);
  EXPECT_EQ(read_host_file(canary.string()), canary_text);
  EXPECT_EQ(std::filesystem::last_write_time(canary), before);
  std::filesystem::remove(canary);
  expect_no_slim_containers(img);
}

TEST(HostileBuild, OddNamesSurviveTheBuild) {
  CraftKit kit("names");
  std::vector<CraftedEntry> layer = {{.path = "odd", .type = T::directory, .mode = 0755}};
  const std::vector<std::string> names = {"new\nline", "tab\tname", " space ", "utf8-\xc3\xa9",
                                          "bad-\xff\xfe"};
  for (const auto& n : names) {
    layer.push_back({.path = "odd/" + n, .content = "content of " + n});
  }
  auto img = busybox_image(kit, "names", {layer}, {"/bin/sh", "-c", "cat /odd/*"});
  // The sensor leaves names that are not UTF-8 out of its JSON report (with a warning), so the
  // directory is kept whole with --include-path; the other names come from the report.
  auto b = slim_build(kit, img, "--include-path /odd");
  ASSERT_EQ(b.run.exit_code, 0) << b.run.err;
  for (const auto& n : names) {
    ASSERT_TRUE(b.members.count("odd/" + n)) << n;
    EXPECT_EQ(b.members["odd/" + n].content, "content of " + n);
  }
  auto report =
      nlohmann::json::parse(read_host_file((kit.dir() / "report.json").string()), nullptr, false);
  EXPECT_FALSE(report.is_discarded());
  expect_no_slim_containers(img);
}

} // namespace
} // namespace slim::it
