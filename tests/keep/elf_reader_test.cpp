#include "keep/elf_builder.hpp"
#include "slim/keep/elf_reader.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <sstream>

namespace slim::keep {
namespace {

using test::ElfSpec;
using test::make_elf;

TEST(ElfReader, ParsesExecutableWithInterpAndDynamic) {
  ElfSpec s;
  s.type = k_et_dyn;
  s.interp = "/lib64/ld-linux-x86-64.so.2";
  s.needed = {"libz.so.1", "libc.so.6"};
  s.runpath = "$ORIGIN/../lib:/opt/x";
  s.soname = "libfoo.so.1";
  s.flags_1 = k_df_1_nodeflib;
  auto r = parse_elf(make_elf(s));
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& e = r.value();
  EXPECT_TRUE(e.is_64);
  EXPECT_TRUE(e.little_endian);
  EXPECT_EQ(e.machine, k_em_x86_64);
  EXPECT_EQ(e.type, k_et_dyn);
  ASSERT_TRUE(e.interp.has_value());
  EXPECT_EQ(*e.interp, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_TRUE(e.has_dynamic);
  EXPECT_EQ(e.needed, (std::vector<std::string>{"libz.so.1", "libc.so.6"}));
  EXPECT_EQ(e.runpath.value_or(""), "$ORIGIN/../lib:/opt/x");
  EXPECT_FALSE(e.rpath.has_value());
  EXPECT_EQ(e.soname.value_or(""), "libfoo.so.1");
  EXPECT_EQ(e.flags_1, k_df_1_nodeflib);
}

TEST(ElfReader, Parses32BitBigEndianWithRpath) {
  ElfSpec s;
  s.is_64 = false;
  s.little_endian = false;
  s.machine = 8; // MIPS
  s.needed = {"libm.so.6"};
  s.rpath = "/usr/local/lib";
  auto r = parse_elf(make_elf(s));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r.value().is_64);
  EXPECT_FALSE(r.value().little_endian);
  EXPECT_EQ(r.value().machine, 8);
  EXPECT_EQ(r.value().needed, std::vector<std::string>{"libm.so.6"});
  EXPECT_EQ(r.value().rpath.value_or(""), "/usr/local/lib");
  EXPECT_EQ(elf_machine_name(8), "machine 8");
  EXPECT_EQ(elf_machine_name(k_em_x86_64), "x86_64");
}

TEST(ElfReader, StaticExecutableHasNoDynamic) {
  ElfSpec s;
  s.type = k_et_exec;
  s.dynamic = false;
  auto r = parse_elf(make_elf(s));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r.value().has_dynamic);
  EXPECT_FALSE(r.value().interp.has_value());
  EXPECT_TRUE(r.value().needed.empty());
}

TEST(ElfReader, RejectsGarbage) {
  EXPECT_FALSE(is_elf("#!/bin/sh\n"));
  EXPECT_FALSE(is_elf("\x7f"
                      "EL"));
  auto r = parse_elf("#!/bin/sh\necho hi\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("bad magic"), std::string::npos) << r.error();
  std::string bad_class = make_elf({});
  bad_class[4] = 7;
  r = parse_elf(bad_class);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("class"), std::string::npos) << r.error();
  EXPECT_FALSE(parse_elf("").ok());
}

TEST(ElfReader, TruncatedInputReportsHowMuchIsNeeded) {
  ElfSpec s;
  s.interp = "/lib/ld.so";
  s.needed = {"libc.so.6"};
  const std::string full = make_elf(s);
  // Every prefix shorter than the file must fail cleanly, never read out of bounds.
  for (std::size_t n = 0; n < full.size(); ++n) {
    std::uint64_t need = 0;
    auto r = parse_elf(std::string_view(full).substr(0, n), &need);
    ASSERT_FALSE(r.ok()) << "prefix " << n;
    if (n >= 4) {
      EXPECT_GT(need, n) << "prefix " << n << ": " << r.error();
      EXPECT_LE(need, full.size()) << "prefix " << n;
    }
  }
  // Reading progressively as a caller would reaches the full parse.
  std::size_t have = 64;
  for (int i = 0; i < 10; ++i) {
    std::uint64_t need = 0;
    auto r = parse_elf(std::string_view(full).substr(0, have), &need);
    if (r.ok()) {
      EXPECT_EQ(r.value().needed, std::vector<std::string>{"libc.so.6"});
      return;
    }
    ASSERT_GT(need, have);
    have = need;
  }
  FAIL() << "progressive reading did not converge";
}

TEST(ElfReader, HostileHeaderValues) {
  std::string e = make_elf({.needed = {"libc.so.6"}});
  // e_phoff pointing far beyond the file
  std::string far = e;
  for (int i = 0; i < 8; ++i) {
    far[32 + i] = static_cast<char>(0xff);
  }
  EXPECT_FALSE(parse_elf(far).ok());
  // e_phentsize too small
  std::string small = e;
  small[54] = 8;
  small[55] = 0;
  auto r = parse_elf(small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("e_phentsize"), std::string::npos) << r.error();
}

TEST(ElfReader, RandomMutationsNeverCrash) {
  const std::string base =
      make_elf({.interp = "/lib/ld.so", .needed = {"a", "b"}, .runpath = "$ORIGIN", .soname = "x"});
  std::mt19937 rng(1234);
  int ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string m = base;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      m[rng() % m.size()] = static_cast<char>(rng() & 0xff);
    }
    if (rng() % 8 == 0) {
      m.resize(rng() % m.size());
    }
    auto r = parse_elf(m);
    ok += r.ok() ? 1 : 0;
    if (!r.ok()) {
      EXPECT_FALSE(r.error().empty());
    }
  }
  EXPECT_GT(ok, 0); // some mutations hit irrelevant bytes and still parse
}

TEST(ElfReader, ParsesARealSystemBinaryIfPresent) {
  std::ifstream f("/bin/ls", std::ios::binary);
  if (!f) {
    GTEST_SKIP() << "/bin/ls not present";
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto r = parse_elf(ss.str());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r.value().interp.has_value());
  EXPECT_FALSE(r.value().needed.empty());
  bool has_libc = false;
  for (const auto& n : r.value().needed) {
    has_libc = has_libc || n.rfind("libc.so", 0) == 0;
  }
  EXPECT_TRUE(has_libc);
}

} // namespace
} // namespace slim::keep
