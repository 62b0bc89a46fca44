// The output formats: the OCI `linux.seccomp` object and the security-profiles-operator
// SeccompProfile manifest, checked against the field lists of the spec and the CRD.
#include "slim/seccomp/formats.hpp"
#include "slim/seccomp/generate.hpp"

#include <algorithm>
#include <cerrno>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace slim::seccomp {
namespace {

using nlohmann::json;

// Every key of `object` is in `allowed`.
::testing::AssertionResult keys_within(const json& object, const std::set<std::string>& allowed) {
  if (!object.is_object()) {
    return ::testing::AssertionFailure() << object.dump() << " is not an object";
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (allowed.count(it.key()) == 0) {
      return ::testing::AssertionFailure() << "unexpected key `" << it.key() << "`";
    }
  }
  return ::testing::AssertionSuccess();
}

const std::set<std::string> k_actions = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
const std::set<std::string> k_ops = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                     "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                     "SCMP_CMP_MASKED_EQ"};

// The syscalls array as both the OCI spec and the SPO CRD define its entries.
void expect_syscalls_shape(const json& syscalls, bool crd) {
  ASSERT_TRUE(syscalls.is_array());
  ASSERT_FALSE(syscalls.empty());
  bool saw_args = false;
  for (const auto& r : syscalls) {
    EXPECT_TRUE(keys_within(r, {"names", "action", "errnoRet", "args"}));
    ASSERT_TRUE(r.contains("names") && r["names"].is_array()) << r.dump();
    EXPECT_GE(r["names"].size(), 1u);
    for (const auto& n : r["names"]) {
      EXPECT_TRUE(n.is_string());
    }
    ASSERT_TRUE(r.contains("action"));
    EXPECT_EQ(k_actions.count(r["action"].get<std::string>()), 1u) << r["action"];
    if (r.contains("errnoRet")) {
      EXPECT_TRUE(r["errnoRet"].is_number_unsigned() || r["errnoRet"].get<int>() >= 0);
    }
    if (r.contains("args")) {
      saw_args = true;
      ASSERT_TRUE(r["args"].is_array());
      if (crd) {
        EXPECT_LE(r["args"].size(), 6u); // +kubebuilder:validation:MaxItems=6
      }
      for (const auto& a : r["args"]) {
        EXPECT_TRUE(keys_within(a, {"index", "value", "valueTwo", "op"}));
        EXPECT_TRUE(a.contains("index") && a["index"].is_number_unsigned()) << a.dump();
        EXPECT_TRUE(a.contains("value") && a["value"].is_number_unsigned()) << a.dump();
        ASSERT_TRUE(a.contains("op"));
        EXPECT_EQ(k_ops.count(a["op"].get<std::string>()), 1u) << a["op"];
      }
    }
  }
  EXPECT_TRUE(saw_args);
}

SeccompProfile filtered_profile() {
  SeenCalls seen;
  seen.names = {"read", "write", "socket", "clone"};
  seen.args = std::vector<SyscallArgs>{{"socket", 0, {2, 10}}, {"clone", 0, {0x3d0f00}}};
  return generate_seccomp_profile(seen, "x86_64").value().profile;
}

TEST(SeccompFormats, OciObjectHasTheSpecsFields) {
  auto oci = to_oci_seccomp(filtered_profile());
  ASSERT_TRUE(oci.ok()) << oci.error();
  const json& j = oci.value();
  EXPECT_TRUE(keys_within(j, {"defaultAction", "defaultErrnoRet", "architectures", "flags",
                              "listenerPath", "listenerMetadata", "syscalls"}));
  EXPECT_EQ(j["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(j["defaultErrnoRet"], 1);
  EXPECT_EQ(j["architectures"],
            json::parse(R"(["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"])"));
  expect_syscalls_shape(j["syscalls"], false);
  // valueTwo only where it means something (the masked compare)
  for (const auto& r : j["syscalls"]) {
    for (const auto& a : r.value("args", json::array())) {
      EXPECT_EQ(a.contains("valueTwo"), a["op"] == "SCMP_CMP_MASKED_EQ") << a.dump();
    }
  }
  // The object reads back as a profile (it is what config.json's linux.seccomp holds).
  auto back = profile_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back.value().syscalls.size(), filtered_profile().syscalls.size());

  SeccompProfile bad = filtered_profile();
  bad.syscalls[0].action = "SCMP_ACT_EXPLODE";
  auto r = to_oci_seccomp(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("SCMP_ACT_EXPLODE"), std::string::npos);
  bad = filtered_profile();
  bad.syscalls.push_back({{}, "SCMP_ACT_ALLOW", {}, {}});
  EXPECT_FALSE(to_oci_seccomp(bad).ok()); // names needs at least one entry
}

TEST(SeccompFormats, SpoManifestHasTheCrdsShape) {
  auto m = to_spo_manifest(filtered_profile(), "my-app");
  ASSERT_TRUE(m.ok()) << m.error();
  const json& j = m.value();
  EXPECT_TRUE(keys_within(j, {"apiVersion", "kind", "metadata", "spec"}));
  EXPECT_EQ(j["apiVersion"], "security-profiles-operator.x-k8s.io/v1beta1");
  EXPECT_EQ(j["kind"], "SeccompProfile");
  EXPECT_TRUE(keys_within(j["metadata"], {"name", "namespace", "labels", "annotations"}));
  EXPECT_EQ(j["metadata"]["name"], "my-app");
  // SeccompProfileSpec's fields: no defaultErrnoRet there
  EXPECT_TRUE(
      keys_within(j["spec"], {"baseProfileName", "disabled", "defaultAction", "architectures",
                              "listenerPath", "listenerMetadata", "syscalls", "flags"}));
  EXPECT_EQ(j["spec"]["defaultAction"], "SCMP_ACT_ERRNO");
  for (const auto& a : j["spec"]["architectures"]) {
    EXPECT_TRUE(std::regex_match(a.get<std::string>(), std::regex("SCMP_ARCH_[A-Z0-9_]+")));
  }
  expect_syscalls_shape(j["spec"]["syscalls"], true);

  // A default errno the CRD cannot say, a bad name: errors, not a different profile.
  SeccompProfile other = filtered_profile();
  other.default_errno_ret = 38;
  EXPECT_FALSE(to_spo_manifest(other, "my-app").ok());
  auto bad_name = to_spo_manifest(filtered_profile(), "My_App");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.error().find("`my-app`"), std::string::npos) << bad_name.error();
}

TEST(SeccompFormats, SpoNamesAreDns1123Subdomains) {
  const std::regex dns1123("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  EXPECT_EQ(spo_name("nginx"), "nginx");
  EXPECT_EQ(spo_name("My_App:1.2"), "my-app-1.2");
  EXPECT_EQ(spo_name("__app-seccomp__"), "app-seccomp");
  EXPECT_EQ(spo_name("///"), "seccomp-profile");
  EXPECT_EQ(spo_name(std::string(300, 'a')).size(), 253u);
  for (const char* in : {"registry:5000/team/app", "-x-", "A..B", "x y z"}) {
    EXPECT_TRUE(std::regex_match(spo_name(in), dns1123)) << in << " -> " << spo_name(in);
  }
}

TEST(SeccompFormats, KubernetesFormatIsBlockYaml) {
  SeccompProfile p;
  p.default_action = "SCMP_ACT_ERRNO";
  p.default_errno_ret = EPERM;
  p.architectures = {"SCMP_ARCH_X86_64"};
  p.syscalls = {{{"read", "write"}, "SCMP_ACT_ALLOW", {}, {}},
                {{"socket"}, "SCMP_ACT_ALLOW", {}, {{0, 2, 0, "SCMP_CMP_EQ"}}},
                {{"clone3"}, "SCMP_ACT_ERRNO", 38, {}}};
  auto text = render_profile(p, ProfileFormat::kubernetes, "app");
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_EQ(text.value(), R"(apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: app
spec:
  architectures:
    - SCMP_ARCH_X86_64
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
    - action: SCMP_ACT_ALLOW
      names:
        - read
        - write
    - action: SCMP_ACT_ALLOW
      args:
        - index: 0
          op: SCMP_CMP_EQ
          value: 2
      names:
        - socket
    - action: SCMP_ACT_ERRNO
      errnoRet: 38
      names:
        - clone3
)");
  EXPECT_EQ(render_profile(p, ProfileFormat::docker, "").value(), to_json_text(p));
  EXPECT_EQ(file_extension(ProfileFormat::kubernetes), ".yaml");
  EXPECT_EQ(parse_profile_format("oci").value(), ProfileFormat::oci);
  EXPECT_FALSE(parse_profile_format("yaml").ok());
}

TEST(SeccompFormats, YamlQuotesWhatPlainYamlWouldMisread) {
  json doc = {{"a", "yes"},       {"b", "1.5"},         {"c", ""},
              {"d", "has space"}, {"e", json::array()}, {"f", true},
              {"g", "off"},       {"h", "x: y"},        {"i", json::array({json::array({1, 2})})}};
  EXPECT_EQ(to_yaml(doc), R"(a: "yes"
b: "1.5"
c: ""
d: "has space"
e: []
f: true
g: "off"
h: "x: y"
i:
  -
    - 1
    - 2
)");
}

} // namespace
} // namespace slim::seccomp
