// The pristine container and the export give the same image (issue 13). Every hostile image
// is built twice, once from each source, keeping the whole image (`--include-path /`, so the
// two profiling runs' reports cannot differ in what they select): the image IDs must be equal,
// and so must the layers' members (names, types, modes, owners, times, xattrs, hard links,
// devices, bytes). Every fixture is built keeping the whole image through both sources at once
// (`--source compare`: the two layers byte for byte the same). Then `--source compare` builds
// each with its own run's report, which fails unless the keep sets (file heads read in rounds
// from the pristine container) and the layers are the same.
#include "support/crafted_image.hpp"
#include "support/served.hpp"
#include "support/support.hpp"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>

namespace slim::it {
namespace {

using T = CraftedEntry::Type;

// The run only has to start the app: what is kept is the whole image or the report of one run.
const char* k_run_flags = "--log-level info --no-verify --no-seccomp --allow-app-failure "
                          "--http-probe=false --continue-after timeout:2 --stop-timeout 2";

struct Built {
  CommandResult run;
  std::string id;
  std::map<std::string, TarMember> members;
};

Built build(const std::filesystem::path& dir, const std::string& image, const std::string& source,
            const std::string& extra) {
  Built b;
  auto tar = dir / ("built-" + source + ".tar");
  std::string tag = "slim-it-equiv/" + std::to_string(::getpid()) + "-" + source + ":latest";
  b.run = run_command(slim_binary() + " build " + k_run_flags + " --source " + source + " -t " +
                          tag + " --report " + (dir / "report.json").string() +
                          " --seccomp-profile " + (dir / "seccomp.json").string() +
                          " --output-tar " + tar.string() + " " + extra + " " + image,
                      std::chrono::seconds(900));
  if (b.run.exit_code == 0) {
    b.members = archive_layer_members(tar);
    auto inspect = run_command("docker image inspect -f '{{.Id}}' " + tag);
    b.id = inspect.out.substr(0, inspect.out.find('\n'));
  }
  run_command("docker rmi -f " + tag);
  std::filesystem::remove(tar);
  return b;
}

std::string describe(const TarMember& m) {
  return std::string(1, m.type) + " mode " + std::to_string(m.mode) + " " + std::to_string(m.uid) +
         ":" + std::to_string(m.gid) + " mtime " + std::to_string(m.mtime) + "." +
         std::to_string(m.mtime_nsec) + " link `" + m.link_target + "` " +
         std::to_string(m.xattrs.size()) + " xattrs, dev " + std::to_string(m.dev_major) + "," +
         std::to_string(m.dev_minor) + ", " + std::to_string(m.content.size()) + " bytes";
}

// Both builds succeed and give the same image, member by member.
void expect_same_both_ways(const std::filesystem::path& dir, const std::string& image,
                           std::size_t min_members) {
  Built pristine = build(dir, image, "pristine", "--include-path /");
  Built exported = build(dir, image, "export", "--include-path /");
  ASSERT_EQ(pristine.run.exit_code, 0) << pristine.run.err;
  ASSERT_EQ(exported.run.exit_code, 0) << exported.run.err;
  EXPECT_FALSE(pristine.id.empty());
  EXPECT_EQ(pristine.id, exported.id) << image;
  EXPECT_GE(pristine.members.size(), min_members);
  EXPECT_EQ(pristine.members.size(), exported.members.size());
  int shown = 0;
  for (const auto& [path, m] : pristine.members) {
    auto it = exported.members.find(path);
    if (it == exported.members.end()) {
      ADD_FAILURE() << "`" << path << "` only in the pristine build";
    } else if (!(it->second == m) && ++shown <= 10) {
      ADD_FAILURE() << "`" << path << "`: pristine " << describe(m) << "; export "
                    << describe(it->second);
    }
  }
  for (const auto& [path, m] : exported.members) {
    if (pristine.members.count(path) == 0 && ++shown <= 20) {
      ADD_FAILURE() << "`" << path << "` only in the export build";
    }
  }
  std::printf("[ equal    ] %s: %zu members, %s\n", image.c_str(), pristine.members.size(),
              pristine.id.substr(0, 19).c_str());
}

// A build through both sources at once (`--source compare`): the run fails unless the keep
// sets and the two layers are byte for byte the same.
Built expect_compare_passes(const std::filesystem::path& dir, const std::string& image,
                            const std::string& extra = "") {
  Built both = build(dir, image, "compare", extra);
  EXPECT_EQ(both.run.exit_code, 0) << both.run.err;
  EXPECT_NE(both.run.err.find("--source compare: both sources give the layer"), std::string::npos)
      << both.run.err;
  return both;
}

// The whole image through both sources at once: the config comes from the engine's inspect
// either way, so the same layer is the same image ID. Half the work of two builds, for the
// fixtures, whose sizes make up most of this file's time.
void expect_same_through_compare(const std::filesystem::path& dir, const std::string& image,
                                 std::size_t min_members) {
  Built both = expect_compare_passes(dir, image, "--include-path /");
  EXPECT_GE(both.members.size(), min_members);
  std::printf("[ equal    ] %s: %zu members, %s\n", image.c_str(), both.members.size(),
              both.id.substr(0, 19).c_str());
}

// -- the fixtures ------------------------------------------------------------------------------

class FixtureBothWays : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureBothWays, SameImageIdAndMembers) {
  TestDir ws("slim-it-equiv");
  std::string image = "slim-fixture/" + GetParam() + ":latest";
  expect_same_through_compare(ws.path(), image, 100);
  expect_compare_passes(ws.path(), image);
}

INSTANTIATE_TEST_SUITE_P(Every, FixtureBothWays,
                         ::testing::Values("batch", "busybox", "cgi", "cserver", "dynamic",
                                           "entrypoint", "hostile", "layered", "nginx", "nonroot",
                                           "noshell-py", "pyapp", "redis", "sensor-tools", "site",
                                           "tlsclient"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// -- the hostile images ------------------------------------------------------------------------

std::string net_bind_capability() {
  std::string v(20, '\0');
  v[0] = 0x01;
  v[3] = 0x02;
  v[5] = 0x04;
  return v;
}

class HostileBothWays : public ::testing::Test {
protected:
  /// Loads a busybox image with `layers` (busybox first), CMD `cmd`, config `extra_config`.
  CraftedImage image(const std::string& name, std::vector<std::vector<CraftedEntry>> layers,
                     nlohmann::json config = nlohmann::json::object()) {
    static const std::string busybox = busybox_binary(m_kit.client());
    auto base = busybox_entries(busybox);
    layers.front().insert(layers.front().begin(), base.begin(), base.end());
    if (!config.contains("Cmd")) {
      config["Cmd"] = {"/bin/sh", "-c", "ls -R / >/dev/null 2>&1; true"};
    }
    return m_kit.load("slim-test/equiv-" + name + ":latest", layers, config);
  }
  void both_ways(const CraftedImage& img, std::size_t min_members) {
    expect_same_both_ways(m_kit.dir(), img.tag, min_members);
    expect_compare_passes(m_kit.dir(), img.tag);
  }
  CraftKit m_kit{"equiv"};
};

TEST_F(HostileBothWays, SymlinksOutOfTheRootAndLoops) {
  auto img = image("symlinks",
                   {{{.path = "etc/shadow", .content = "root:x:0:0::/:/bin/sh\n", .mode = 0640},
                     {.path = "etc/passwd", .type = T::symlink, .link_target = "/../../etc/shadow"},
                     {.path = "loop1", .type = T::symlink, .link_target = "loop2"},
                     {.path = "loop2", .type = T::symlink, .link_target = "/loop1"},
                     {.path = "self", .type = T::symlink, .link_target = "self/x"},
                     {.path = "up", .type = T::symlink, .link_target = "../../../../.."},
                     {.path = "host", .type = T::symlink, .link_target = "/etc/../../root"}}});
  both_ways(img, 15);
}

TEST_F(HostileBothWays, AbsoluteMemberNamesWithoutTheirParents) {
  // No entries for /abs-dir, /c or /etc/x's parents: the engine makes them while it loads.
  auto img = image("absolute", {{{.path = "/abs-dir/abs-file", .content = "absolute\n"},
                                 {.path = "./c/./d", .content = "d\n"},
                                 {.path = "/etc//x/", .type = T::directory, .mode = 0700}}});
  both_ways(img, 15);
}

TEST_F(HostileBothWays, DirectoryFifteenHundredLevelsDeep) {
  std::vector<CraftedEntry> layer;
  std::string path;
  for (int i = 0; i < 1500; ++i) {
    path += (i == 0 ? "" : "/") + std::string("d");
    layer.push_back({.path = path, .type = T::directory, .mode = 0755});
  }
  layer.push_back({.path = path + "/bottom", .content = "deep\n"});
  both_ways(image("deep", {layer}), 1500);
}

TEST_F(HostileBothWays, HundredThousandSmallFiles) {
  auto layer_path = m_kit.dir() / "many.tar";
  int d = 0;
  int f = -1;
  write_layer_tar(layer_path, [&](CraftedEntry& e) {
    if (d == 100) {
      return false;
    }
    e = f < 0 ? CraftedEntry{.path = "many/d" + std::to_string(d), .type = T::directory}
              : CraftedEntry{.path = "many/d" + std::to_string(d) + "/f" + std::to_string(f),
                             .content = std::to_string(d * 1000 + f) + "\n"};
    if (++f == 1000) {
      f = -1;
      ++d;
    }
    return true;
  });
  static const std::string busybox = busybox_binary(m_kit.client());
  auto base_path = m_kit.dir() / "base.tar";
  write_layer_tar(base_path, busybox_entries(busybox));
  auto img = write_docker_archive(m_kit.dir(), "slim-test/equiv-many:latest",
                                  {base_path, layer_path}, {{"Cmd", {"/bin/true"}}});
  m_kit.guard(img.tag);
  ASSERT_EQ(load_archive(m_kit.client(), img.archive), img.id);
  expect_same_both_ways(m_kit.dir(), img.tag, 100'000);
}

TEST_F(HostileBothWays, DevicesFifosSetuidAndCapabilities) {
  auto img = image(
      "devices",
      {{{.path = "devs", .type = T::directory},
        {.path = "devs/null", .type = T::char_device, .mode = 0666, .dev_major = 1, .dev_minor = 3},
        {.path = "devs/loop9",
         .type = T::block_device,
         .mode = 0660,
         .dev_major = 7,
         .dev_minor = 9},
        {.path = "devs/pipe", .type = T::fifo, .mode = 0620},
        {.path = "usr", .type = T::directory},
        {.path = "usr/bin", .type = T::directory},
        {.path = "usr/bin/suid", .content = "#!/bin/sh\n", .mode = 04755},
        {.path = "usr/bin/sgid", .content = "#!/bin/sh\n", .mode = 02750, .gid = 50},
        {.path = "usr/bin/capped",
         .content = "#!/bin/sh\n",
         .mode = 0755,
         .xattrs = {{"security.capability", net_bind_capability()}, {"user.note", "kept"}}},
        {.path = "shared", .type = T::directory, .mode = 01777, .uid = 7, .gid = 8}}});
  both_ways(img, 20);
}

TEST_F(HostileBothWays, NamesWithNewlinesAndInvalidUtf8) {
  std::vector<CraftedEntry> layer = {{.path = "odd", .type = T::directory}};
  for (const std::string n : {"new\nline", "bad-\xff\xfe", "tab\tname", " space ", "percent-%s",
                              "ctrl-\x01", "back\\slash", "-dash"}) {
    layer.push_back({.path = "odd/" + n, .content = "content of " + n});
  }
  layer.push_back({.path = "odd/link-\xff", .type = T::symlink, .link_target = "bad-\xff\xfe"});
  both_ways(image("names", {layer}), 20);
}

TEST_F(HostileBothWays, HardLinksAndAWhitedOutTarget) {
  auto img = image("hardlinks",
                   {{{.path = "data", .type = T::directory},
                     {.path = "data/target", .content = "TARGET\n", .mode = 0640},
                     {.path = "data/link", .type = T::hardlink, .link_target = "data/target"},
                     {.path = "data/other", .type = T::hardlink, .link_target = "data/target"},
                     {.path = "z-first", .content = "Z\n"},
                     {.path = "a-second", .type = T::hardlink, .link_target = "z-first"}},
                    {{.path = "data/.wh.target"}}});
  both_ways(img, 15);
}

TEST_F(HostileBothWays, WhatTheEngineChangesWhileItLoadsAndRuns) {
  // Headers the engine does not keep as written: a hard link's header that differs from its
  // target's, a parent a later layer lacks (made by the engine, hiding the lower one's mode), a
  // symlink's mode, user.* xattrs on a symlink, trusted.* xattrs, times after the (missing)
  // creation time; the image's own /etc/hosts and /etc/mtab, which no container shows; and a
  // VOLUME with contents (the engine copies them into a volume: directory times are lost, a
  // hard link to a file outside it becomes a copy).
  auto img =
      image("engine",
            {{{.path = "etc/hosts", .content = "10.0.0.1 image-hosts\n"},
              {.path = "etc/mtab", .type = T::symlink, .link_target = "../proc/self/mounts"},
              {.path = "p", .type = T::directory, .mode = 0700, .uid = 3},
              {.path = "p/a", .content = "a", .mode = 0640, .uid = 5, .gid = 6},
              {.path = "p/b",
               .type = T::hardlink,
               .mode = 0600,
               .link_target = "p/a",
               .uid = 7,
               .gid = 8,
               .mtime = 1'600'000'000},
              {.path = "l", .type = T::symlink, .mode = 0700, .link_target = "p"},
              {.path = "t", .content = "t", .xattrs = {{"trusted.x", "y"}, {"user.u", "v"}}},
              {.path = "future", .type = T::directory, .mtime = 4'000'000'000, .mtime_nsec = 5},
              {.path = "vol", .type = T::directory, .mode = 0750, .uid = 9},
              {.path = "vol/sub", .type = T::directory, .mtime = 1'500'000'000},
              {.path = "vol/sub/f", .content = "in the volume\n", .mtime = 1'500'000'001},
              {.path = "vol/empty", .type = T::directory, .mtime = 1'400'000'000},
              {.path = "vol/hl", .type = T::hardlink, .link_target = "t"}},
             {{.path = "p/c", .content = "c"}}},
            {{"Volumes",
              {{"/vol", nlohmann::json::object()}, {"/made/by/engine", nlohmann::json::object()}}},
             {"Cmd", {"/bin/sh", "-c", "cat /p/a /vol/sub/f; true"}}});
  both_ways(img, 20);
}

} // namespace
} // namespace slim::it
