// seccomp: the profile of the calls the sensor saw, in the format asked for.
#include "host_files.hpp"
#include "passes.hpp"
#include "slim/seccomp/formats.hpp"
#include "slim/seccomp/generate.hpp"

#include <filesystem>

namespace slim::pipeline {

namespace {
// What slim's probe shell (busybox sh and its applets: wget, sleep, test, cat...) may call on
// one run and not on another: waiting, polling, pipes, sockets, signals, its own processes.
const std::vector<std::string> k_probe_shell_calls = {
    "poll",         "ppoll",         "select",        "pselect6",
    "wait4",        "waitid",        "rt_sigaction",  "rt_sigprocmask",
    "rt_sigreturn", "rt_sigsuspend", "nanosleep",     "clock_nanosleep",
    "alarm",        "setitimer",     "getitimer",     "pipe",
    "pipe2",        "dup",           "dup2",          "dup3",
    "fcntl",        "ioctl",         "vfork",         "fork",
    "clone",        "execve",        "exit",          "exit_group",
    "kill",         "getpid",        "getppid",       "getpgrp",
    "setpgid",      "socket",        "connect",       "sendto",
    "recvfrom",     "read",          "write",         "readv",
    "writev",       "close",         "lseek",         "getsockopt",
    "setsockopt",   "getsockname",   "getpeername",   "shutdown",
    "brk",          "mmap",          "munmap",        "mprotect",
    "uname",        "gettimeofday",  "clock_gettime", "sysinfo",
    "open",         "openat",        "stat",          "fstat",
    "lstat",        "newfstatat",    "statx",         "access",
    "faccessat",    "faccessat2",    "getcwd",        "chdir",
    "umask",        "readlink",      "getdents64",    "sched_yield",
    "futex",        "getrandom",     "getuid",        "geteuid",
    "getgid",       "getegid"};
} // namespace

void seccomp_pass(Context& ctx) {
  seccomp::GenerateOptions options;
  options.baseline = seccomp::parse_baseline(ctx.opt.seccomp_baseline).value();
  options.action = seccomp::parse_default_action(ctx.opt.seccomp_action).value();
  const seccomp::ProfileFormat format =
      seccomp::parse_profile_format(ctx.opt.seccomp_format).value();
  // The sensor's argument values: the calls the profile filters get rules for those only.
  seccomp::SeenCalls seen{ctx.report.syscalls, std::nullopt};
  if (ctx.report.syscall_args) {
    auto args = seccomp::parse_syscall_args(*ctx.report.syscall_args);
    if (!args) {
      throw Error("sensor report: " + args.error());
    }
    seen.args = std::move(args.value());
  }
  auto profile = seccomp::make_seccomp_profile(seen, ctx.report.arch, options);
  for (const auto& w : profile.warnings) {
    ctx.warnings.push_back(w);
  }
  if (ctx.opt.seccomp_path.empty() && format == seccomp::ProfileFormat::kubernetes) {
    ctx.seccomp_path = std::filesystem::path(ctx.seccomp_path).replace_extension(".yaml").string();
  }
  // metadata.name of a SeccompProfile: the file's name without its extension.
  auto text = seccomp::render_profile(
      profile.profile, format,
      seccomp::spo_name(std::filesystem::path(ctx.seccomp_path).stem().string()));
  if (!text.ok()) {
    throw Error("cannot write the seccomp profile as " + std::string(seccomp::to_string(format)) +
                ": " + text.error());
  }
  ctx.seccomp_json = profile.json; // the verify run takes Docker's JSON whatever the format
  if (ctx.plan.probe_shell) {
    // The verification runs the exec probes through slim's probe shell inside the slim image,
    // and an exec gets the container's profile: so the verify run's profile is the written one
    // plus the calls that shell made while profiling and those it may make depending on timing
    // (busybox's wget polls only when an answer is slow). The written profile has none of them:
    // production never runs the probe shell.
    seccomp::SeenCalls with_probe = seen;
    with_probe.names.insert(with_probe.names.end(), ctx.report.probe_syscalls.begin(),
                            ctx.report.probe_syscalls.end());
    with_probe.names.insert(with_probe.names.end(), k_probe_shell_calls.begin(),
                            k_probe_shell_calls.end());
    ctx.seccomp_json = seccomp::make_seccomp_profile(with_probe, ctx.report.arch, options).json;
  }
  ctx.seccomp_added = profile.added_by_runtime;
  write_host_file(ctx.seccomp_path, text.value());
  ctx.seccomp_generated = std::move(profile);
}

} // namespace slim::pipeline
