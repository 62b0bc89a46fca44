#pragma once
// Seccomp profiles in Docker's JSON format: generated from the system calls the sensor saw
// plus the calls the OCI runtime makes after it installs the filter, checked by compiling them
// with libseccomp (every name must be known, every rule must compile to BPF), written as JSON
// and read back.

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

/// One rule of a Docker seccomp profile.
struct SeccompRule {
  std::vector<std::string> names; ///< system call names, sorted
  std::string action = "SCMP_ACT_ALLOW";
  std::optional<int> errno_ret; ///< `errnoRet` for SCMP_ACT_ERRNO rules
  bool has_args = false;        ///< the rule had `args` conditions (kept as read, not compiled)
};

/// A Docker seccomp profile (the parts slim writes and reads).
struct SeccompProfile {
  std::string default_action = "SCMP_ACT_ERRNO";
  std::optional<int> default_errno_ret;   ///< `defaultErrnoRet` (1 = EPERM)
  std::vector<std::string> architectures; ///< "SCMP_ARCH_X86_64", ...
  std::vector<SeccompRule> syscalls;
  /// Every name an SCMP_ACT_ALLOW rule allows, sorted and unique.
  std::vector<std::string> allowed() const;
};

/// Docker's architecture list for a report's `arch` ("x86_64" -> X86_64, X86, X32;
/// "aarch64" -> AARCH64, ARM); fails on an architecture slim does not know.
Result<std::vector<std::string>> seccomp_architectures(std::string_view arch);

/// A generated profile and what was dropped on the way.
struct GeneratedProfile {
  SeccompProfile profile;
  std::vector<std::string> warnings;         ///< one per dropped name
  std::vector<std::string> added_by_runtime; ///< names k_runtime_syscalls added (not seen)
  std::size_t bpf_bytes = 0;                 ///< size of the compiled filters, all architectures
  std::string json;                          ///< the profile as Docker's JSON (to_json_text)
};

/// Builds the allow-list profile (defaultAction SCMP_ACT_ERRNO, defaultErrnoRet 1) for
/// `syscalls` (+ k_runtime_syscalls when `add_runtime`), dropping names libseccomp does not
/// know (with a warning), and compiles it. Fails when the arch is unknown or it does not
/// compile.
Result<GeneratedProfile> generate_seccomp_profile(const std::vector<std::string>& syscalls,
                                                  std::string_view arch, bool add_runtime = true);

/// generate_seccomp_profile with the runtime's calls, for the pipeline: throws slim::Error
/// ("cannot make the seccomp profile: ...") instead of returning an error.
GeneratedProfile make_seccomp_profile(const std::vector<std::string>& syscalls,
                                      std::string_view arch);

/// Compiles `profile` with libseccomp as runc does (seccomp_init, every architecture added,
/// one seccomp_rule_add per name, seccomp_export_bpf into a memfd). Returns the BPF size, or
/// an error naming the rule that failed (unknown action or name). Rules with `args` are
/// skipped. With `load`, also installs the filter in the calling process (seccomp_load sets
/// no_new_privs first): for tests in a forked child only.
Result<std::size_t> compile_seccomp_profile(const SeccompProfile& profile, bool load = false);

/// True when libseccomp knows `name` on at least one of `architectures`.
bool seccomp_name_known(const std::string& name, const std::vector<std::string>& architectures);

/// The profile as Docker's JSON (pretty, two-space indent, ends with a newline).
std::string to_json_text(const SeccompProfile& profile);

/// Reads a Docker seccomp profile (`architectures` or `archMap`, `syscalls` with `names` or
/// the older `name`); fails naming the field that is wrong.
Result<SeccompProfile> parse_seccomp_profile(std::string_view json);

} // namespace slim::seccomp
