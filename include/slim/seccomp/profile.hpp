#pragma once
// Seccomp profiles in Docker's JSON format: the model (rules with optional argument
// conditions), compiled with libseccomp as runc compiles them (every name must be known, every
// rule must compile to BPF), written as JSON and read back. Generating one from what the
// sensor saw is in generate.hpp, other output formats in formats.hpp.

#include "slim/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::seccomp {

/// One `args` entry of a rule: compares argument `index` (0-5) with `op`. For
/// SCMP_CMP_MASKED_EQ, `value` is the mask and `value_two` the value the masked argument must
/// equal (Docker's and the OCI spec's meaning); the other ops compare with `value` only.
struct ArgCondition {
  unsigned index = 0;
  std::uint64_t value = 0;
  std::uint64_t value_two = 0;
  std::string op = "SCMP_CMP_EQ";
  friend bool operator==(const ArgCondition&, const ArgCondition&) = default;
  friend auto operator<=>(const ArgCondition&, const ArgCondition&) = default;
};

/// One rule of a Docker seccomp profile.
struct SeccompRule {
  std::vector<std::string> names; ///< system call names, sorted
  std::string action = "SCMP_ACT_ALLOW";
  std::optional<int> errno_ret;   ///< `errnoRet` for SCMP_ACT_ERRNO rules
  std::vector<ArgCondition> args; ///< all must hold (empty: the rule applies to every call)
};

/// A Docker seccomp profile (the parts slim writes and reads).
struct SeccompProfile {
  std::string default_action = "SCMP_ACT_ERRNO";
  std::optional<int> default_errno_ret;   ///< `defaultErrnoRet` (1 = EPERM)
  std::vector<std::string> architectures; ///< "SCMP_ARCH_X86_64", ...
  std::vector<SeccompRule> syscalls;
  /// Every name an SCMP_ACT_ALLOW rule without args allows, sorted and unique.
  std::vector<std::string> allowed() const;
  /// Every name an SCMP_ACT_ALLOW rule with args allows for some values, sorted and unique.
  std::vector<std::string> allowed_with_args() const;
  /// The number of distinct names in all rules (a profile's size next to syscalls.size()).
  std::size_t name_count() const;
};

/// Docker's architecture list for a report's `arch` ("x86_64" -> X86_64, X86, X32;
/// "aarch64" -> AARCH64, ARM); fails on an architecture slim does not know.
Result<std::vector<std::string>> seccomp_architectures(std::string_view arch);

/// libseccomp's token for an SCMP_ARCH_* name (the kernel's AUDIT_ARCH_* value), if slim knows it.
std::optional<std::uint32_t> seccomp_arch_token(std::string_view name);

/// The SCMP_ARCH_* name of a libseccomp token / AUDIT_ARCH_* value, if slim knows it.
std::optional<std::string> seccomp_arch_name(std::uint32_t token);

/// Compiles `profile` with libseccomp as runc does (seccomp_init, every architecture added,
/// one seccomp_rule_add_array per name and rule; a rule whose conditions repeat an argument
/// becomes one rule per condition, as runc does; seccomp_export_bpf into a memfd). Returns
/// the BPF size, or an error naming the rule that failed (unknown action, name or op, an index
/// above 5, two actions for the same call and arguments). With `load`, also installs the
/// filter in the calling process (seccomp_load sets no_new_privs first): for tests in a forked
/// child only.
Result<std::size_t> compile_seccomp_profile(const SeccompProfile& profile, bool load = false);

/// True when libseccomp knows `name` on at least one of `architectures`.
bool seccomp_name_known(const std::string& name, const std::vector<std::string>& architectures);

/// The profile as Docker's JSON (pretty, two-space indent, ends with a newline); `valueTwo` is
/// written for SCMP_CMP_MASKED_EQ conditions (and any other with a non-zero one).
std::string to_json_text(const SeccompProfile& profile);

/// Reads a Docker seccomp profile or an OCI `linux.seccomp` object (`architectures` or
/// `archMap`, `syscalls` with `names` or the older `name`, `args` with `index`, `value`,
/// `valueTwo`, `op`); fails naming the field that is wrong.
Result<SeccompProfile> parse_seccomp_profile(std::string_view json);

/// parse_seccomp_profile on a parsed document (for readers that look at the document first).
Result<SeccompProfile> profile_from_json(const nlohmann::json& doc);

/// The profile as Docker's JSON document (what to_json_text prints).
nlohmann::json profile_to_json(const SeccompProfile& profile);

} // namespace slim::seccomp
