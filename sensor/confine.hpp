#pragma once
// Confining the app (and `sensor exec` commands) while they are profiled: the capabilities
// only the sensor needs are taken from all five sets and the app runs under Docker's default
// seccomp policy (syscall_policy.hpp); PID 1 protects /.slim and itself. The decision of how
// (plan_confinement) is pure; the rest makes the system calls.

#include "sensor/bpf.hpp"
#include "sensor/capabilities.hpp"
#include "slim/util/error.hpp"

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace slim::sensor {

/// Which filter the app's process installs before its exec.
enum class FilterMode : std::uint8_t {
  trace,      ///< the trace filter (tracer present, CAP_SYS_ADMIN): refusals via SIGSYS
  tracer,     ///< none: the tracer (PTRACE_SYSCALL, no CAP_SYS_ADMIN) refuses calls itself
  errno_only, ///< the errno filter (no tracer, CAP_SYS_ADMIN)
  errno_nnp,  ///< the errno filter under no_new_privs (neither: the only way to confine)
};

/// How to confine a child: `traced` when a tracer seized it, `can_filter` when we hold
/// CAP_SYS_ADMIN (a filter without no_new_privs, which would break setuid programs). Pure.
constexpr FilterMode plan_confinement(bool traced, bool can_filter) {
  if (traced) {
    return can_filter ? FilterMode::trace : FilterMode::tracer;
  }
  return can_filter ? FilterMode::errno_only : FilterMode::errno_nnp;
}

/// The report's name of a mode: "seccomp-trace", "ptrace", "seccomp-errno",
/// "seccomp-errno+no_new_privs".
const char* confinement_name(FilterMode mode);

/// What the app's process applies to itself between fork and exec (prepared before the fork).
struct Confinement {
  CapSet drop = 0;         ///< taken from bounding, permitted, effective, inheritable, ambient
  CapSet app_bounding = 0; ///< the app's bounding set after the drop (the policy's caps)
  BpfProgram trace_filter; ///< FilterKind::trace for app_bounding
  BpfProgram errno_filter; ///< FilterKind::errno_only for app_bounding (also the tracer's policy)
  bool can_filter = false; ///< we hold CAP_SYS_ADMIN
};

/// The confinement of an app that keeps `keep` of the sensor-only capabilities, from this
/// process's own capability sets; fails when the policy does not compile.
Result<Confinement> prepare_confinement(CapSet keep);

/// In the child between fork and exec (async-signal-safe, no allocation): installs the filter
/// `mode` names, then drops `c.drop` from all five capability sets. Returns 0, or the errno of
/// the step that failed (the child must not exec then: fail closed).
int confine_self(const Confinement& c, FilterMode mode);

/// This process's five capability sets (capget and the bounding/ambient prctls).
CapSets own_capabilities();

/// Makes `dir` a read-only bind mount of itself, so processes of the container (the app) can
/// no longer replace what is in it; the sensor writes below it through a descriptor opened
/// before. Error text on failure, empty on success.
std::string protect_directory(const std::string& dir);

/// Makes this process non-dumpable: no ptrace attach or /proc/PID/{mem,fd,environ,...} access
/// without CAP_SYS_PTRACE (which the app lacks), also for a same-uid app.
void make_undumpable();

/// True when pid's capability bounding set (from /proc) holds all of `caps`, read so that a
/// process that exited (its PID possibly reused) answers false. `pidfd` (or -1) pins the
/// process the caller means.
bool process_holds(pid_t pid, int pidfd, CapSet caps);

} // namespace slim::sensor
