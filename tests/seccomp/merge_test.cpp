// `slim seccomp merge`: inputs told apart by content, the union of calls and argument values,
// on two recorded build reports of slim-fixture/site and a profile of an older slim
// (tests/data/seccomp/README.md says where each came from).
#include "slim/seccomp/formats.hpp"
#include "slim/seccomp/merge.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace slim::seccomp {
namespace {

using nlohmann::json;

std::string data(const std::string& name) {
  std::ifstream in(std::string(SLIM_TEST_DATA_DIR) + "/seccomp/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

MergeInput input(const std::string& name) {
  auto in = read_merge_input(data(name), name);
  EXPECT_TRUE(in.ok()) << in.error();
  return in.ok() ? in.value() : MergeInput{};
}

MergeInput input_text(const std::string& text, const std::string& label) {
  auto in = read_merge_input(text, label);
  EXPECT_TRUE(in.ok()) << in.error();
  return in.ok() ? in.value() : MergeInput{};
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The values the rules of `name` with one EQ condition allow.
std::vector<std::uint64_t> eq_values(const SeccompProfile& p, const std::string& name) {
  std::vector<std::uint64_t> out;
  for (const auto& r : p.syscalls) {
    if (r.action == "SCMP_ACT_ALLOW" && r.names == std::vector<std::string>{name} &&
        r.args.size() == 1 && r.args[0].op == "SCMP_CMP_EQ") {
      out.push_back(r.args[0].value);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> report_syscalls(const std::string& name) {
  return json::parse(data(name))["syscalls"].get<std::vector<std::string>>();
}

TEST(SeccompMerge, TwoRecordedReportsGiveTheUnionOfCallsAndValues) {
  MergeInput a = input("site-run1.report.json");
  MergeInput b = input("site-run2.report.json");
  EXPECT_EQ(a.kind, InputKind::report);
  EXPECT_EQ(b.kind, InputKind::report);
  EXPECT_TRUE(a.architectures.empty()); // an older slim's report
  EXPECT_EQ(b.architectures,
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  auto m = merge_seccomp_inputs({a, b});
  ASSERT_TRUE(m.ok()) << m.error();
  const SeccompProfile& p = m.value().profile;
  EXPECT_EQ(p.architectures, b.architectures); // run1 takes run2's
  EXPECT_EQ(p.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(p.default_errno_ret, 1);
  const auto allowed = p.allowed();
  const auto with_args = p.allowed_with_args();
  for (const auto& name : report_syscalls("site-run1.report.json")) {
    EXPECT_TRUE(has(allowed, name) || has(with_args, name)) << name;
  }
  for (const auto& name : report_syscalls("site-run2.report.json")) {
    EXPECT_TRUE(has(allowed, name) || has(with_args, name)) << name;
  }
  // run1 saw AF_INET, run2 AF_INET and AF_INET6; prctl: PR_SET_DUMPABLE in both, plus runc's
  EXPECT_FALSE(has(allowed, "socket"));
  EXPECT_EQ(eq_values(p, "socket"), (std::vector<std::uint64_t>{2, 10}));
  EXPECT_EQ(eq_values(p, "prctl"), (std::vector<std::uint64_t>{4, 8, 24, 47}));
  EXPECT_FALSE(has(allowed, "clone3"));
  EXPECT_GT(m.value().bpf_bytes, 0u);
  EXPECT_TRUE(compile_seccomp_profile(p).ok());
}

TEST(SeccompMerge, ArgumentRulesMergedWithANameOnlyRuleGiveTheNameOnlyRule) {
  MergeInput old = input("site-old.profile.json");
  EXPECT_EQ(old.kind, InputKind::profile);
  auto m = merge_seccomp_inputs({input("site-run1.report.json"), old});
  ASSERT_TRUE(m.ok()) << m.error();
  const SeccompProfile& p = m.value().profile;
  EXPECT_TRUE(has(p.allowed(), "socket")); // the older profile allows it whatever the family
  EXPECT_TRUE(eq_values(p, "socket").empty());
  EXPECT_TRUE(has(p.allowed(), "clone"));
  EXPECT_FALSE(has(p.allowed_with_args(), "clone"));
  // the older profile has no baseline: the report's run brings it
  EXPECT_TRUE(has(p.allowed(), "getresuid"));
}

TEST(SeccompMerge, AReportWithoutArchitecturesNeedsAnother) {
  auto alone = merge_seccomp_inputs({input("site-run1.report.json")});
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.error().find("--arch"), std::string::npos) << alone.error();
  MergeOptions o;
  o.arch = "x86_64";
  auto with_arch = merge_seccomp_inputs({input("site-run1.report.json")}, o);
  ASSERT_TRUE(with_arch.ok()) << with_arch.error();
  EXPECT_EQ(with_arch.value().profile.architectures.front(), "SCMP_ARCH_X86_64");
}

TEST(SeccompMerge, TellsInputsApartByContent) {
  const std::string docker = data("site-old.profile.json");
  const json profile = json::parse(docker);
  EXPECT_EQ(input_text(docker, "docker").kind, InputKind::profile);
  json config = {{"ociVersion", "1.0.2"}, {"linux", {{"seccomp", profile}}}};
  MergeInput oci = input_text(config.dump(), "config.json");
  EXPECT_EQ(oci.kind, InputKind::oci_config);
  EXPECT_EQ(oci.profile.allowed(), input_text(docker, "docker").profile.allowed());
  auto spo = to_spo_manifest(input_text(docker, "docker").profile, "site");
  ASSERT_TRUE(spo.ok()) << spo.error();
  MergeInput manifest = input_text(spo.value().dump(), "sp.json");
  EXPECT_EQ(manifest.kind, InputKind::spo_manifest);
  EXPECT_EQ(manifest.profile.allowed(), oci.profile.allowed());
  // The sensor's own report names its arch.
  MergeInput sensor = input_text(
      R"({"version":1,"arch":"aarch64","syscalls":["read","write"],"files":[]})", "report.json");
  EXPECT_EQ(sensor.kind, InputKind::report);
  EXPECT_EQ(sensor.architectures.front(), "SCMP_ARCH_AARCH64");

  for (const char* bad : {"", "[]", R"({"hello":1})", "apiVersion: v1\nkind: SeccompProfile\n",
                          R"({"syscalls":[1]})"}) {
    auto r = read_merge_input(bad, "in.json");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().find("in.json"), std::string::npos) << r.error();
  }
}

TEST(SeccompMerge, DefaultActionsMustAgreeUnlessChosen) {
  SeccompProfile log_profile = input("site-old.profile.json").profile;
  log_profile.default_action = "SCMP_ACT_LOG";
  log_profile.default_errno_ret.reset();
  MergeInput logged = input_text(to_json_text(log_profile), "log.json");
  MergeInput enforcing = input("site-old.profile.json");
  auto r = merge_seccomp_inputs({enforcing, logged});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("--action"), std::string::npos) << r.error();
  MergeOptions o;
  o.action = DefaultAction::errno_eperm; // the rollout's logged runs become the enforcing profile
  auto chosen = merge_seccomp_inputs({enforcing, logged}, o);
  ASSERT_TRUE(chosen.ok()) << chosen.error();
  EXPECT_EQ(chosen.value().profile.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(chosen.value().profile.default_errno_ret, EPERM);

  SeccompProfile deny = enforcing.profile;
  deny.default_action = "SCMP_ACT_ALLOW";
  deny.default_errno_ret.reset();
  auto d = merge_seccomp_inputs({input_text(to_json_text(deny), "deny.json")}, o);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().find("deny list"), std::string::npos) << d.error();
  EXPECT_FALSE(merge_seccomp_inputs({}).ok());
}

TEST(SeccompMerge, ArchitecturesAreUnionedAndSaidSo) {
  SeccompProfile arm;
  arm.default_errno_ret = EPERM;
  arm.architectures = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
  arm.syscalls = {{{"read", "write", "openat"}, "SCMP_ACT_ALLOW", {}, {}}};
  auto m = merge_seccomp_inputs(
      {input("site-old.profile.json"), input_text(to_json_text(arm), "arm.json")});
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m.value().profile.architectures,
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                      "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  ASSERT_EQ(m.value().notes.size(), 1u);
  EXPECT_NE(m.value().notes[0].find("union"), std::string::npos);
}

TEST(SeccompMerge, OtherActionsStayOnlyForCallsNoInputAllows) {
  SeccompProfile a;
  a.default_errno_ret = EPERM;
  a.architectures = {"SCMP_ARCH_X86_64"};
  a.syscalls = {{{"read"}, "SCMP_ACT_ALLOW", {}, {}},
                {{"clone3"}, "SCMP_ACT_ERRNO", ENOSYS, {}},
                {{"ptrace"}, "SCMP_ACT_ERRNO", ENOSYS, {}},
                {{"socket"}, "SCMP_ACT_ALLOW", {}, {{0, 2, 0, "SCMP_CMP_EQ"}}}};
  SeccompProfile b = a;
  b.syscalls = {{{"clone3", "write"}, "SCMP_ACT_ALLOW", {}, {}},
                {{"socket"}, "SCMP_ACT_ALLOW", {}, {{0, 10, 0, "SCMP_CMP_EQ"}}},
                {{"socket"}, "SCMP_ACT_ALLOW", {}, {{0, 2, 0, "SCMP_CMP_EQ"}}}};
  auto m = merge_seccomp_inputs(
      {input_text(to_json_text(a), "a.json"), input_text(to_json_text(b), "b.json")});
  ASSERT_TRUE(m.ok()) << m.error();
  const SeccompProfile& p = m.value().profile;
  EXPECT_EQ(p.allowed(), (std::vector<std::string>{"clone3", "read", "write"}));
  EXPECT_EQ(eq_values(p, "socket"), (std::vector<std::uint64_t>{2, 10})); // deduplicated
  ASSERT_EQ(p.syscalls.size(), 4u);
  EXPECT_EQ(p.syscalls.back().names, (std::vector<std::string>{"ptrace"})); // clone3's went
  EXPECT_EQ(p.syscalls.back().errno_ret, ENOSYS);
}

} // namespace
} // namespace slim::seccomp
