// The app's confinement as data: capability sets, the BPF interpreter, Docker's default policy
// compiled into the filters the app installs (run here over synthetic calls), and the plan.
#include "sensor/bpf.hpp"
#include "sensor/capabilities.hpp"
#include "sensor/confine.hpp"
#include "sensor/syscall_policy.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/personality.h>
#include <sys/socket.h>

using namespace slim::sensor;

namespace {

#if defined(__x86_64__)
constexpr std::uint32_t k_native = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t k_native = AUDIT_ARCH_AARCH64;
#endif

// Docker's default set (what a plain `docker run` gives root): a80425fb.
constexpr CapSet k_docker_default = 0xa80425fbULL;

seccomp_data call_of(const char* name, std::initializer_list<std::uint64_t> args = {},
                     std::uint32_t arch = k_native) {
  seccomp_data d{};
  auto nr = native_syscall_number(name);
  EXPECT_TRUE(nr.has_value()) << name;
  d.nr = static_cast<int>(nr.value_or(-1));
  d.arch = arch;
  int i = 0;
  for (auto a : args) {
    d.args[i++] = a;
  }
  return d;
}

BpfProgram compiled(CapSet caps, FilterKind kind) {
  auto p = compile_policy(caps, kind);
  EXPECT_TRUE(p.ok()) << p.error();
  return p.ok() ? p.value() : BpfProgram{};
}

// What the errno filter answers: 0 for allowed, else the errno.
int refusal(const BpfProgram& program, const seccomp_data& call) {
  std::uint32_t ret = run_bpf(program, call);
  if (bpf_action(ret) == SECCOMP_RET_ALLOW) {
    return 0;
  }
  EXPECT_EQ(bpf_action(ret), SECCOMP_RET_ERRNO);
  return static_cast<int>(bpf_data(ret));
}

} // namespace

TEST(SensorCapabilities, NamesAsDockerSpellsThem) {
  EXPECT_EQ(capability_number("SYS_ADMIN"), k_cap_sys_admin);
  EXPECT_EQ(capability_number("cap_sys_ptrace"), k_cap_sys_ptrace);
  EXPECT_EQ(capability_number("CAP_NET_RAW"), 13);
  EXPECT_EQ(capability_number("checkpoint_restore"), 40);
  EXPECT_FALSE(capability_number("SYS_EVERYTHING").has_value());
  EXPECT_FALSE(capability_number("CAP_").has_value());
  EXPECT_FALSE(capability_number("ALL").has_value());
  EXPECT_EQ(capability_name(21), "SYS_ADMIN");
  EXPECT_EQ(capability_name(63), "CAP_63");
  EXPECT_EQ(capability_names(cap_bit(19) | cap_bit(21)),
            (std::vector<std::string>{"SYS_PTRACE", "SYS_ADMIN"}));
}

TEST(SensorCapabilities, DropsOnlyWhatTheSensorAloneNeedsFromAllFiveSets) {
  EXPECT_EQ(caps_to_drop(0), cap_bit(k_cap_sys_admin) | cap_bit(k_cap_sys_ptrace));
  EXPECT_EQ(caps_to_drop(cap_bit(k_cap_sys_admin)), cap_bit(k_cap_sys_ptrace))
      << "--cap-add SYS_ADMIN: the app keeps it";
  EXPECT_EQ(caps_to_drop(cap_bit(12)), caps_to_drop(0)) << "keeping NET_ADMIN drops nothing more";
  // The profiling container's sets (Docker's default + SYS_ADMIN + SYS_PTRACE, as in the
  // issue's CapEff a82c25fb) lose exactly the two: what a plain `docker run` has.
  const CapSet profiling = 0xa82c25fbULL;
  CapSets sensor{profiling, profiling, profiling, profiling, cap_bit(k_cap_sys_admin)};
  CapSets app = without(sensor, caps_to_drop(0));
  EXPECT_EQ(app.bounding, k_docker_default);
  EXPECT_EQ(app.permitted, k_docker_default);
  EXPECT_EQ(app.effective, k_docker_default);
  EXPECT_EQ(app.inheritable, k_docker_default);
  EXPECT_EQ(app.ambient, 0U);
}

TEST(SensorCapabilities, ParsesProcStatus) {
  const char* status = "Name:\tsh\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n"
                       "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a82c25fb\n"
                       "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\n";
  EXPECT_EQ(status_capabilities(status, "CapBnd"), 0xa82c25fbULL);
  EXPECT_FALSE(status_capabilities(status, "CapXyz").has_value());
  EXPECT_FALSE(status_capabilities("CapBnd:\tzz\n", "CapBnd").has_value());
  EXPECT_FALSE(status_capabilities("CapBnd:\n", "CapBnd").has_value());
  auto sets = status_capability_sets(status);
  ASSERT_TRUE(sets.has_value());
  EXPECT_EQ(sets->effective, k_docker_default);
  EXPECT_EQ(sets->inheritable, 0U);
  EXPECT_FALSE(status_capability_sets("CapBnd:\t1\n").has_value());
}

TEST(SensorBpf, InterpretsTheSeccompSubset) {
  seccomp_data d{};
  d.nr = 7;
  d.args[1] = 0x1234'0000'5678ULL;
  // A = nr; if A == 7 return 42 else return 1
  BpfProgram jeq = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
                    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1), BPF_STMT(BPF_RET | BPF_K, 42),
                    BPF_STMT(BPF_RET | BPF_K, 1)};
  EXPECT_EQ(run_bpf(jeq, d), 42U);
  d.nr = 8;
  EXPECT_EQ(run_bpf(jeq, d), 1U);
  // The high word of args[1], masked, via scratch memory and X.
  BpfProgram alu = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[1]) + 4),
                    BPF_STMT(BPF_ST, 3),
                    BPF_STMT(BPF_LDX | BPF_MEM, 3),
                    BPF_STMT(BPF_MISC | BPF_TXA, 0),
                    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff00),
                    BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 8),
                    BPF_STMT(BPF_RET | BPF_A, 0)};
  EXPECT_EQ(run_bpf(alu, d), 0x12U);
  // Malformed programs fail closed.
  EXPECT_EQ(run_bpf({}, d), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(run_bpf({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_A, 0)}, d),
            SECCOMP_RET_KILL_PROCESS)
      << "unaligned load";
  EXPECT_EQ(run_bpf({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_A, 0)}, d),
            SECCOMP_RET_KILL_PROCESS)
      << "load past the data";
  EXPECT_EQ(run_bpf({BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)}, d),
            SECCOMP_RET_KILL_PROCESS)
      << "jump out of the program";
  EXPECT_EQ(run_bpf({BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, 0)}, d),
            SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(run_bpf({BPF_STMT(BPF_LD | BPF_IMM, 5)}, d), SECCOMP_RET_KILL_PROCESS) << "no return";
}

TEST(SensorPolicy, RulesFollowTheAppsCapabilitiesAndTheHost) {
  auto names_of = [](CapSet caps, std::string_view arch) {
    std::set<std::string_view> names;
    for (const PolicyRule* r : applicable_rules(docker_default_rules(), caps, arch)) {
      if (!r->errno_ret && r->args.empty()) {
        names.insert(r->names.begin(), r->names.end());
      }
    }
    return names;
  };
  auto plain = names_of(k_docker_default, "amd64");
  EXPECT_EQ(plain.count("read"), 1U);
  EXPECT_EQ(plain.count("chroot"), 1U) << "SYS_CHROOT is in Docker's default set";
  EXPECT_EQ(plain.count("arch_prctl"), 1U);
  EXPECT_EQ(plain.count("mount"), 0U);
  EXPECT_EQ(plain.count("kcmp"), 0U);
  auto admin = names_of(k_docker_default | cap_bit(k_cap_sys_admin), "amd64");
  EXPECT_EQ(admin.count("mount"), 1U);
  EXPECT_EQ(admin.count("unshare"), 1U);
  EXPECT_EQ(names_of(k_docker_default | cap_bit(k_cap_sys_ptrace), "amd64").count("kcmp"), 1U);
  EXPECT_EQ(names_of(k_docker_default, "arm64").count("arch_prctl"), 0U);
  EXPECT_EQ(names_of(k_docker_default, "arm64").count("set_tls"), 1U);
  EXPECT_EQ(names_of(0, "amd64").count("chroot"), 0U);
}

TEST(SensorPolicy, TheErrnoFilterRefusesWhatDockersDefaultProfileRefuses) {
  BpfProgram p = compiled(k_docker_default, FilterKind::errno_only);
  ASSERT_FALSE(p.empty());
  // The list, and then some: refused with EPERM.
  for (const char* name : {"mount",         "umount2",
                           "unshare",       "setns",
                           "pivot_root",    "keyctl",
                           "add_key",       "request_key",
                           "bpf",           "perf_event_open",
                           "kexec_load",    "kexec_file_load",
                           "init_module",   "finit_module",
                           "delete_module", "open_by_handle_at",
                           "userfaultfd",   "swapon",
                           "swapoff",       "reboot",
                           "fsopen",        "fsmount",
                           "move_mount",    "open_tree",
                           "kcmp",          "pidfd_getfd",
                           "acct",          "settimeofday",
                           "clock_settime", "iopl",
                           "ioperm",        "syslog",
                           "quotactl",      "lookup_dcookie",
                           "fanotify_init", "sethostname",
                           "setdomainname", "vhangup",
                           "mbind",         "nfsservctl",
                           "uselib",        "ustat",
                           "sysfs",         "_sysctl",
                           "create_module", "get_kernel_syms"}) {
    if (!native_syscall_number(name)) {
      continue; // not a call of this architecture
    }
    EXPECT_EQ(refusal(p, call_of(name)), EPERM) << name;
  }
  for (const char* name : {"read", "openat", "execve", "mmap", "ptrace", "process_vm_readv",
                           "chroot", "seccomp", "prctl", "capset", "setuid", "io_uring_setup"}) {
    EXPECT_EQ(refusal(p, call_of(name)), 0) << name;
  }
  // Arguments: new namespaces by clone are refused, threads and forks are not; clone3 looks
  // like a kernel without it; personality only as the profile lists; no AF_VSOCK sockets.
  EXPECT_EQ(refusal(p, call_of("clone", {CLONE_NEWUSER | SIGCHLD})), EPERM);
  EXPECT_EQ(refusal(p, call_of("clone", {CLONE_NEWNS})), EPERM);
  EXPECT_EQ(refusal(p, call_of("clone", {CLONE_NEWCGROUP})), EPERM);
  EXPECT_EQ(refusal(p, call_of("clone", {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                         CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS})),
            0);
  EXPECT_EQ(refusal(p, call_of("clone", {SIGCHLD})), 0);
  EXPECT_EQ(refusal(p, call_of("clone3")), ENOSYS);
  EXPECT_EQ(refusal(p, call_of("personality", {0})), 0);
  EXPECT_EQ(refusal(p, call_of("personality", {0xffffffffULL})), 0);
  EXPECT_EQ(refusal(p, call_of("personality", {PER_LINUX32})), 0);
  EXPECT_EQ(refusal(p, call_of("personality", {ADDR_NO_RANDOMIZE})), EPERM);
  EXPECT_EQ(refusal(p, call_of("personality", {READ_IMPLIES_EXEC})), EPERM);
  EXPECT_EQ(refusal(p, call_of("socket", {AF_INET, SOCK_STREAM, 0})), 0);
  EXPECT_EQ(refusal(p, call_of("socket", {40 /* AF_VSOCK */, SOCK_STREAM, 0})), EPERM);
  // Another architecture: refused.
  EXPECT_EQ(refusal(p, call_of("read", {}, 0x12345678)), EPERM);
#if defined(__x86_64__)
  // The 32-bit ABI is covered with its own numbers: mount is 21 there, read 3.
  seccomp_data i386_mount{};
  i386_mount.arch = AUDIT_ARCH_I386;
  i386_mount.nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "mount");
  EXPECT_EQ(i386_mount.nr, 21);
  EXPECT_EQ(refusal(p, i386_mount), EPERM);
  seccomp_data i386_read{};
  i386_read.arch = AUDIT_ARCH_I386;
  i386_read.nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "read");
  EXPECT_EQ(refusal(p, i386_read), 0);
  // x32 numbers (bit 30) of calls the profile refuses are refused too.
  seccomp_data x32_mount = call_of("mount");
  x32_mount.nr |= 0x40000000;
  EXPECT_EQ(refusal(p, x32_mount), EPERM);
#endif
}

TEST(SensorPolicy, WithCapAddSysAdminTheAppMayWhatDockerThenAllows) {
  BpfProgram p = compiled(k_docker_default | cap_bit(k_cap_sys_admin), FilterKind::errno_only);
  EXPECT_EQ(refusal(p, call_of("mount")), 0);
  EXPECT_EQ(refusal(p, call_of("unshare", {CLONE_NEWUSER})), 0);
  EXPECT_EQ(refusal(p, call_of("clone", {CLONE_NEWUSER})), 0);
  EXPECT_EQ(refusal(p, call_of("clone3")), 0);
  EXPECT_EQ(refusal(p, call_of("bpf")), 0);
  EXPECT_EQ(refusal(p, call_of("keyctl")), EPERM) << "never in Docker's default profile";
  EXPECT_EQ(refusal(p, call_of("kcmp")), EPERM) << "needs SYS_PTRACE";
}

TEST(SensorPolicy, TheTraceFilterStopsAllowedCallsAndTrapsRefusedOnes) {
  BpfProgram p = compiled(k_docker_default, FilterKind::trace);
  EXPECT_EQ(bpf_action(run_bpf(p, call_of("read"))), SECCOMP_RET_TRACE);
  EXPECT_EQ(bpf_action(run_bpf(p, call_of("clone", {SIGCHLD}))), SECCOMP_RET_TRACE);
  // TRAP outranks every action but KILL: no filter the app adds can let these through.
  EXPECT_EQ(bpf_action(run_bpf(p, call_of("mount"))), SECCOMP_RET_TRAP);
  EXPECT_EQ(bpf_action(run_bpf(p, call_of("clone", {CLONE_NEWUSER}))), SECCOMP_RET_TRAP);
  EXPECT_EQ(bpf_action(run_bpf(p, call_of("clone3"))), SECCOMP_RET_TRAP);
  EXPECT_EQ(bpf_action(run_bpf(p, call_of("read", {}, 0x12345678))), SECCOMP_RET_TRAP);
  EXPECT_LT(p.size(), static_cast<std::size_t>(BPF_MAXINSNS));
}

TEST(SensorConfine, PlanFailsClosedWithoutATracer) {
  EXPECT_EQ(plan_confinement(true, true), FilterMode::trace);
  EXPECT_EQ(plan_confinement(true, false), FilterMode::tracer);
  EXPECT_EQ(plan_confinement(false, true), FilterMode::errno_only);
  EXPECT_EQ(plan_confinement(false, false), FilterMode::errno_nnp)
      << "without CAP_SYS_ADMIN and without a tracer only no_new_privs allows a filter";
  EXPECT_STREQ(confinement_name(FilterMode::trace), "seccomp-trace");
  EXPECT_STREQ(confinement_name(FilterMode::errno_nnp), "seccomp-errno+no_new_privs");
}

TEST(SensorConfine, PreparesBothFiltersForTheDroppedSet) {
  auto c = prepare_confinement(cap_bit(k_cap_sys_admin));
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.value().drop, cap_bit(k_cap_sys_ptrace));
  EXPECT_EQ(c.value().app_bounding & cap_bit(k_cap_sys_ptrace), 0U);
  EXPECT_FALSE(c.value().trace_filter.empty());
  EXPECT_FALSE(c.value().errno_filter.empty());
}
