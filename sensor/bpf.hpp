#pragma once
// Classic BPF programs for seccomp as data (pure): the program type and an interpreter with the
// kernel's semantics for the instructions seccomp accepts. The tracer runs the app's policy
// program with it where no kernel filter can be installed (PTRACE_SYSCALL without
// CAP_SYS_ADMIN), and the unit tests run the generated programs over synthetic calls.

#include <cstdint>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <vector>

namespace slim::sensor {

/// A seccomp filter program.
using BpfProgram = std::vector<sock_filter>;

/// What a filter returns for `data` when run as the kernel runs it (words of `data` in native
/// byte order). A program that is malformed (a jump or load out of range, a division by zero,
/// an instruction seccomp does not accept, no return) yields SECCOMP_RET_KILL_PROCESS.
std::uint32_t run_bpf(const BpfProgram& program, const seccomp_data& data);

/// The action part of a filter's return value (SECCOMP_RET_ACTION_FULL).
constexpr std::uint32_t bpf_action(std::uint32_t ret) {
  return ret & SECCOMP_RET_ACTION_FULL;
}

/// The data part of a filter's return value (SECCOMP_RET_DATA): the errno of an ERRNO.
constexpr std::uint32_t bpf_data(std::uint32_t ret) {
  return ret & SECCOMP_RET_DATA;
}

} // namespace slim::sensor
