#include "keep/elf_builder.hpp"
#include "keep/test_image.hpp"
#include "slim/keep/elf_closure.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace slim::keep {
namespace {

using test::ElfSpec;
using test::make_elf;
using test::TestImage;

const std::string k_interp = "/lib64/ld-linux-x86-64.so.2";

std::string lib(std::vector<std::string> needed = {}) {
  return make_elf({.interp = std::nullopt, .needed = std::move(needed)});
}

// A Debian-like merged-/usr image with glibc's loader and libc.
TestImage debian() {
  TestImage img;
  img.merged_usr();
  img.file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", lib(), 0755);
  img.link("/usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  img.file("/usr/lib/x86_64-linux-gnu/libc.so.6", lib(), 0755);
  img.file("/etc/ld.so.cache", "glibc-ld.so.cache1.1");
  return img;
}

std::vector<std::string> paths(const std::vector<ElfDependency>& deps) {
  std::vector<std::string> out;
  for (const auto& d : deps) {
    out.push_back(d.path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const ElfDependency* find(const std::vector<ElfDependency>& deps, const std::string& p) {
  for (const auto& d : deps) {
    if (d.path == p) {
      return &d;
    }
  }
  return nullptr;
}

TEST(ElfClosure, InterpAndLibcThroughMergedUsr) {
  TestImage img = debian();
  img.file("/usr/bin/app", make_elf({.interp = k_interp, .needed = {"libc.so.6"}}), 0755);
  ElfClosure closure(img.index, img.reader());
  auto deps = closure.add("/bin/app"); // through the /bin -> usr/bin symlink
  EXPECT_EQ(paths(deps), (std::vector<std::string>{
                             "/etc/ld.so.cache",
                             "/lib",
                             "/lib64",
                             "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                             "/usr/lib/x86_64-linux-gnu/libc.so.6",
                             "/usr/lib64/ld-linux-x86-64.so.2",
                         }));
  const auto* libc = find(deps, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  ASSERT_NE(libc, nullptr);
  EXPECT_EQ(libc->needed_by, "/usr/bin/app");
  EXPECT_EQ(libc->name, "libc.so.6");
  const auto* lib64 = find(deps, "/lib64");
  ASSERT_NE(lib64, nullptr);
  EXPECT_TRUE(lib64->symlink);
  EXPECT_EQ(lib64->target, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  EXPECT_TRUE(closure.warnings().empty());
  EXPECT_TRUE(closure.add("/usr/bin/app").empty()); // already walked
}

TEST(ElfClosure, RunpathWithOriginIsTransitive) {
  TestImage img = debian();
  img.dir("/opt").dir("/opt/app").dir("/opt/app/bin").dir("/opt/app/lib");
  img.file("/opt/app/bin/server",
           make_elf({.interp = k_interp,
                     .needed = {"libapp.so.1", "libc.so.6"},
                     .runpath = "$ORIGIN/../lib"}),
           0755);
  img.link("/opt/app/lib/libapp.so.1", "libapp.so.1.2.3");
  img.file("/opt/app/lib/libapp.so.1.2.3",
           make_elf({.needed = {"libdep.so"}, .runpath = "${ORIGIN}"}));
  img.file("/opt/app/lib/libdep.so", lib({"libc.so.6"}));
  // A decoy with the same name in a default directory must lose to RUNPATH.
  img.file("/usr/lib/x86_64-linux-gnu/libapp.so.1", lib());
  ElfClosure closure(img.index, img.reader());
  auto deps = closure.add("/opt/app/bin/server");
  auto p = paths(deps);
  EXPECT_TRUE(std::count(p.begin(), p.end(), "/opt/app/lib/libapp.so.1"));
  EXPECT_TRUE(std::count(p.begin(), p.end(), "/opt/app/lib/libapp.so.1.2.3"));
  EXPECT_TRUE(std::count(p.begin(), p.end(), "/opt/app/lib/libdep.so"));
  EXPECT_FALSE(std::count(p.begin(), p.end(), "/usr/lib/x86_64-linux-gnu/libapp.so.1"));
  const auto* dep = find(deps, "/opt/app/lib/libdep.so");
  ASSERT_NE(dep, nullptr);
  EXPECT_EQ(dep->needed_by, "/opt/app/lib/libapp.so.1.2.3");
  EXPECT_TRUE(closure.warnings().empty()) << closure.warnings().front();
}

TEST(ElfClosure, RpathIsInheritedButIgnoredWhenRunpathExists) {
  TestImage img = debian();
  img.dir("/opt").dir("/opt/rp").dir("/opt/other");
  // exe RPATH /opt/rp; libone (from /opt/rp) needs libtwo which only /opt/rp has: found
  // through the exe's inherited RPATH.
  img.file("/usr/bin/exe",
           make_elf({.interp = k_interp, .needed = {"libone.so"}, .rpath = "/opt/rp"}), 0755);
  img.file("/opt/rp/libone.so", lib({"libtwo.so"}));
  img.file("/opt/rp/libtwo.so", lib());
  // exe2 has both: RPATH must be ignored, so libthree is not found.
  img.file("/usr/bin/exe2",
           make_elf({.interp = k_interp,
                     .needed = {"libthree.so"},
                     .rpath = "/opt/rp",
                     .runpath = "/opt/other"}),
           0755);
  img.file("/opt/rp/libthree.so", lib());
  ElfClosure closure(img.index, img.reader());
  auto p = paths(closure.add("/usr/bin/exe"));
  EXPECT_TRUE(std::count(p.begin(), p.end(), "/opt/rp/libtwo.so"));
  EXPECT_TRUE(closure.warnings().empty());
  auto p2 = paths(closure.add("/usr/bin/exe2"));
  EXPECT_FALSE(std::count(p2.begin(), p2.end(), "/opt/rp/libthree.so"));
  ASSERT_EQ(closure.warnings().size(), 1u);
  EXPECT_NE(closure.warnings()[0].find("`libthree.so` needed by `/usr/bin/exe2`"),
            std::string::npos)
      << closure.warnings()[0];
}

TEST(ElfClosure, LdSoConfIncludesAndWrongClassSkipped) {
  TestImage img = debian();
  img.file("/etc/ld.so.conf", "# comment\ninclude /etc/ld.so.conf.d/*.conf\n/opt/last\n");
  img.dir("/etc/ld.so.conf.d");
  img.file("/etc/ld.so.conf.d/a-32.conf", "/opt/lib32only\n");
  img.file("/etc/ld.so.conf.d/b-app.conf", "/opt/applib # trailing comment\n");
  img.file("/etc/ld.so.conf.d/README", "/opt/not-a-conf\n");
  img.dir("/opt").dir("/opt/lib32only").dir("/opt/applib").dir("/opt/last");
  img.file("/opt/lib32only/libx.so.1", make_elf({.is_64 = false, .machine = 3}));
  img.file("/opt/applib/libx.so.1", lib({"liby.so.1"}));
  img.file("/opt/last/liby.so.1", lib());
  img.file("/usr/bin/tool", make_elf({.interp = k_interp, .needed = {"libx.so.1"}}), 0755);
  ElfClosure closure(img.index, img.reader());
  EXPECT_EQ(closure.conf_dirs(),
            (std::vector<std::string>{"/opt/lib32only", "/opt/applib", "/opt/last"}));
  auto p = paths(closure.add("/usr/bin/tool"));
  EXPECT_TRUE(std::count(p.begin(), p.end(), "/opt/applib/libx.so.1"));
  EXPECT_FALSE(std::count(p.begin(), p.end(), "/opt/lib32only/libx.so.1"));
  EXPECT_TRUE(std::count(p.begin(), p.end(), "/opt/last/liby.so.1"));
  EXPECT_TRUE(closure.warnings().empty());
}

TEST(ElfClosure, LibAndPlatformTokens) {
  TestImage img = debian();
  img.dir("/opt").dir("/opt/p").dir("/opt/p/x86_64").dir("/opt/p/lib64");
  img.file("/usr/bin/a",
           make_elf({.interp = k_interp,
                     .needed = {"liba.so", "libb.so"},
                     .runpath = "/opt/p/$PLATFORM:/opt/p/$LIB"}),
           0755);
  img.file("/opt/p/x86_64/liba.so", lib());
  img.file("/opt/p/lib64/libb.so", lib());
  ElfClosure closure(img.index, img.reader());
  auto p = paths(closure.add("/usr/bin/a"));
  EXPECT_TRUE(std::count(p.begin(), p.end(), "/opt/p/x86_64/liba.so"));
  EXPECT_TRUE(std::count(p.begin(), p.end(), "/opt/p/lib64/libb.so"));
  EXPECT_TRUE(closure.warnings().empty());
}

TEST(ElfClosure, NodeflibAndLdLibraryPath) {
  TestImage img = debian();
  img.dir("/opt").dir("/opt/env");
  img.file("/opt/env/libe.so", lib());
  img.file("/usr/bin/nd",
           make_elf({.interp = k_interp, .needed = {"libc.so.6"}, .flags_1 = k_df_1_nodeflib}),
           0755);
  img.file("/usr/bin/e", make_elf({.interp = k_interp, .needed = {"libe.so"}}), 0755);
  ElfClosure closure(img.index, img.reader(), {.ld_library_path = "/opt/env:relative"});
  auto p = paths(closure.add("/usr/bin/nd"));
  EXPECT_FALSE(std::count(p.begin(), p.end(), "/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_EQ(closure.warnings().size(), 1u);
  auto p2 = paths(closure.add("/usr/bin/e"));
  EXPECT_TRUE(std::count(p2.begin(), p2.end(), "/opt/env/libe.so"));
}

TEST(ElfClosure, MuslImageUsesMuslPaths) {
  TestImage img;
  img.dir("/lib").dir("/usr").dir("/usr/lib").dir("/usr/local").dir("/usr/local/lib").dir("/etc");
  img.file("/lib/ld-musl-x86_64.so.1", lib(), 0755);
  img.link("/lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1");
  img.file("/usr/local/lib/libm.so", lib());
  img.file("/usr/bin_app",
           make_elf({.interp = "/lib/ld-musl-x86_64.so.1",
                     .needed = {"libc.musl-x86_64.so.1", "libm.so"}}),
           0755);
  ElfClosure closure(img.index, img.reader());
  auto p = paths(closure.add("/usr/bin_app"));
  EXPECT_EQ(p, (std::vector<std::string>{"/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1",
                                         "/usr/local/lib/libm.so"}));
  EXPECT_TRUE(closure.warnings().empty());
}

TEST(ElfClosure, NotElfAndMalformedAreHandled) {
  TestImage img = debian();
  img.file("/usr/bin/script", "#!/bin/sh\necho hi\n", 0755);
  std::string broken = make_elf({.interp = k_interp, .needed = {"libc.so.6"}});
  broken.resize(80); // header fine, program headers cut
  img.file("/usr/bin/broken", broken, 0755);
  img.link("/usr/bin/loop", "loop");
  ElfClosure closure(img.index, img.reader());
  EXPECT_FALSE(closure.is_elf_file("/usr/bin/script"));
  EXPECT_TRUE(closure.is_elf_file("/usr/bin/broken"));
  EXPECT_TRUE(closure.add("/usr/bin/script").empty());
  EXPECT_TRUE(closure.add("/usr/bin/broken").empty());
  EXPECT_TRUE(closure.add("/usr/bin/loop").empty());
  EXPECT_TRUE(closure.add("/nonexistent").empty());
  ASSERT_EQ(closure.warnings().size(), 1u);
  EXPECT_NE(closure.warnings()[0].find("malformed ELF file `/usr/bin/broken`"), std::string::npos);
}

TEST(ElfClosure, HardlinkedObjectIsReadThroughItsTarget) {
  TestImage img = debian();
  img.file("/usr/bin/real", make_elf({.interp = k_interp, .needed = {"libc.so.6"}}), 0755);
  img.hardlink("/usr/bin/alias", "/usr/bin/real");
  ElfClosure closure(img.index, img.reader());
  EXPECT_TRUE(closure.is_elf_file("/usr/bin/alias"));
  auto p = paths(closure.add("/usr/bin/alias"));
  EXPECT_TRUE(std::count(p.begin(), p.end(), "/usr/lib/x86_64-linux-gnu/libc.so.6"));
}

TEST(ElfClosure, MultiarchTriplets) {
  EXPECT_EQ(multiarch_triplet(k_em_x86_64, true), "x86_64-linux-gnu");
  EXPECT_EQ(multiarch_triplet(k_em_aarch64, true), "aarch64-linux-gnu");
  EXPECT_EQ(multiarch_triplet(k_em_386, false), "i386-linux-gnu");
  EXPECT_EQ(multiarch_triplet(9999, true), "");
}

} // namespace
} // namespace slim::keep
