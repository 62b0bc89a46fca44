#pragma once
// What the app may call while it is profiled: Docker's default seccomp profile (moby's
// profiles/seccomp/default.json) as data, narrowed to the app's capabilities as Docker narrows
// it (`includes`/`excludes` caps), and compiled with libseccomp into the filter the app's
// process installs before its exec. So a call production would refuse under Docker's default
// profile is refused while profiling too, and never lands in the generated profile.

#include "sensor/bpf.hpp"
#include "sensor/capabilities.hpp"
#include "slim/util/error.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace slim::sensor {

/// One argument comparison of a rule (Docker's `args` entries; all of a rule's must hold).
struct ArgCondition {
  enum class Cmp : std::uint8_t { eq, ne, masked_eq };
  unsigned index = 0;
  Cmp cmp = Cmp::eq;
  std::uint64_t value = 0; ///< eq/ne: the value; masked_eq: what (arg & mask) must equal
  std::uint64_t mask = 0;  ///< masked_eq only
};

/// One rule of the profile: its calls are allowed (or fail with `errno_ret`) when its
/// conditions hold and it applies to the app's capabilities and the host's architecture.
struct PolicyRule {
  std::vector<std::string_view> names;
  std::optional<int> errno_ret; ///< nullopt: allow; else refused with this errno
  std::vector<ArgCondition> args;
  int requires_cap = -1; ///< applies only when the app's bounding set has this capability
  int unless_cap = -1;   ///< applies only when it does not
  std::vector<std::string_view> host_arches; ///< Docker's names ("amd64", "arm64"); empty: all
};

/// Docker's default profile: everything not allowed by a rule is refused with EPERM.
const std::vector<PolicyRule>& docker_default_rules();

/// Docker's name of this host's architecture ("amd64", "arm64").
std::string_view docker_host_arch();

/// The rules of `rules` that apply to an app whose bounding set is `caps` on `host_arch`.
std::vector<const PolicyRule*> applicable_rules(const std::vector<PolicyRule>& rules, CapSet caps,
                                                std::string_view host_arch);

/// How the compiled filter answers.
enum class FilterKind : std::uint8_t {
  /// With a tracer: allowed calls stop for it once (SECCOMP_RET_TRACE), refused ones raise a
  /// SIGSYS it intercepts (SECCOMP_RET_TRAP: it records them and fails them with their errno;
  /// TRAP outranks every action but KILL, so no filter the app adds can let them through).
  trace,
  /// Without one: allowed calls run (SECCOMP_RET_ALLOW), refused ones fail with their errno
  /// (SECCOMP_RET_ERRNO: EPERM, ENOSYS for clone3 as in Docker's profile).
  errno_only,
};

/// The filter for an app with bounding set `caps` on this host's architectures (the native
/// one and its 32-bit/x32 companions, as in Docker's archMap; others are refused), compiled
/// by libseccomp (a binary tree over the syscall numbers). Fails with libseccomp's reason.
Result<BpfProgram> compile_policy(CapSet caps, FilterKind kind);

/// The native number of a syscall name (libseccomp), nullopt when this architecture lacks it.
std::optional<long> native_syscall_number(std::string_view name);

} // namespace slim::sensor
