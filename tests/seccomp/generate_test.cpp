// The generated profile: baseline, runtime calls, argument filters (compiled, and loaded in a
// forked child to show what they allow), the log action.
#include "slim/seccomp/generate.hpp"

#include <algorithm>
#include <cerrno>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <nlohmann/json.hpp>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace slim::seccomp {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The rules of `profile` for `name` that have args.
std::vector<SeccompRule> arg_rules_of(const SeccompProfile& profile, const std::string& name) {
  std::vector<SeccompRule> out;
  for (const auto& r : profile.syscalls) {
    if (!r.args.empty() && has(r.names, name)) {
      out.push_back(r);
    }
  }
  return out;
}

TEST(SeccompBaseline, AddsTheHarmlessCallsAndSaysWhichCameFromIt) {
  auto g = generate_seccomp_profile(SeenCalls{{"read", "write", "uname"}, std::nullopt}, "x86_64");
  ASSERT_TRUE(g.ok()) << g.error();
  const auto allowed = g.value().profile.allowed();
  for (const char* name : {"getuid", "geteuid", "getgid", "getegid", "uname", "getcwd",
                           "exit_group", "sched_yield", "clock_gettime", "getrandom"}) {
    EXPECT_TRUE(has(allowed, name)) << name;
  }
  const auto& from = g.value().from_baseline;
  EXPECT_TRUE(has(from, "getresuid"));
  EXPECT_TRUE(has(from, "getuid32")); // known on SCMP_ARCH_X86, part of the x86_64 profile
  EXPECT_FALSE(has(from, "uname"));   // seen by the sensor
  EXPECT_FALSE(has(from, "getuid"));  // the runtime list has it
  EXPECT_TRUE(has(g.value().added_by_runtime, "getuid"));
  EXPECT_EQ(g.value().enosys, (std::vector<std::string>{"clone3"}));
  EXPECT_FALSE(has(allowed, "clone3"));
  EXPECT_EQ(g.value().profile.syscalls.back().names, (std::vector<std::string>{"clone3"}));
  EXPECT_EQ(g.value().profile.syscalls.back().errno_ret, ENOSYS);

  // Without the runtime's list, everything it gave comes from the baseline.
  GenerateOptions no_runtime;
  no_runtime.add_runtime = false;
  auto bare = generate_seccomp_profile(SeenCalls{{"read"}, std::nullopt}, "x86_64", no_runtime);
  ASSERT_TRUE(bare.ok()) << bare.error();
  EXPECT_TRUE(has(bare.value().from_baseline, "getuid"));
  EXPECT_TRUE(has(bare.value().from_baseline, "exit_group"));
}

TEST(SeccompBaseline, NoneIsTheStrictList) {
  GenerateOptions strict;
  strict.add_runtime = false;
  strict.baseline = Baseline::none;
  auto g = generate_seccomp_profile(SeenCalls{{"read", "write"}, std::nullopt}, "x86_64", strict);
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(g.value().profile.allowed(), (std::vector<std::string>{"read", "write"}));
  EXPECT_TRUE(g.value().from_baseline.empty());
  EXPECT_TRUE(g.value().enosys.empty());
  EXPECT_EQ(g.value().profile.syscalls.size(), 1u);
}

TEST(SeccompBaseline, EveryCallIsKnownHasAReasonAndTouchesNothingOutside) {
  const auto x86 = seccomp_architectures("x86_64").value();
  const auto arm = seccomp_architectures("aarch64").value();
  // Calls that open, create or change resources or reach other processes: never harmless.
  const std::vector<std::string> never = {
      "open",   "openat", "socket", "connect", "bind",    "mmap",   "mprotect",  "brk",
      "clone",  "clone3", "fork",   "vfork",   "unshare", "setns",  "kill",      "tgkill",
      "ptrace", "prctl",  "ioctl",  "mount",   "setuid",  "execve", "prlimit64", "madvise"};
  for (const auto& c : k_harmless_calls) {
    const std::string name(c.name);
    EXPECT_TRUE(seccomp_name_known(name, x86) || seccomp_name_known(name, arm)) << name;
    EXPECT_GE(c.why.size(), 10u) << name;
    EXPECT_FALSE(has(never, name)) << name;
    EXPECT_EQ(find_arg_policy(name), nullptr) << name; // never widens an argument filter
  }
  EXPECT_EQ(parse_baseline("none").value(), Baseline::none);
  EXPECT_EQ(parse_baseline("harmless").value(), Baseline::harmless);
  EXPECT_FALSE(parse_baseline("all").ok());
}

TEST(SeccompArgs, RecordedValuesBecomeArgRulesWithoutAnUnconditionalRule) {
  SeenCalls seen;
  seen.names = {"read", "write", "socket", "clone", "unshare", "personality", "prctl"};
  seen.args = std::vector<SyscallArgs>{
      {"socket", 0, {10, 2}},
      {"clone", 0, {0x1200011, 0x3d0f00}}, // fork and pthread_create: no namespace flags
      {"unshare", 0, {0x400}},             // CLONE_FILES
      {"personality", 0, {0xffffffff}},
      {"prctl", 0, {15}}, // PR_SET_NAME
  };
  auto g = generate_seccomp_profile(seen, "x86_64");
  ASSERT_TRUE(g.ok()) << g.error();
  const auto& p = g.value().profile;
  const auto allowed = p.allowed();
  for (const char* name : {"socket", "clone", "clone3", "unshare", "personality", "prctl"}) {
    EXPECT_FALSE(has(allowed, name)) << name << " must not be allowed unconditionally";
  }
  EXPECT_EQ(p.allowed_with_args(),
            (std::vector<std::string>{"clone", "personality", "prctl", "socket", "unshare"}));

  auto socket = arg_rules_of(p, "socket");
  ASSERT_EQ(socket.size(), 2u);
  EXPECT_EQ(socket[0].args, (std::vector<ArgCondition>{{0, 2, 0, "SCMP_CMP_EQ"}}));
  EXPECT_EQ(socket[1].args, (std::vector<ArgCondition>{{0, 10, 0, "SCMP_CMP_EQ"}}));

  auto clone = arg_rules_of(p, "clone");
  ASSERT_EQ(clone.size(), 1u); // both seen values have no namespace bits
  EXPECT_EQ(clone[0].args,
            (std::vector<ArgCondition>{{0, k_clone_namespace_flags, 0, "SCMP_CMP_MASKED_EQ"}}));
  auto unshare = arg_rules_of(p, "unshare");
  ASSERT_EQ(unshare.size(), 1u);
  EXPECT_EQ(unshare[0].args,
            (std::vector<ArgCondition>{{0, k_unshare_namespace_flags, 0, "SCMP_CMP_MASKED_EQ"}}));

  // prctl: the app's option plus the runtime's (runc calls them after the filter is in).
  auto prctl = arg_rules_of(p, "prctl");
  std::vector<std::uint64_t> options;
  for (const auto& r : prctl) {
    options.push_back(r.args.at(0).value);
  }
  EXPECT_EQ(options, (std::vector<std::uint64_t>{8, 15, 24, 47}));

  ASSERT_EQ(g.value().filtered.size(), 5u);
  EXPECT_EQ(g.value().filtered[0].name, "clone");
  EXPECT_EQ(g.value().filtered[0].allowed, (std::vector<std::uint64_t>{0}));
  EXPECT_EQ(g.value().enosys, (std::vector<std::string>{"clone3"}));
  EXPECT_TRUE(g.value().warnings.empty()) << g.value().warnings.front();
  EXPECT_GT(g.value().bpf_bytes, 0u);

  // The JSON is Docker's `args` syntax, and reads back to the same rules.
  auto j = nlohmann::json::parse(g.value().json);
  bool masked_seen = false;
  for (const auto& r : j["syscalls"]) {
    if (r["names"][0] == "clone" && r.contains("args")) {
      EXPECT_EQ(r["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
      EXPECT_EQ(r["args"][0]["value"], k_clone_namespace_flags);
      EXPECT_EQ(r["args"][0]["valueTwo"], 0);
      masked_seen = true;
    }
    if (r["names"][0] == "socket") {
      EXPECT_FALSE(r["args"][0].contains("valueTwo"));
    }
  }
  EXPECT_TRUE(masked_seen);
  auto back = parse_seccomp_profile(g.value().json);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(arg_rules_of(back.value(), "socket").size(), 2u);
  EXPECT_EQ(compile_seccomp_profile(back.value()).value(), g.value().bpf_bytes);
}

TEST(SeccompArgs, NamespaceFlagsSeenAreAllowedExactly) {
  SeenCalls seen;
  seen.names = {"clone"};
  // a plain fork, and one into new user and mount namespaces
  seen.args = std::vector<SyscallArgs>{{"clone", 0, {0x1200011, 0x1200011 | 0x10020000}}};
  auto g = generate_seccomp_profile(seen, "x86_64");
  ASSERT_TRUE(g.ok()) << g.error();
  auto clone = arg_rules_of(g.value().profile, "clone");
  ASSERT_EQ(clone.size(), 2u);
  EXPECT_EQ(clone[0].args[0].value_two, 0u);
  EXPECT_EQ(clone[1].args[0].value_two, 0x10020000u);
}

TEST(SeccompArgs, Clone3ValuesAreAllowedOnCloneAndClone3GetsEnosys) {
  SeenCalls seen;
  seen.names = {"clone3"};
  seen.args = std::vector<SyscallArgs>{{"clone3", 0, {0x3d0f00}}};
  GenerateOptions options;
  options.add_runtime = false;
  auto g = generate_seccomp_profile(seen, "x86_64", options);
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_FALSE(has(g.value().profile.allowed(), "clone3"));
  EXPECT_EQ(g.value().enosys, (std::vector<std::string>{"clone3"}));
  auto clone = arg_rules_of(g.value().profile, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0].args[0].value_two, 0u);

  // Even with the strict list, a filtered clone needs clone3's ENOSYS (else clone3 bypasses it).
  options.baseline = Baseline::none;
  auto strict = generate_seccomp_profile(seen, "x86_64", options);
  ASSERT_TRUE(strict.ok()) << strict.error();
  EXPECT_EQ(strict.value().enosys, (std::vector<std::string>{"clone3"}));
}

TEST(SeccompArgs, OlderSensorsGetNameOnlyRules) {
  auto g =
      generate_seccomp_profile(SeenCalls{{"socket", "clone", "prctl"}, std::nullopt}, "x86_64");
  ASSERT_TRUE(g.ok()) << g.error();
  const auto allowed = g.value().profile.allowed();
  EXPECT_TRUE(has(allowed, "socket"));
  EXPECT_TRUE(has(allowed, "clone"));
  EXPECT_TRUE(has(allowed, "prctl"));
  EXPECT_TRUE(g.value().profile.allowed_with_args().empty());
  EXPECT_TRUE(g.value().filtered.empty());
  EXPECT_FALSE(g.value().args_seen.has_value());
}

TEST(SeccompArgs, UnfilterableValuesFallBackToNameOnlyWithAWarning) {
  SeenCalls seen;
  seen.names = {"socket", "ioctl", "personality"};
  std::vector<std::uint64_t> many;
  for (std::uint64_t v = 0; v <= k_max_arg_values; ++v) {
    many.push_back(v);
  }
  // socket seen without values, ioctl is not filtered by slim, personality has too many.
  seen.args = std::vector<SyscallArgs>{{"ioctl", 1, {0x5401}}, {"personality", 0, many}};
  GenerateOptions options;
  options.add_runtime = false;
  auto g = generate_seccomp_profile(seen, "x86_64", options);
  ASSERT_TRUE(g.ok()) << g.error();
  const auto allowed = g.value().profile.allowed();
  EXPECT_TRUE(has(allowed, "socket"));
  EXPECT_TRUE(has(allowed, "ioctl"));
  EXPECT_TRUE(has(allowed, "personality"));
  EXPECT_TRUE(g.value().filtered.empty());
  ASSERT_EQ(g.value().warnings.size(), 3u);
  std::string all;
  for (const auto& w : g.value().warnings) {
    all += w + "\n";
  }
  EXPECT_NE(all.find("`ioctl` is allowed with any arguments"), std::string::npos) << all;
  EXPECT_NE(all.find("`personality` was seen with 65"), std::string::npos) << all;
  EXPECT_NE(all.find("`socket` was seen but the sensor reported no argument values"),
            std::string::npos)
      << all;
}

TEST(SeccompArgs, RecordedArgsWithoutTheAppsCallsFilterTheRuntimesOnTheirValues) {
  SeenCalls seen;
  seen.names = {"read", "write"};
  seen.args = std::vector<SyscallArgs>{}; // the sensor records args; the app used none of them
  auto g = generate_seccomp_profile(seen, "x86_64");
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_FALSE(has(g.value().profile.allowed(), "prctl"));
  EXPECT_TRUE(has(g.value().added_by_runtime, "prctl"));
  auto prctl = arg_rules_of(g.value().profile, "prctl");
  EXPECT_EQ(prctl.size(), 3u); // runc's PR_SET_KEEPCAPS, PR_CAPBSET_DROP, PR_CAP_AMBIENT
  EXPECT_EQ(arg_rules_of(g.value().profile, "clone").size(), 1u);
}

TEST(SeccompArgs, SyscallArgsJsonRoundTripAndIsCheckedAsUntrusted) {
  std::vector<SyscallArgs> args = {{"socket", 0, {10, 2}}, {"clone", 0, {0x3d0f00}}};
  auto j = syscall_args_to_json(args);
  EXPECT_EQ(j[0]["name"], "clone"); // sorted
  EXPECT_EQ(j[1]["values"], nlohmann::json::parse("[2,10]"));
  auto back = parse_syscall_args(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back.value()[1], (SyscallArgs{"socket", 0, {2, 10}}));

  // two entries for one call are merged
  auto merged = parse_syscall_args(nlohmann::json::parse(
      R"([{"name":"socket","index":0,"values":[2]},{"name":"socket","index":0,"values":[1,2]}])"));
  ASSERT_TRUE(merged.ok()) << merged.error();
  ASSERT_EQ(merged.value().size(), 1u);
  EXPECT_EQ(merged.value()[0].values, (std::vector<std::uint64_t>{1, 2}));

  for (const char* bad : {R"({"name":"socket"})", R"([{"index":0,"values":[]}])",
                          R"([{"name":"socket","index":6,"values":[1]}])",
                          R"([{"name":"socket","index":0,"values":[-1]}])",
                          R"([{"name":"socket","index":0,"values":"2"}])"}) {
    EXPECT_FALSE(parse_syscall_args(nlohmann::json::parse(bad)).ok()) << bad;
  }
}

TEST(SeccompAction, LogModeLogsInsteadOfBlocking) {
  GenerateOptions options;
  options.action = DefaultAction::log;
  auto g = generate_seccomp_profile(SeenCalls{{"read"}, std::nullopt}, "x86_64", options);
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_EQ(g.value().profile.default_action, "SCMP_ACT_LOG");
  EXPECT_FALSE(g.value().profile.default_errno_ret.has_value());
  auto j = nlohmann::json::parse(g.value().json);
  EXPECT_EQ(j["defaultAction"], "SCMP_ACT_LOG");
  EXPECT_FALSE(j.contains("defaultErrnoRet"));
  EXPECT_EQ(parse_default_action("errno").value(), DefaultAction::errno_eperm);
  EXPECT_EQ(parse_default_action("log").value(), DefaultAction::log);
  EXPECT_FALSE(parse_default_action("kill").ok());
}

// Exit codes of the child below: 0 = every check held, else the number of the first that failed.
int child_under_argument_filters(const SeccompProfile& profile) {
  // Before the filter: AF_NETLINK sockets need no privilege, so a failure later is the filter's.
  long nl = ::syscall(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  if (nl < 0) {
    return 20;
  }
  ::syscall(SYS_close, nl);
  if (!compile_seccomp_profile(profile, true).ok()) {
    return 21;
  }
  // Only raw system calls from here: the profile allows little.
  long inet = ::syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
  if (inet < 0) {
    return 1;
  }
  ::syscall(SYS_close, inet);
  errno = 0;
  if (::syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0) != -1 || errno != EPERM) {
    return 2;
  }
  errno = 0;
  if (::syscall(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) != -1 || errno != EPERM) {
    return 3;
  }
  errno = 0;
  if (::syscall(SYS_socket, AF_INET6, SOCK_STREAM, 0) != -1 || errno != EPERM) {
    return 4;
  }
  errno = 0;
  if (::syscall(SYS_unshare, CLONE_NEWUSER) != -1 || errno != EPERM) {
    return 5;
  }
  if (::syscall(SYS_unshare, CLONE_FILES) != 0) { // seen: no namespace bits
    return 6;
  }
  // A plain fork through clone works (the grandchild exits at once) ...
  long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    ::syscall(SYS_exit_group, 0);
  }
  if (pid < 0) {
    return 7;
  }
  int status = -1;
  if (::syscall(SYS_wait4, pid, &status, 0, 0) != pid || status != 0) {
    return 8;
  }
  // ... one into a new user namespace does not, and clone3 answers ENOSYS.
  errno = 0;
  if (::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) != -1 || errno != EPERM) {
    return 9;
  }
  errno = 0;
  if (::syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) {
    return 10;
  }
  return 0;
}

TEST(SeccompArgs, LoadedFilterAllowsOnlyTheSeenArguments) {
  SeenCalls seen;
  // the allocator's calls (the child still allocates after loading; ASan's runtime maps memory)
  seen.names = {"write",        "exit_group",  "exit",    "mmap",   "munmap",
                "brk",          "mprotect",    "madvise", "futex",  "rt_sigprocmask",
                "rt_sigaction", "sigaltstack", "gettid",  "getpid", "close",
                "wait4",        "socket",      "clone",   "unshare"};
  seen.args = std::vector<SyscallArgs>{
      {"socket", 0, {AF_INET}},
      {"clone", 0, {SIGCHLD}},
      {"unshare", 0, {CLONE_FILES}},
  };
  GenerateOptions options;
  options.add_runtime = false;
  options.baseline = Baseline::none;
  auto g = generate_seccomp_profile(seen, "x86_64", options);
  ASSERT_TRUE(g.ok()) << g.error();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::syscall(SYS_exit_group, child_under_argument_filters(g.value().profile));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "check " << WEXITSTATUS(status) << " failed";
}

} // namespace
} // namespace slim::seccomp
