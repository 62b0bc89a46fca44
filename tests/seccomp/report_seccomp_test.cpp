// What slim.report.json says about the profile (pipeline::to_json's `seccomp` object and
// `syscall_args`): kept beside the seccomp tests because it is this module's output, and what
// `slim seccomp merge` reads back.
#include "slim/pipeline/report.hpp"
#include "slim/seccomp/merge.hpp"

#include <gtest/gtest.h>

namespace slim::seccomp {
namespace {

TEST(SeccompReport, SaysWhatTheBaselineAndTheFiltersDidAndHowLargeTheProfileIs) {
  SeenCalls seen;
  seen.names = {"read", "write", "socket"};
  seen.args = std::vector<SyscallArgs>{{"socket", 0, {10, 2}}};
  GeneratedProfile g = generate_seccomp_profile(seen, "x86_64").value();
  pipeline::BuildReport r;
  r.syscalls = seen.names;
  r.seccomp_profile = "app-seccomp.yaml";
  r.seccomp_added_by_runtime = g.added_by_runtime;
  r.seccomp = &g;
  r.seccomp_format = "kubernetes";
  auto j = pipeline::to_json(r);
  const auto& s = j["seccomp"];
  EXPECT_EQ(s["profile"], "app-seccomp.yaml");
  EXPECT_EQ(s["format"], "kubernetes");
  EXPECT_EQ(s["default_action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(s["baseline"], "harmless");
  EXPECT_EQ(s["architectures"][0], "SCMP_ARCH_X86_64");
  EXPECT_EQ(s["from_baseline"].get<std::vector<std::string>>(), g.from_baseline);
  EXPECT_FALSE(s["from_baseline"].empty());
  EXPECT_EQ(s["enosys"][0], "clone3");
  EXPECT_EQ(s["rules"], g.profile.syscalls.size());
  EXPECT_EQ(s["names"], g.profile.name_count());
  EXPECT_EQ(s["bpf_bytes"], g.bpf_bytes);
  bool socket_seen = false;
  for (const auto& f : s["arg_filters"]) {
    if (f["name"] == "socket") {
      EXPECT_EQ(f["op"], "SCMP_CMP_EQ");
      EXPECT_FALSE(f.contains("mask"));
      EXPECT_EQ(f["values"], nlohmann::json::parse("[2,10]"));
      socket_seen = true;
    }
    if (f["name"] == "clone") { // runc's threads: filtered once arguments are recorded
      EXPECT_EQ(f["op"], "SCMP_CMP_MASKED_EQ");
      EXPECT_EQ(f["mask"], k_clone_namespace_flags);
    }
  }
  EXPECT_TRUE(socket_seen);
  EXPECT_EQ(j["syscall_args"][0]["name"], "socket");

  // The report reads back as a merge input and makes the same profile.
  auto in = read_merge_input(j.dump(), "slim.report.json");
  ASSERT_TRUE(in.ok()) << in.error();
  EXPECT_EQ(in.value().kind, InputKind::report);
  auto merged = merge_seccomp_inputs({in.value()});
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged.value().profile.allowed(), g.profile.allowed());
  EXPECT_EQ(merged.value().profile.allowed_with_args(), g.profile.allowed_with_args());
  EXPECT_EQ(merged.value().bpf_bytes, g.bpf_bytes);
}

TEST(SeccompReport, WithoutAProfileOnlyThePathAndTheRuntimesCalls) {
  pipeline::BuildReport r;
  auto j = pipeline::to_json(r);
  EXPECT_EQ(j["seccomp"]["profile"], "");
  EXPECT_FALSE(j["seccomp"].contains("rules"));
  EXPECT_FALSE(j.contains("syscall_args"));
}

} // namespace
} // namespace slim::seccomp
