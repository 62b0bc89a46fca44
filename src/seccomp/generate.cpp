#include "slim/seccomp/generate.hpp"

#include <cerrno>
#include <map>
#include <set>
#include <utility>

namespace slim::seccomp {

const std::vector<std::string> k_runtime_syscalls = {
    // runc's init after seccomp is installed: privileges, fds, the exec fifo, execve
    "capget", "capset", "chdir", "close", "close_range", "dup3", "execve", "exit", "exit_group",
    "fchdir", "fchown", "fcntl", "fstat", "fstatfs", "futex", "getcwd", "getdents64", "getegid",
    "geteuid", "getgid", "getpid", "getppid", "gettid", "getuid", "newfstatat", "openat", "prctl",
    "read", "readlinkat", "setgid", "setgroups", "setresgid", "setresuid", "setuid", "statfs",
    "write",
    // the Go runtime inside runc: threads, signals, memory, its poller
    "brk", "clone", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "madvise", "mmap",
    "mprotect", "munmap", "nanosleep", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
    "sched_getaffinity", "sched_yield", "sigaltstack", "tgkill",
    // found by test (scripts/find-runtime-syscalls.sh): runc 1.1.5 calls faccessat2 (439) on
    // the app's binary after the filter is in; without it every container fails with
    // "exec /usr/sbin/nginx: operation not permitted"
    "faccessat2"};

const std::vector<SyscallArgs> k_runtime_syscall_args = {
    // CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_SYSVSEM | CLONE_THREAD: the Go
    // runtime's new threads (no namespace flags)
    {"clone", 0, {0x50f00}},
    // found by test (one run per option under a filter that logs only that option, root and
    // --user 1000, default, dropped and added capabilities): runc 1.1.5 calls PR_SET_KEEPCAPS
    // (8), PR_CAPBSET_DROP (24) and PR_CAP_AMBIENT (47) after the filter is in; with
    // no-new-privileges the filter comes last and none
    {"prctl", 0, {8, 24, 47}},
};

Result<DefaultAction> parse_default_action(std::string_view text) {
  if (text == "errno") {
    return DefaultAction::errno_eperm;
  }
  if (text == "log") {
    return DefaultAction::log;
  }
  return Result<DefaultAction>::fail("seccomp action `" + std::string(text.substr(0, 64)) +
                                     "`: use errno or log");
}

std::string_view to_string(DefaultAction action) {
  return action == DefaultAction::log ? "log" : "errno";
}

namespace {

// The argument values a filtered call may take, gathered from the sensor and the runtime.
struct Filter {
  std::optional<unsigned> index;
  std::set<std::uint64_t> values;
};

const SyscallArgs* runtime_args(std::string_view name) {
  for (const auto& a : k_runtime_syscall_args) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

// What the sensor's argument values make of the calls: which are filtered, on which values,
// and which stay name-only (with a warning saying why).
struct ArgPlan {
  std::map<std::string, Filter> filters;
  std::set<std::string> unfiltered;
};

ArgPlan plan_arg_filters(const std::vector<SyscallArgs>& args, std::set<std::string>& plain,
                         const std::vector<std::string>& arches,
                         std::vector<std::string>& warnings) {
  ArgPlan plan;
  const unsigned clone_index = clone_flags_index(arches);
  bool clone3_values = false;
  for (const auto& e : args) {
    if (!seccomp_name_known(e.name, arches)) {
      warnings.push_back("seccomp: unknown system call `" + e.name.substr(0, 64) +
                         "` in syscall_args left out of the profile");
      continue;
    }
    plain.insert(e.name); // seen, whatever its arguments
    const bool is_clone3 = e.name == "clone3";
    if (!is_clone3 && find_arg_policy(e.name) == nullptr) {
      warnings.push_back("seccomp: slim filters the arguments of socket, clone, clone3, unshare, "
                         "personality and prctl only: `" +
                         e.name + "` is allowed with any arguments");
      continue;
    }
    if (e.values.empty()) {
      continue; // checked below with the calls seen by name only
    }
    if (e.values.size() > k_max_arg_values) {
      warnings.push_back("seccomp: `" + e.name + "` was seen with " +
                         std::to_string(e.values.size()) + " argument values (more than " +
                         std::to_string(k_max_arg_values) + "): allowed with any arguments");
      plan.unfiltered.insert(is_clone3 ? "clone" : e.name);
      continue;
    }
    // clone3's flags are allowed on clone, where glibc's fallback passes them.
    const std::string target = is_clone3 ? "clone" : e.name;
    const unsigned index = is_clone3 ? clone_index : e.index;
    Filter& f = plan.filters[target];
    if (f.index && *f.index != index) {
      warnings.push_back("seccomp: `" + target + "` values were recorded for arguments " +
                         std::to_string(*f.index) + " and " + std::to_string(index) +
                         ": allowed with any arguments");
      plan.unfiltered.insert(target);
      continue;
    }
    f.index = index;
    f.values.insert(e.values.begin(), e.values.end());
    clone3_values = clone3_values || is_clone3;
  }
  for (const auto& p : k_arg_policies) {
    const std::string name(p.name);
    if (plain.count(name) != 0 && plan.filters.count(name) == 0 &&
        plan.unfiltered.count(name) == 0) {
      warnings.push_back("seccomp: `" + name +
                         "` was seen but the sensor reported no argument values for it: "
                         "allowed with any arguments");
      plan.unfiltered.insert(name);
    }
  }
  if (plain.count("clone3") != 0 && !clone3_values && plan.unfiltered.count("clone") == 0) {
    // clone3 without values: it is answered ENOSYS below, so its callers fall back to clone;
    // glibc's threads and processes pass no namespace flags.
    Filter& f = plan.filters["clone"];
    f.index = f.index.value_or(clone_index);
    f.values.insert(0); // the expected case (the sensor answers clone3 ENOSYS): no warning
  }
  for (const auto& name : plan.unfiltered) {
    plan.filters.erase(name);
  }
  return plan;
}

} // namespace

Result<GeneratedProfile> generate_seccomp_profile(const SeenCalls& seen, std::string_view arch,
                                                  const GenerateOptions& options) {
  using R = Result<GeneratedProfile>;
  std::vector<std::string> arches = options.architectures;
  if (arches.empty()) {
    auto known = seccomp_architectures(arch);
    if (!known.ok()) {
      return R::fail(known.error());
    }
    arches = known.value();
  }
  GeneratedProfile out;
  out.baseline = options.baseline;
  out.action = options.action;
  if (options.action == DefaultAction::log) {
    out.profile.default_action = "SCMP_ACT_LOG";
  } else {
    out.profile.default_action = "SCMP_ACT_ERRNO";
    out.profile.default_errno_ret = EPERM;
  }
  out.profile.architectures = arches;

  std::set<std::string> plain; // names allowed whatever their arguments
  for (const auto& s : seen.names) {
    if (seccomp_name_known(s, arches)) {
      plain.insert(s);
    } else {
      out.warnings.push_back("seccomp: unknown system call `" + s.substr(0, 64) +
                             "` left out of the profile");
    }
  }
  ArgPlan plan;
  if (seen.args) {
    plan = plan_arg_filters(*seen.args, plain, arches, out.warnings);
    out.args_seen = seen.args;
  }
  if (options.add_runtime) {
    for (const auto& s : k_runtime_syscalls) {
      if (!seccomp_name_known(s, arches)) {
        continue;
      }
      const bool new_name = plain.insert(s).second;
      if (new_name) {
        out.added_by_runtime.push_back(s);
      }
      // With recorded arguments the runtime's calls are filtered too, on the runtime's values.
      const SyscallArgs* ra = runtime_args(s);
      if (seen.args && ra != nullptr && plan.unfiltered.count(s) == 0) {
        Filter& f = plan.filters[s];
        f.index = f.index.value_or(s == "clone" ? clone_flags_index(arches) : ra->index);
        f.values.insert(ra->values.begin(), ra->values.end());
      }
    }
  }
  std::vector<SeccompRule> arg_rules;
  for (const auto& [name, filter] : plan.filters) {
    plain.erase(name);
    FilteredCall call =
        filtered_call(*find_arg_policy(name), filter.index.value_or(0), filter.values);
    for (auto& r : allow_rules(call)) {
      arg_rules.push_back(std::move(r));
    }
    out.filtered.push_back(std::move(call));
  }
  const bool clone_filtered = plan.filters.count("clone") != 0;
  const bool harmless = options.baseline == Baseline::harmless;
  if (clone_filtered || (harmless && plain.count("clone3") == 0)) {
    plain.erase("clone3");
    if (seccomp_name_known("clone3", arches)) {
      out.enosys.push_back("clone3");
    }
  }
  for (const auto& b : baseline_names(options.baseline)) {
    if (seccomp_name_known(b, arches) && plan.filters.count(b) == 0 && plain.insert(b).second) {
      out.from_baseline.push_back(b);
    }
  }
  if (!plain.empty()) {
    out.profile.syscalls.push_back({{plain.begin(), plain.end()}, "SCMP_ACT_ALLOW", {}, {}});
  }
  for (auto& r : arg_rules) {
    out.profile.syscalls.push_back(std::move(r));
  }
  if (!out.enosys.empty()) {
    out.profile.syscalls.push_back({out.enosys, "SCMP_ACT_ERRNO", ENOSYS, {}});
  }
  auto bpf = compile_seccomp_profile(out.profile);
  if (!bpf.ok()) {
    return R::fail(bpf.error());
  }
  out.bpf_bytes = bpf.value();
  out.json = to_json_text(out.profile);
  return out;
}

GeneratedProfile make_seccomp_profile(const SeenCalls& seen, std::string_view arch,
                                      const GenerateOptions& options) {
  auto g = generate_seccomp_profile(seen, arch, options);
  if (!g.ok()) {
    throw Error("cannot make the seccomp profile: " + g.error());
  }
  return std::move(g.value());
}

} // namespace slim::seccomp
