#pragma once
// The profile slim generates: the calls the sensor saw, the calls the OCI runtime makes after
// it installed the filter, the harmless baseline, and argument filters for the calls of
// k_arg_policies when the sensor recorded their values. Compiled before it is handed out.

#include "slim/seccomp/arg_rules.hpp"
#include "slim/seccomp/baseline.hpp"
#include "slim/seccomp/profile.hpp"
#include "slim/util/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::seccomp {

/// System calls runc (and the Go runtime inside it) may make after it installed the filter
/// and before it execs the app: with Docker's default NoNewPrivileges=false the filter goes
/// in *before* runc drops privileges, so setuid/setgroups/capset and the /proc/self/fd checks
/// (fstatfs, "ensure /proc/self/fd is on procfs") run under it. A first list from reading
/// runc's libcontainer/standard_init_linux.go; the lead refines it by tests on the engine.
extern const std::vector<std::string> k_runtime_syscalls;

/// The argument values runc passes to the calls of k_runtime_syscalls that slim filters by
/// argument (prctl's options found by test on runc 1.1.5: PR_SET_KEEPCAPS, PR_CAPBSET_DROP,
/// PR_CAP_AMBIENT; clone: the Go runtime's thread flags). Added to the app's values when the
/// sensor records argument values; without them the runtime's calls get name-only rules.
extern const std::vector<SyscallArgs> k_runtime_syscall_args;

/// What the profile is generated from.
struct SeenCalls {
  std::vector<std::string> names; ///< the report's `syscalls`
  /// The report's `syscall_args`. nullopt: the sensor records no argument values, and every
  /// call gets a name-only rule (profiles as before argument filters).
  std::optional<std::vector<SyscallArgs>> args;
};

/// What a call outside the profile gets (--seccomp-action).
enum class DefaultAction {
  errno_eperm, ///< SCMP_ACT_ERRNO with defaultErrnoRet 1 (EPERM): enforcing
  log,         ///< SCMP_ACT_LOG: allowed and logged by the kernel (a staged rollout)
};

/// "errno" or "log"; fails on anything else.
Result<DefaultAction> parse_default_action(std::string_view text);

/// The action's name as parse_default_action reads it.
std::string_view to_string(DefaultAction action);

/// How to generate.
struct GenerateOptions {
  bool add_runtime = true; ///< add k_runtime_syscalls (and their argument values)
  Baseline baseline = Baseline::harmless;
  DefaultAction action = DefaultAction::errno_eperm;
  /// When not empty, the profile's architectures instead of the ones of `arch`.
  std::vector<std::string> architectures;
};

/// A generated profile and what went into it.
struct GeneratedProfile {
  SeccompProfile profile;
  std::vector<std::string> warnings;         ///< one per dropped name or unfiltered argument
  std::vector<std::string> added_by_runtime; ///< names k_runtime_syscalls added (not seen)
  std::vector<std::string> from_baseline;    ///< names the baseline added (seen by neither)
  std::vector<std::string> enosys;           ///< calls answered ENOSYS (clone3)
  std::vector<FilteredCall> filtered;        ///< calls allowed only for some argument values
  std::optional<std::vector<SyscallArgs>> args_seen; ///< SeenCalls::args (for the report)
  Baseline baseline = Baseline::harmless;
  DefaultAction action = DefaultAction::errno_eperm;
  std::size_t bpf_bytes = 0; ///< size of the compiled filters, all architectures
  std::string json;          ///< the profile as Docker's JSON (to_json_text)
};

/// Builds the allow-list profile for `seen` on `arch` ("x86_64", ...): one name-only allow rule
/// (seen + runtime + baseline names, minus the filtered ones), allow rules with `args` for the
/// calls of k_arg_policies with recorded values (no unconditional rule for them), and clone3
/// answered ENOSYS when clone is filtered or the baseline is harmless and clone3 was not seen.
/// Names libseccomp does not know are dropped with a warning. Fails when the arch is unknown
/// or the profile does not compile.
Result<GeneratedProfile> generate_seccomp_profile(const SeenCalls& seen, std::string_view arch,
                                                  const GenerateOptions& options = {});

/// generate_seccomp_profile for the pipeline: throws slim::Error ("cannot make the seccomp
/// profile: ...") instead of returning an error.
GeneratedProfile make_seccomp_profile(const SeenCalls& seen, std::string_view arch,
                                      const GenerateOptions& options = {});

} // namespace slim::seccomp
