#include "sensor/syscall_policy.hpp"

#include <cerrno>
#include <cstring>
#include <seccomp.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace slim::sensor {

namespace {

using Cmp = ArgCondition::Cmp;

// The rules of moby's profiles/seccomp/default.json, in its order. `minKernel` 4.8 is taken as
// met (the sensor needs 5.3 for PTRACE_GET_SYSCALL_INFO).
std::vector<PolicyRule> make_docker_default_rules() {
  std::vector<PolicyRule> rules;
  // clang-format off
  rules.push_back({.names = {
      "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
      "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
      "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
      "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
      "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
      "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
      "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
      "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown",
      "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock",
      "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
      "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat",
      "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32",
      "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
      "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
      "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
      "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
      "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
      "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
      "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
      "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule",
      "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr",
      "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek",
      "lsetxattr", "lstat", "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret",
      "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap",
      "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
      "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
      "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
      "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2",
      "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
      "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
      "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
      "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
      "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
      "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
      "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
      "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
      "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
      "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
      "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
      "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
      "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
      "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
      "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
      "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
      "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr",
      "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
      "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
      "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
      "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
      "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
      "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
      "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
      "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
      "writev",
  }});
  // clang-format on
  rules.push_back({.names = {"process_vm_readv", "process_vm_writev", "ptrace"}});
  rules.push_back({.names = {"socket"}, .args = {{0, Cmp::ne, 40}}}); // not AF_VSOCK
  for (std::uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    rules.push_back({.names = {"personality"}, .args = {{0, Cmp::eq, persona}}});
  }
  rules.push_back({.names = {"sync_file_range2", "swapcontext"}, .host_arches = {"ppc64le"}});
  rules.push_back({.names = {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                             "breakpoint", "cacheflush", "set_tls"},
                   .host_arches = {"arm", "arm64"}});
  rules.push_back({.names = {"arch_prctl"}, .host_arches = {"amd64", "x32"}});
  rules.push_back({.names = {"modify_ldt"}, .host_arches = {"amd64", "x32", "x86"}});
  rules.push_back({.names = {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"},
                   .host_arches = {"s390", "s390x"}});
  rules.push_back({.names = {"riscv_flush_icache"}, .host_arches = {"riscv64"}});
  rules.push_back({.names = {"open_by_handle_at"}, .requires_cap = 2}); // DAC_READ_SEARCH
  rules.push_back(
      {.names = {"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
                 "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
                 "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
                 "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
                 "umount",        "umount2",       "unshare"},
       .requires_cap = k_cap_sys_admin});
  // No new namespaces (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET) without
  // SYS_ADMIN; s390 passes the flags second.
  rules.push_back({.names = {"clone"},
                   .args = {{0, Cmp::masked_eq, 0, 0x7E020000}},
                   .unless_cap = k_cap_sys_admin,
                   .host_arches = {"amd64", "x32", "x86", "arm", "arm64", "ppc64le", "mips",
                                   "mips64", "mipsel", "mipsel64", "riscv64"}});
  rules.push_back({.names = {"clone"},
                   .args = {{1, Cmp::masked_eq, 0, 0x7E020000}},
                   .unless_cap = k_cap_sys_admin,
                   .host_arches = {"s390", "s390x"}});
  // Its flags are in memory no filter can read: answer as a kernel without it would.
  rules.push_back({.names = {"clone3"}, .errno_ret = ENOSYS, .unless_cap = k_cap_sys_admin});
  rules.push_back({.names = {"reboot"}, .requires_cap = 22});                 // SYS_BOOT
  rules.push_back({.names = {"chroot"}, .requires_cap = 18});                 // SYS_CHROOT
  rules.push_back({.names = {"delete_module", "init_module", "finit_module"}, //
                   .requires_cap = 16});                                      // SYS_MODULE
  rules.push_back({.names = {"acct"}, .requires_cap = 20});                   // SYS_PACCT
  rules.push_back({.names = {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                             "process_vm_writev", "ptrace"},
                   .requires_cap = k_cap_sys_ptrace});
  rules.push_back({.names = {"iopl", "ioperm"}, .requires_cap = 17}); // SYS_RAWIO
  rules.push_back({.names = {"settimeofday", "stime", "clock_settime", "clock_settime64"},
                   .requires_cap = 25});                       // SYS_TIME
  rules.push_back({.names = {"vhangup"}, .requires_cap = 26}); // SYS_TTY_CONFIG
  rules.push_back({.names = {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"},
                   .requires_cap = 23});                               // SYS_NICE
  rules.push_back({.names = {"syslog"}, .requires_cap = 34});          // SYSLOG
  rules.push_back({.names = {"bpf"}, .requires_cap = 39});             // BPF
  rules.push_back({.names = {"perf_event_open"}, .requires_cap = 38}); // PERFMON
  return rules;
}

// The companion architectures Docker's archMap adds to the native one.
std::vector<std::uint32_t> companion_arches() {
#if defined(__x86_64__)
  return {SCMP_ARCH_X86, SCMP_ARCH_X32};
#elif defined(__aarch64__)
  return {SCMP_ARCH_ARM};
#else
  return {};
#endif
}

scmp_compare to_scmp(Cmp cmp) {
  switch (cmp) {
  case Cmp::eq:
    return SCMP_CMP_EQ;
  case Cmp::ne:
    return SCMP_CMP_NE;
  case Cmp::masked_eq:
    return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

struct Context {
  scmp_filter_ctx ctx = nullptr;
  ~Context() {
    if (ctx != nullptr) {
      seccomp_release(ctx);
    }
  }
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

} // namespace

const std::vector<PolicyRule>& docker_default_rules() {
  static const std::vector<PolicyRule> rules = make_docker_default_rules();
  return rules;
}

std::string_view docker_host_arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

std::vector<const PolicyRule*> applicable_rules(const std::vector<PolicyRule>& rules, CapSet caps,
                                                std::string_view host_arch) {
  std::vector<const PolicyRule*> out;
  for (const auto& rule : rules) {
    if (rule.requires_cap >= 0 && (caps & cap_bit(rule.requires_cap)) == 0) {
      continue;
    }
    if (rule.unless_cap >= 0 && (caps & cap_bit(rule.unless_cap)) != 0) {
      continue;
    }
    if (!rule.host_arches.empty()) {
      bool found = false;
      for (auto arch : rule.host_arches) {
        found = found || arch == host_arch;
      }
      if (!found) {
        continue;
      }
    }
    out.push_back(&rule);
  }
  return out;
}

std::optional<long> native_syscall_number(std::string_view name) {
  int nr = seccomp_syscall_resolve_name(std::string(name).c_str());
  if (nr < 0) {
    return std::nullopt;
  }
  return nr;
}

Result<BpfProgram> compile_policy(CapSet caps, FilterKind kind) {
  using R = Result<BpfProgram>;
  const bool trace = kind == FilterKind::trace;
  const std::uint32_t refuse = trace ? SCMP_ACT_TRAP : SCMP_ACT_ERRNO(EPERM);
  const std::uint32_t allow = trace ? SCMP_ACT_TRACE(0) : SCMP_ACT_ALLOW;
  Context c;
  c.ctx = seccomp_init(refuse);
  if (c.ctx == nullptr) {
    return R::fail("seccomp_init failed");
  }
  // Calls of any other architecture are refused like unknown calls. (No no_new_privs: the
  // filter is installed by hand, with CAP_SYS_ADMIN, never by seccomp_load.)
  if (seccomp_attr_set(c.ctx, SCMP_FLTATR_ACT_BADARCH, refuse) != 0 ||
      seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_NNP, 0) != 0 ||
      seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0) {
    return R::fail("seccomp_attr_set failed");
  }
  for (std::uint32_t arch : companion_arches()) {
    if (int rc = seccomp_arch_add(c.ctx, arch); rc != 0 && rc != -EEXIST) {
      return R::fail(std::string("seccomp_arch_add: ") + std::strerror(-rc));
    }
  }
  for (const PolicyRule* rule :
       applicable_rules(docker_default_rules(), caps, docker_host_arch())) {
    std::uint32_t action =
        rule->errno_ret
            ? (trace ? SCMP_ACT_TRAP : SCMP_ACT_ERRNO(static_cast<std::uint32_t>(*rule->errno_ret)))
            : allow;
    if (action == refuse) {
      continue; // what the default does anyway (libseccomp refuses such a rule)
    }
    std::vector<scmp_arg_cmp> cmps;
    for (const auto& a : rule->args) {
      bool masked = a.cmp == Cmp::masked_eq;
      cmps.push_back(
          scmp_arg_cmp{a.index, to_scmp(a.cmp), masked ? a.mask : a.value, masked ? a.value : 0});
    }
    for (auto name : rule->names) {
      int nr = seccomp_syscall_resolve_name(std::string(name).c_str());
      if (nr == __NR_SCMP_ERROR) {
        continue; // unknown to libseccomp (as runc skips it: the call is refused)
      }
      int rc = seccomp_rule_add_array(c.ctx, action, nr, static_cast<unsigned>(cmps.size()),
                                      cmps.empty() ? nullptr : cmps.data());
      if (rc != 0) {
        return R::fail("seccomp_rule_add(" + std::string(name) + "): " + std::strerror(-rc));
      }
    }
  }
  Fd fd;
  fd.fd = ::memfd_create("slim-app-filter", MFD_CLOEXEC);
  if (fd.fd < 0) {
    return R::fail(std::string("memfd_create: ") + std::strerror(errno));
  }
  if (int rc = seccomp_export_bpf(c.ctx, fd.fd); rc != 0) {
    return R::fail(std::string("seccomp_export_bpf: ") + std::strerror(-rc));
  }
  off_t size = ::lseek(fd.fd, 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    return R::fail("seccomp_export_bpf wrote no program");
  }
  BpfProgram program(static_cast<std::size_t>(size) / sizeof(sock_filter));
  if (::pread(fd.fd, program.data(), static_cast<std::size_t>(size), 0) != size) {
    return R::fail(std::string("reading the exported filter: ") + std::strerror(errno));
  }
  return program;
}

} // namespace slim::sensor
