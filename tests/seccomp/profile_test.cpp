#include "slim/seccomp/generate.hpp"
#include "slim/seccomp/profile.hpp"

#include <algorithm>
#include <cerrno>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace slim::seccomp {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The strict profile of these names (no baseline), as before the baseline existed.
Result<GeneratedProfile> strict(std::vector<std::string> names, const std::string& arch,
                                bool add_runtime = true) {
  GenerateOptions options;
  options.add_runtime = add_runtime;
  options.baseline = Baseline::none;
  return generate_seccomp_profile(SeenCalls{std::move(names), std::nullopt}, arch, options);
}

TEST(Seccomp, ArchitecturesFromReportArch) {
  EXPECT_EQ(seccomp_architectures("x86_64").value(),
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ(seccomp_architectures("aarch64").value(),
            (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  auto bad = seccomp_architectures("pdp11");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("`pdp11`"), std::string::npos);
}

TEST(Seccomp, GeneratesSortedAllowListAndDropsUnknownNames) {
  auto g = strict(
      {"write", "read", "openat", "read", "syscall_999", "not_a_syscall", "../etc", "socketcall"},
      "x86_64");
  ASSERT_TRUE(g.ok()) << g.error();
  const auto& p = g.value().profile;
  EXPECT_EQ(p.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(p.default_errno_ret, 1);
  ASSERT_EQ(p.syscalls.size(), 1u);
  const auto& names = p.syscalls[0].names;
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()); // unique
  EXPECT_TRUE(has(names, "read"));
  EXPECT_TRUE(has(names, "socketcall")); // exists on SCMP_ARCH_X86
  EXPECT_FALSE(has(names, "syscall_999"));
  EXPECT_FALSE(has(names, "not_a_syscall"));
  EXPECT_EQ(g.value().warnings.size(), 3u);
  // The runtime's calls are added, and said so.
  EXPECT_TRUE(has(names, "capset"));
  EXPECT_TRUE(has(names, "fstatfs"));
  EXPECT_TRUE(has(g.value().added_by_runtime, "capset"));
  EXPECT_FALSE(has(g.value().added_by_runtime, "read")); // seen by the sensor already
  EXPECT_GT(g.value().bpf_bytes, 0u);
}

TEST(Seccomp, WithoutRuntimeCallsOnlyTheSeenOnes) {
  auto g = strict({"exit_group", "write"}, "x86_64", false);
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(g.value().profile.allowed(), (std::vector<std::string>{"exit_group", "write"}));
  EXPECT_TRUE(g.value().added_by_runtime.empty());
}

TEST(Seccomp, EveryRuntimeCallIsKnownToLibseccomp) {
  auto arches = seccomp_architectures("x86_64").value();
  for (const auto& s : k_runtime_syscalls) {
    EXPECT_TRUE(seccomp_name_known(s, arches)) << s;
  }
}

TEST(Seccomp, JsonRoundTripInDockersFormat) {
  auto g = strict({"read", "write", "exit_group"}, "x86_64");
  ASSERT_TRUE(g.ok()) << g.error();
  std::string text = to_json_text(g.value().profile);
  EXPECT_EQ(text, g.value().json);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(j["defaultErrnoRet"], 1);
  EXPECT_EQ(j["architectures"][0], "SCMP_ARCH_X86_64");
  EXPECT_EQ(j["syscalls"][0]["action"], "SCMP_ACT_ALLOW");
  auto back = parse_seccomp_profile(text);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back.value().allowed(), g.value().profile.allowed());
  EXPECT_EQ(back.value().architectures, g.value().profile.architectures);
  EXPECT_EQ(back.value().default_errno_ret, 1);
  auto size = compile_seccomp_profile(back.value());
  ASSERT_TRUE(size.ok()) << size.error();
  EXPECT_EQ(size.value(), g.value().bpf_bytes); // same profile, same filters
}

TEST(Seccomp, ReadsDockerDefaultStyleProfiles) {
  const char* text = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                 "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
    "syscalls": [
      {"names": ["write", "read"], "action": "SCMP_ACT_ALLOW", "args": []},
      {"name": "personality", "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
      {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
    ]})";
  auto p = parse_seccomp_profile(text);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p.value().architectures.size(), 3u);
  EXPECT_EQ(p.value().allowed(), (std::vector<std::string>{"read", "write"}));
  ASSERT_EQ(p.value().syscalls[1].args.size(), 1u);
  EXPECT_EQ(p.value().syscalls[1].args[0], (ArgCondition{0, 0, 0, "SCMP_CMP_EQ"}));
  EXPECT_EQ(p.value().allowed_with_args(), (std::vector<std::string>{"personality"}));
  EXPECT_EQ(p.value().syscalls[2].errno_ret, 38);
  EXPECT_TRUE(compile_seccomp_profile(p.value()).ok());
}

TEST(Seccomp, InvalidProfilesAreErrors) {
  SeccompProfile p;
  p.architectures = {"SCMP_ARCH_X86_64"};
  p.syscalls.push_back({{"read"}, "SCMP_ACT_EXPLODE", {}, {}});
  auto r = compile_seccomp_profile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("unknown action `SCMP_ACT_EXPLODE`"), std::string::npos) << r.error();

  p.syscalls = {{{"read", "no_such_call"}, "SCMP_ACT_ALLOW", {}, {}}};
  r = compile_seccomp_profile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("unknown system call `no_such_call`"), std::string::npos) << r.error();

  p.syscalls.clear();
  p.architectures = {"SCMP_ARCH_VAX"};
  r = compile_seccomp_profile(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("`SCMP_ARCH_VAX`"), std::string::npos);

  p.architectures.clear();
  EXPECT_FALSE(compile_seccomp_profile(p).ok());

  EXPECT_FALSE(parse_seccomp_profile("[]").ok());
  EXPECT_FALSE(parse_seccomp_profile(R"({"syscalls":[]})").ok());
  auto bad = parse_seccomp_profile(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"action":"SCMP_ACT_ALLOW"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("syscalls[0]"), std::string::npos) << bad.error();
}

TEST(Seccomp, LoadedProfileAllowsOnlyItsCalls) {
  // getppid is not in the list: under the filter it must fail with EPERM (defaultErrnoRet).
  // The allocator's calls are allowed too: the child still allocates after loading (and
  // ASan's runtime maps memory).
  auto g = strict({"getpid", "write", "exit_group", "exit", "mmap", "munmap", "brk", "mprotect",
                   "madvise", "futex", "rt_sigprocmask", "rt_sigaction", "sigaltstack", "gettid",
                   "prctl"},
                  "x86_64", false);
  ASSERT_TRUE(g.ok()) << g.error();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto loaded = compile_seccomp_profile(g.value().profile, true);
    if (!loaded.ok()) {
      ::syscall(SYS_exit_group, 10);
    }
    long ppid = ::syscall(SYS_getppid);
    int err = errno;
    long pid = ::syscall(SYS_getpid);
    ::syscall(SYS_exit_group, ppid == -1 && err == EPERM && pid > 0 ? 0 : 11);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Seccomp, MakeThrowsForThePipeline) {
  EXPECT_THROW(make_seccomp_profile(SeenCalls{{"read"}, std::nullopt}, "vax"), Error);
  auto g = make_seccomp_profile(SeenCalls{{"read"}, std::nullopt}, "x86_64");
  EXPECT_FALSE(g.json.empty());
}

TEST(Seccomp, CompilesForAnotherArchitecture) {
  auto g = strict({"read", "write", "openat", "exit_group"}, "aarch64");
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_GT(g.value().bpf_bytes, 0u);
}

} // namespace
} // namespace slim::seccomp
