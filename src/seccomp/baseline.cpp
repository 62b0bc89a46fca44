#include "slim/seccomp/baseline.hpp"

namespace slim::seccomp {

// Each entry says why the call is harmless. The test for joining this list: no capability is
// checked, no file descriptor, mapping, namespace or other process is created or changed, and
// what it returns is the caller's own state or something /proc shows every process anyway.
const std::vector<BaselineCall> k_harmless_calls = {
    // identity: the caller's own credentials, read only
    {"getuid", "reads the caller's own real user ID"},
    {"geteuid", "reads the caller's own effective user ID"},
    {"getgid", "reads the caller's own real group ID"},
    {"getegid", "reads the caller's own effective group ID"},
    {"getresuid", "reads the caller's own real, effective and saved user IDs"},
    {"getresgid", "reads the caller's own real, effective and saved group IDs"},
    {"getgroups", "reads the caller's own supplementary groups"},
    {"getuid32", "getuid's 32-bit (x86, arm) name"},
    {"geteuid32", "geteuid's 32-bit (x86, arm) name"},
    {"getgid32", "getgid's 32-bit (x86, arm) name"},
    {"getegid32", "getegid's 32-bit (x86, arm) name"},
    {"getresuid32", "getresuid's 32-bit (x86, arm) name"},
    {"getresgid32", "getresgid's 32-bit (x86, arm) name"},
    {"getgroups32", "getgroups's 32-bit (x86, arm) name"},
    // process IDs: numbers of the caller's own pid namespace (the container's)
    {"getpid", "reads the caller's own process ID"},
    {"getppid", "reads the caller's parent's ID (0 for the container's first process)"},
    {"gettid", "reads the caller's own thread ID"},
    {"getpgrp", "reads the caller's own process group"},
    {"getpgid", "reads a process group ID of the container's pid namespace, as /proc/PID/stat "
                "shows it to everyone"},
    {"getsid", "reads a session ID of the container's pid namespace, as /proc/PID/stat shows it "
               "to everyone"},
    // clocks and sleeps: the vDSO reads the same clocks without a system call; these are its
    // fallback (static binaries, musl, clocks the vDSO does not serve)
    {"clock_gettime", "reads a clock"},
    {"clock_getres", "reads a clock's resolution"},
    {"gettimeofday", "reads the wall clock"},
    {"time", "reads the wall clock in seconds"},
    {"clock_gettime64", "clock_gettime's 32-bit (x86, arm) name"},
    {"clock_getres_time64", "clock_getres's 32-bit (x86, arm) name"},
    {"nanosleep", "suspends the calling thread only"},
    {"clock_nanosleep", "suspends the calling thread only"},
    {"clock_nanosleep_time64", "clock_nanosleep's 32-bit (x86, arm) name"},
    // ending and signals: blocking these turns clean exits into hangs and handled signals into
    // crashes
    {"exit", "ends the calling thread"},
    {"exit_group", "ends the calling process (blocked, every clean exit hangs or loops)"},
    {"rt_sigreturn", "returns from the caller's own signal handler (blocked, the first handled "
                     "signal kills the process)"},
    {"sigreturn", "rt_sigreturn's older 32-bit (x86, arm) form"},
    {"restart_syscall", "restarts the caller's own sleep after a signal interrupted it"},
    {"rt_sigprocmask", "changes the calling thread's own signal mask (threads started later, "
                       "by Go or glibc, set theirs)"},
    {"sigaltstack", "sets the calling thread's own signal stack (every new Go thread does)"},
    // scheduling, the caller's own accounting
    {"sched_yield", "gives up the rest of the caller's time slice"},
    {"sched_getaffinity", "reads which CPUs the caller may run on (runtimes size their thread "
                          "pools by it)"},
    {"getrusage", "reads resource use of the caller and its children"},
    {"times", "reads CPU times of the caller and its children"},
    // the caller's own view of the system
    {"uname", "reads the kernel's name and release (as /proc/version shows them) and the "
              "container's own hostname"},
    {"getcwd", "reads the caller's own working directory"},
    // synchronisation and randomness on the caller's own memory
    {"futex", "waits on or wakes a word of the caller's own memory: every lock, condition "
              "variable and thread join (Docker's default allows it too)"},
    {"futex_time64", "futex's 32-bit (x86, arm) name"},
    {"getrandom", "copies random bytes from the kernel's pool into the caller's memory; no "
                  "file, no capability (libc, OpenSSL, Python and Go seed from it)"},
};

Result<Baseline> parse_baseline(std::string_view text) {
  if (text == "harmless") {
    return Baseline::harmless;
  }
  if (text == "none") {
    return Baseline::none;
  }
  return Result<Baseline>::fail("seccomp baseline `" + std::string(text.substr(0, 64)) +
                                "`: use harmless or none");
}

std::string_view to_string(Baseline baseline) {
  return baseline == Baseline::harmless ? "harmless" : "none";
}

std::vector<std::string> baseline_names(Baseline baseline) {
  std::vector<std::string> out;
  if (baseline == Baseline::harmless) {
    for (const auto& c : k_harmless_calls) {
      out.emplace_back(c.name);
    }
  }
  return out;
}

} // namespace slim::seccomp
