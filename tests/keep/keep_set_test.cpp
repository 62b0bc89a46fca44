#include "keep/elf_builder.hpp"
#include "keep/test_image.hpp"
#include "slim/keep/keep_set.hpp"

#include <gtest/gtest.h>

namespace slim::keep {
namespace {

using test::make_elf;
using test::TestImage;

const std::string k_interp = "/lib64/ld-linux-x86-64.so.2";

// A small Debian-like image: merged /usr, glibc, python, dash, a few config files.
TestImage image() {
  TestImage img;
  img.merged_usr();
  img.dir("/run").dir("/var").dir("/var/tmp", 01777).link("/var/run", "/run");
  img.dir("/usr/share").dir("/usr/share/doc").dir("/usr/share/doc/python3");
  img.file("/usr/share/doc/python3/README", "docs");
  img.file("/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  img.file("/etc/group", "root:x:0:\n");
  img.file("/etc/nsswitch.conf", "passwd: files\n");
  img.file("/etc/shadow", "root:*:1::::::\n", 0640);
  img.file("/etc/ld.so.cache", "cache");
  img.file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", make_elf({}), 0755);
  img.link("/usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  img.file("/usr/lib/x86_64-linux-gnu/libc.so.6", make_elf({}), 0755);
  img.link("/usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.2.13");
  img.file("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", make_elf({.needed = {"libc.so.6"}}));
  img.file("/usr/bin/python3.11",
           make_elf({.interp = k_interp, .needed = {"libz.so.1", "libc.so.6"}}), 0755);
  img.link("/usr/bin/python3", "python3.11");
  img.file("/usr/bin/dash", make_elf({.interp = k_interp, .needed = {"libc.so.6"}}), 0755);
  img.link("/usr/bin/sh", "dash");
  img.file("/usr/bin/ls", make_elf({.interp = k_interp, .needed = {"libc.so.6"}}), 0755);
  img.file("/usr/bin/env", make_elf({.interp = k_interp, .needed = {"libc.so.6"}}), 0755);
  img.dir("/app").file("/app/server.py", "print('hi')\n");
  img.file("/app/run", "#!/usr/bin/env python3\nimport sys\n", 0755);
  img.dir("/.slim").file("/.slim/sensor", make_elf({}), 0755);
  return img;
}

ReportFile rf(std::string path, std::uint16_t ops = file_op_open | file_op_read) {
  return {std::move(path), ops, false};
}

TEST(KeepSet, SymlinkChainParentsAndElfClosure) {
  TestImage img = image();
  auto keep = compute_keep_set(img.index, {rf("/bin/python3", file_op_exec)}, {}, img.reader());
  const auto& p = keep.paths;
  ASSERT_TRUE(keep.contains("/usr/bin/python3.11"));
  EXPECT_EQ(p.at("/usr/bin/python3.11"), (KeepReason{KeepKind::accessed, "exec"}));
  EXPECT_EQ(p.at("/bin"), (KeepReason{KeepKind::symlink_on_way, "/usr/bin/python3.11"}));
  EXPECT_EQ(p.at("/usr/bin/python3"),
            (KeepReason{KeepKind::symlink_on_way, "/usr/bin/python3.11"}));
  EXPECT_EQ(p.at("/usr/bin").kind, KeepKind::parent);
  EXPECT_EQ(p.at("/usr").kind, KeepKind::parent);
  EXPECT_EQ(p.at("/").kind, KeepKind::parent);
  // ELF closure: interpreter through /lib64, libz through its soname link, libc transitively.
  EXPECT_EQ(p.at("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"),
            (KeepReason{KeepKind::elf_dependency, "/usr/bin/python3.11"}));
  EXPECT_EQ(p.at("/usr/lib/x86_64-linux-gnu/libz.so.1").kind, KeepKind::symlink_on_way);
  EXPECT_EQ(p.at("/usr/lib/x86_64-linux-gnu/libc.so.6").kind, KeepKind::elf_dependency);
  EXPECT_EQ(p.at("/lib64").kind, KeepKind::symlink_on_way);
  EXPECT_EQ(p.at("/usr/lib64/ld-linux-x86-64.so.2").kind, KeepKind::symlink_on_way);
  EXPECT_TRUE(keep.contains("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
  EXPECT_TRUE(keep.contains("/etc/ld.so.cache"));
  // Always kept, with their modes in the index untouched.
  for (const char* always : {"/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/tmp", "/var/tmp",
                             "/run", "/var/run"}) {
    EXPECT_TRUE(keep.contains(always)) << always;
  }
  // Not accessed, not needed.
  EXPECT_FALSE(keep.contains("/usr/bin/dash"));
  EXPECT_FALSE(keep.contains("/etc/shadow"));
  EXPECT_FALSE(keep.contains("/usr/share/doc/python3/README"));
  EXPECT_FALSE(keep.contains("/.slim"));
  EXPECT_TRUE(keep.warnings.empty()) << keep.warnings.front();
  auto stats = keep_stats(img.index, keep);
  EXPECT_EQ(stats.entries, keep.paths.size());
  EXPECT_GT(stats.bytes, 0u);
  EXPECT_GT(stats.symlinks, 4u);
}

TEST(KeepSet, FirstReasonWinsAndDescriptionsRead) {
  TestImage img = image();
  auto keep = compute_keep_set(
      img.index, {rf("/usr/bin/python3.11", file_op_exec), rf("/lib/x86_64-linux-gnu/libc.so.6")},
      {}, img.reader());
  EXPECT_EQ(keep.paths.at("/usr/lib/x86_64-linux-gnu/libc.so.6"),
            (KeepReason{KeepKind::accessed, "open,read"}));
  EXPECT_EQ(describe(keep.paths.at("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13")),
            "ELF dependency of /usr/bin/python3.11");
  EXPECT_EQ(describe({KeepKind::parent, "/usr/bin/x"}), "parent of /usr/bin/x");
  EXPECT_EQ(describe({KeepKind::symlink_on_way, "/usr/lib"}), "symlink on the way to /usr/lib");
  EXPECT_EQ(to_string(KeepKind::symlink_on_way), "symlink_on_way");
}

TEST(KeepSet, RuntimeFilesSkippedAndMissingTargetsStillKeepWalkedLinks) {
  TestImage img = image();
  auto keep =
      compute_keep_set(img.index,
                       {rf("/tmp/created-by-app", file_op_write),
                        rf("/lib/x86_64-linux-gnu/libmissing.so", file_op_notfound | file_op_open)},
                       {}, img.reader());
  EXPECT_FALSE(keep.contains("/tmp/created-by-app"));
  EXPECT_EQ(keep.skipped_not_in_image, 2u);
  EXPECT_TRUE(keep.contains("/lib")); // walked on the way to the missing library
  EXPECT_EQ(keep.paths.at("/lib").kind, KeepKind::symlink_on_way);
}

TEST(KeepSet, SlimDirProcAndMountsAreNeverKept) {
  TestImage img = image();
  img.link("/usr/bin/evil", "/.slim/sensor");
  img.dir("/data").file("/data/seed.db", "x");
  img.file("/config.yml", "a: 1");
  img.dir("/proc").file("/proc/leftover", "x");
  KeepInputs opt;
  opt.mount_points = {"/data/", "/config.yml"};
  opt.include_paths = {"/"}; // even the whole tree does not bring them in
  auto keep = compute_keep_set(img.index,
                               {rf("/.slim/sensor", file_op_exec), rf("/usr/bin/evil"),
                                rf("/data/seed.db"), rf("/config.yml")},
                               opt, img.reader());
  EXPECT_FALSE(keep.contains("/.slim"));
  EXPECT_FALSE(keep.contains("/.slim/sensor"));
  EXPECT_FALSE(keep.contains("/data/seed.db"));
  EXPECT_FALSE(keep.contains("/config.yml")); // a file mount shadows the image's file
  EXPECT_FALSE(keep.contains("/proc/leftover"));
  EXPECT_TRUE(keep.contains("/data"));         // the mount point itself stays a directory
  EXPECT_TRUE(keep.contains("/usr/bin/evil")); // the link, from --include-path /
  EXPECT_GE(keep.skipped_blocked, 3u);
}

TEST(KeepSet, ExcludePatternsDropPathsAndTheirDependencies) {
  TestImage img = image();
  KeepInputs opt;
  opt.exclude_patterns = {"/usr/share/doc", "libz.so*"};
  auto keep = compute_keep_set(
      img.index, {rf("/usr/bin/python3", file_op_exec), rf("/usr/share/doc/python3/README")}, opt,
      img.reader());
  EXPECT_TRUE(keep.contains("/usr/bin/python3.11"));
  EXPECT_FALSE(keep.contains("/usr/lib/x86_64-linux-gnu/libz.so.1"));
  EXPECT_FALSE(keep.contains("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"));
  EXPECT_FALSE(keep.contains("/usr/share/doc/python3/README"));
  EXPECT_FALSE(keep.contains("/usr/share/doc"));
  EXPECT_TRUE(keep.contains("/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_EQ(keep.excluded.size(), 3u);
}

TEST(KeepSet, IncludePathTreeFollowsLinksOutOfTheTree) {
  TestImage img = image();
  img.dir("/opt").dir("/opt/app").dir("/opt/app/conf").file("/opt/app/conf/a.ini", "a");
  img.link("/opt/app/python", "/usr/bin/python3");
  img.dir("/srv").link("/srv/app", "/opt/app");
  KeepInputs opt;
  opt.include_paths = {"/srv/app", "/nope"};
  auto keep = compute_keep_set(img.index, std::vector<ReportFile>{}, opt, img.reader());
  EXPECT_EQ(keep.paths.at("/srv/app").kind, KeepKind::symlink_on_way);
  EXPECT_EQ(keep.paths.at("/opt/app"), (KeepReason{KeepKind::include_path, "/srv/app"}));
  EXPECT_EQ(keep.paths.at("/opt/app/conf/a.ini"), (KeepReason{KeepKind::include_path, "/srv/app"}));
  EXPECT_TRUE(keep.contains("/opt/app/python"));
  EXPECT_TRUE(keep.contains("/usr/bin/python3.11"));                 // where the link leads
  EXPECT_TRUE(keep.contains("/usr/lib/x86_64-linux-gnu/libc.so.6")); // and its closure
  ASSERT_EQ(keep.warnings.size(), 1u);
  EXPECT_NE(keep.warnings[0].find("--include-path `/nope`"), std::string::npos);
}

TEST(KeepSet, IncludeBinScriptBringsEnvAndInterpreter) {
  TestImage img = image();
  KeepInputs opt;
  opt.include_bins = {"/app/run"};
  auto keep = compute_keep_set(img.index, std::vector<ReportFile>{}, opt, img.reader());
  EXPECT_EQ(keep.paths.at("/app/run"), (KeepReason{KeepKind::include_bin, "/app/run"}));
  EXPECT_EQ(keep.paths.at("/usr/bin/env"), (KeepReason{KeepKind::interpreter, "/app/run"}));
  EXPECT_EQ(keep.paths.at("/usr/bin/python3.11"), (KeepReason{KeepKind::interpreter, "/app/run"}));
  EXPECT_TRUE(keep.contains("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"));
}

TEST(KeepSet, IncludeExeFindsTheProgramOnThePathAndOptionalTreesNeverWarn) {
  TestImage img = image();
  img.dir("/usr/share/zoneinfo").dir("/usr/share/zoneinfo/Europe");
  img.file("/usr/share/zoneinfo/Europe/Paris", "TZif");
  KeepInputs opt;
  opt.include_exes = {"ls", "no-such-tool"};
  opt.include_optional = {{"/usr/share/zoneinfo", "--include-zoneinfo"},
                          {"/etc/timezone", "--include-zoneinfo"}};
  opt.env = {"PATH=/usr/local/bin:/usr/bin"};
  auto keep = compute_keep_set(img.index, std::vector<ReportFile>{}, opt, img.reader());
  EXPECT_EQ(keep.paths.at("/usr/bin/ls"), (KeepReason{KeepKind::include_bin, "--include-exe ls"}));
  EXPECT_TRUE(keep.contains("/usr/lib/x86_64-linux-gnu/libc.so.6")); // its closure
  EXPECT_EQ(keep.paths.at("/usr/share/zoneinfo/Europe/Paris"),
            (KeepReason{KeepKind::include_path, "--include-zoneinfo"}));
  EXPECT_FALSE(keep.contains("/etc/timezone"));
  ASSERT_EQ(keep.warnings.size(), 1u) << "an absent optional tree is no warning";
  EXPECT_NE(keep.warnings[0].find("--include-exe `no-such-tool`"), std::string::npos);
}

TEST(KeepSet, IncludeShellAndAlwaysEntries) {
  TestImage img = image();
  img.dir("/data2");
  KeepInputs opt;
  opt.include_shell = true;
  opt.working_dir = "/app";
  opt.volumes = {"/data2", "/not-there"};
  auto keep = compute_keep_set(img.index, std::vector<ReportFile>{}, opt, img.reader());
  EXPECT_EQ(keep.paths.at("/usr/bin/sh").kind, KeepKind::symlink_on_way);
  EXPECT_EQ(keep.paths.at("/usr/bin/dash"), (KeepReason{KeepKind::include_shell, "/bin/sh"}));
  EXPECT_EQ(keep.paths.at("/usr/bin/ls"), (KeepReason{KeepKind::include_shell, "ls"}));
  EXPECT_TRUE(keep.contains("/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_EQ(keep.paths.at("/app").kind, KeepKind::working_dir);
  EXPECT_EQ(keep.paths.at("/data2").kind, KeepKind::volume);
  EXPECT_FALSE(keep.contains("/app/server.py"));
  EXPECT_FALSE(keep.contains("/not-there"));
}

TEST(KeepSet, HardLinksKeepTheirTargets) {
  TestImage img = image();
  img.file("/usr/bin/perl", make_elf({.interp = k_interp, .needed = {"libc.so.6"}}), 0755);
  img.hardlink("/usr/bin/perl5.36", "/usr/bin/perl");
  auto keep =
      compute_keep_set(img.index, {rf("/usr/bin/perl5.36", file_op_exec)}, {}, img.reader());
  EXPECT_EQ(keep.paths.at("/usr/bin/perl5.36").kind, KeepKind::accessed);
  EXPECT_EQ(keep.paths.at("/usr/bin/perl"),
            (KeepReason{KeepKind::hardlink_target, "/usr/bin/perl5.36"}));
  EXPECT_TRUE(keep.contains("/usr/lib/x86_64-linux-gnu/libc.so.6"));
}

TEST(KeepSet, UntrustedPathsStayInsideTheImage) {
  TestImage img = image();
  img.link("/app/up", "../../../../../etc/shadow");
  auto keep = compute_keep_set(img.index,
                               {rf("/../../etc/group/../passwd"), rf("/app/up"),
                                rf(std::string("/app/\0x", 7)), rf("/app//./server.py")},
                               {}, img.reader());
  EXPECT_TRUE(keep.contains("/etc/passwd"));
  EXPECT_TRUE(keep.contains("/etc/shadow")); // the image's own file, reached inside the image
  EXPECT_TRUE(keep.contains("/app/server.py"));
  for (const auto& [path, reason] : keep.paths) {
    EXPECT_EQ(path, image::normalize_path(path));
    EXPECT_NE(img.index.find(path), nullptr) << path;
  }
}

TEST(KeepSet, ImageEnvGivesPathAndLdLibraryPath) {
  TestImage img = image();
  img.dir("/opt").dir("/opt/bin").dir("/opt/lib");
  img.file("/opt/bin/python3", make_elf({.interp = k_interp, .needed = {"libopt.so"}}), 0755);
  img.file("/opt/lib/libopt.so", make_elf({}));
  KeepInputs in;
  in.include_bins = {"/app/run"}; // #!/usr/bin/env python3 -> /opt/bin/python3 via PATH
  in.env = {"PATH=/usr/bin", "PATH=/opt/bin:/usr/bin", "LD_LIBRARY_PATH=/opt/lib"};
  auto keep = compute_keep_set(img.index, std::vector<ReportFile>{}, in, img.reader());
  EXPECT_TRUE(keep.contains("/opt/bin/python3"));
  EXPECT_FALSE(keep.contains("/usr/bin/python3.11"));
  EXPECT_EQ(keep.paths.at("/opt/lib/libopt.so"),
            (KeepReason{KeepKind::elf_dependency, "/opt/bin/python3"}));
  EXPECT_EQ(env_value(in.env, "PATH"), "/opt/bin:/usr/bin");
  EXPECT_EQ(env_value(in.env, "HOME"), "");
}

TEST(KeepSet, CapOnPathsWarns) {
  TestImage img = image();
  KeepInputs opt;
  opt.max_paths = 3;
  auto keep =
      compute_keep_set(img.index, {rf("/usr/bin/python3", file_op_exec)}, opt, img.reader());
  ASSERT_FALSE(keep.warnings.empty());
  EXPECT_NE(keep.warnings[0].find("limit of 3 paths"), std::string::npos);
}

} // namespace
} // namespace slim::keep

namespace slim::keep {
namespace {

TEST(KeepSet, DirectoryOfAFileMadeAtRunTimeIsKept) {
  TestImage img = image();
  img.dir("/var/lib").dir("/var/lib/nginx", 0700).dir("/var/lib/nginx/unused");
  auto keep = compute_keep_set(img.index, {rf("/var/lib/nginx/body", file_op_stat | file_op_write)},
                               {}, img.reader());
  EXPECT_FALSE(keep.contains("/var/lib/nginx/body"));
  ASSERT_TRUE(keep.contains("/var/lib/nginx"));
  EXPECT_EQ(keep.paths.at("/var/lib/nginx").kind, KeepKind::parent);
  EXPECT_EQ(keep.paths.at("/var/lib/nginx").detail, "/var/lib/nginx/body");
  EXPECT_FALSE(keep.contains("/var/lib/nginx/unused"));
  // A path under a missing directory keeps the nearest directory the image has.
  keep = compute_keep_set(img.index, {rf("/var/cache/app/x", file_op_write)}, {}, img.reader());
  EXPECT_TRUE(keep.contains("/var"));
  EXPECT_FALSE(keep.contains("/var/lib/nginx"));
}

// A source that has no bytes at first: each miss is remembered and the next fetch brings
// exactly what was asked, so every round can follow only one more step.
class LazySource {
public:
  explicit LazySource(const TestImage& img) : m_full(img.reader()) {}
  ReadFile reader() {
    return [this](const image::Entry& e, std::size_t max) -> std::optional<std::string> {
      auto it = m_have.find(e.path);
      std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(e.size), max);
      if (it != m_have.end() && it->second >= want) {
        return m_full(e, want);
      }
      m_missed[e.path] = std::max(m_missed[e.path], want);
      return std::nullopt;
    };
  }
  FetchMissing fetcher() {
    return [this] {
      if (m_missed.empty()) {
        return false;
      }
      for (const auto& [path, n] : m_missed) {
        m_have[path] = std::max(m_have[path], n);
      }
      m_missed.clear();
      return true;
    };
  }

private:
  ReadFile m_full;
  std::map<std::string, std::size_t> m_have, m_missed;
};

TEST(KeepSet, RoundsOverALazySourceGiveTheKeepSetOfTheWholeImage) {
  TestImage img = image();
  SensorReport report;
  report.files = {rf("/app/run", file_op_exec), rf("/etc/ld.so.cache")};
  KeepInputs in{.include_bins = {"/usr/bin/ls"}};
  KeepSet whole = compute_keep_set(img.index, report, in, img.reader());
  LazySource lazy(img);
  int rounds = 0;
  KeepSet rounded =
      compute_keep_set_in_rounds(img.index, report, in, lazy.reader(), lazy.fetcher(), 64, &rounds);
  EXPECT_EQ(rounded.paths, whole.paths);
  EXPECT_EQ(rounded.warnings, whole.warnings);
  // The script, its interpreter (env, then python3 through PATH), their ELF heads, the libraries'.
  EXPECT_GE(rounds, 4);
  EXPECT_TRUE(rounded.contains("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"));
  // A source that never gets what it lacks is an error, not a keep set made of guesses.
  EXPECT_THROW(compute_keep_set_in_rounds(
                   img.index, report, in,
                   [](const image::Entry&, std::size_t) { return std::nullopt; },
                   [] { return true; }, 3),
               Error);
  // A source that has everything takes one round.
  compute_keep_set_in_rounds(
      img.index, report, in, img.reader(), [] { return false; }, 64, &rounds);
  EXPECT_EQ(rounds, 1);
}

} // namespace
} // namespace slim::keep
