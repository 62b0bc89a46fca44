#include "slim/seccomp/profile.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <seccomp.h>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

namespace {

using nlohmann::json;

struct ArchName {
  std::string_view name;
  std::uint32_t token;
};

constexpr std::array<ArchName, 8> k_arches = {{
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
}};

std::optional<std::uint32_t> arch_token(std::string_view name) {
  for (const auto& a : k_arches) {
    if (a.name == name) {
      return a.token;
    }
  }
  return std::nullopt;
}

// libseccomp's action for a Docker action name; nullopt when unknown.
std::optional<std::uint32_t> action_value(std::string_view action, std::optional<int> errno_ret) {
  if (action == "SCMP_ACT_ALLOW") {
    return SCMP_ACT_ALLOW;
  }
  if (action == "SCMP_ACT_ERRNO") {
    return SCMP_ACT_ERRNO(static_cast<std::uint32_t>(errno_ret.value_or(EPERM)));
  }
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") {
    return SCMP_ACT_KILL;
  }
  if (action == "SCMP_ACT_KILL_PROCESS") {
    return SCMP_ACT_KILL_PROCESS;
  }
  if (action == "SCMP_ACT_TRAP") {
    return SCMP_ACT_TRAP;
  }
  if (action == "SCMP_ACT_LOG") {
    return SCMP_ACT_LOG;
  }
  return std::nullopt;
}

bool plausible_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Owns one libseccomp filter context.
class FilterCtx {
public:
  explicit FilterCtx(std::uint32_t def) : m_ctx(seccomp_init(def)) {}
  ~FilterCtx() {
    if (m_ctx != nullptr) {
      seccomp_release(m_ctx);
    }
  }
  FilterCtx(const FilterCtx&) = delete;
  FilterCtx& operator=(const FilterCtx&) = delete;
  scmp_filter_ctx get() const { return m_ctx; }

private:
  scmp_filter_ctx m_ctx;
};

class Fd {
public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return m_fd; }

private:
  int m_fd;
};

// One filter context holding every architecture of the profile, as runc builds it: names are
// resolved for the native architecture (pseudo numbers for calls it lacks) and libseccomp
// translates each rule to every architecture that has the call.
Result<std::size_t> compile_all(const SeccompProfile& profile,
                                const std::vector<std::uint32_t>& arches, std::uint32_t def,
                                bool load) {
  using R = Result<std::size_t>;
  const std::string where = "seccomp profile";
  FilterCtx ctx(def);
  if (ctx.get() == nullptr) {
    return R::fail(where + ": seccomp_init failed");
  }
  const std::uint32_t native = seccomp_arch_native();
  bool keep_native = false;
  for (auto a : arches) {
    if (a == native) {
      keep_native = true;
      continue;
    }
    if (int rc = seccomp_arch_add(ctx.get(), a); rc != 0 && rc != -EEXIST) {
      return R::fail(where + ": seccomp_arch_add: " + std::strerror(-rc));
    }
  }
  if (!keep_native) {
    if (int rc = seccomp_arch_remove(ctx.get(), native); rc != 0) {
      return R::fail(where + ": seccomp_arch_remove: " + std::strerror(-rc));
    }
  }
  for (std::size_t i = 0; i < profile.syscalls.size(); ++i) {
    const SeccompRule& rule = profile.syscalls[i];
    if (rule.has_args) {
      continue;
    }
    auto act = action_value(rule.action, rule.errno_ret);
    if (!act) {
      return R::fail(where + ": syscalls[" + std::to_string(i) + "]: unknown action `" +
                     rule.action + "`");
    }
    if (*act == def) {
      continue; // libseccomp refuses rules that repeat the default; Docker skips them too
    }
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      for (std::size_t k = 0; nr == __NR_SCMP_ERROR && k < arches.size(); ++k) {
        nr = seccomp_syscall_resolve_name_arch(arches[k], name.c_str());
      }
      if (nr == __NR_SCMP_ERROR) {
        return R::fail(where + ": syscalls[" + std::to_string(i) + "]: unknown system call `" +
                       name + "`");
      }
      if (int rc = seccomp_rule_add(ctx.get(), *act, nr, 0); rc != 0) {
        return R::fail(where + ": rule for `" + name + "`: " + std::strerror(-rc));
      }
    }
  }
  Fd fd(::memfd_create("slim-seccomp", MFD_CLOEXEC));
  if (fd.get() < 0) {
    return R::fail(where + ": memfd_create: " + std::strerror(errno));
  }
  if (int rc = seccomp_export_bpf(ctx.get(), fd.get()); rc != 0) {
    return R::fail(where + ": seccomp_export_bpf: " + std::strerror(-rc));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return R::fail(where + ": fstat: " + std::strerror(errno));
  }
  if (load) {
    if (int rc = seccomp_load(ctx.get()); rc != 0) {
      return R::fail(where + ": seccomp_load: " + std::strerror(-rc));
    }
  }
  return static_cast<std::size_t>(st.st_size);
}

} // namespace

std::vector<std::string> SeccompProfile::allowed() const {
  std::set<std::string> out;
  for (const auto& r : syscalls) {
    if (r.action == "SCMP_ACT_ALLOW" && !r.has_args) {
      out.insert(r.names.begin(), r.names.end());
    }
  }
  return {out.begin(), out.end()};
}

Result<std::vector<std::string>> seccomp_architectures(std::string_view arch) {
  using R = Result<std::vector<std::string>>;
  if (arch == "x86_64" || arch == "amd64") {
    return std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  }
  if (arch == "aarch64" || arch == "arm64") {
    return std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
  }
  if (arch == "i386" || arch == "i686" || arch == "386") {
    return std::vector<std::string>{"SCMP_ARCH_X86"};
  }
  if (arch == "armv7l" || arch == "arm") {
    return std::vector<std::string>{"SCMP_ARCH_ARM"};
  }
  if (arch == "ppc64le") {
    return std::vector<std::string>{"SCMP_ARCH_PPC64LE"};
  }
  if (arch == "s390x") {
    return std::vector<std::string>{"SCMP_ARCH_S390X"};
  }
  if (arch == "riscv64") {
    return std::vector<std::string>{"SCMP_ARCH_RISCV64"};
  }
  return R::fail("seccomp: unknown architecture `" + std::string(arch.substr(0, 64)) + "`");
}

bool seccomp_name_known(const std::string& name, const std::vector<std::string>& architectures) {
  if (!plausible_name(name)) {
    return false;
  }
  for (const auto& a : architectures) {
    if (auto token = arch_token(a)) {
      if (seccomp_syscall_resolve_name_arch(*token, name.c_str()) >= 0) {
        return true;
      }
    }
  }
  return false;
}

Result<std::size_t> compile_seccomp_profile(const SeccompProfile& profile, bool load) {
  using R = Result<std::size_t>;
  auto def = action_value(profile.default_action, profile.default_errno_ret);
  if (!def) {
    return R::fail("seccomp profile: unknown defaultAction `" + profile.default_action + "`");
  }
  if (profile.architectures.empty()) {
    return R::fail("seccomp profile: no architectures");
  }
  std::vector<std::uint32_t> arches;
  for (const auto& a : profile.architectures) {
    auto token = arch_token(a);
    if (!token) {
      return R::fail("seccomp profile: unknown architecture `" + a + "`");
    }
    arches.push_back(*token);
  }
  return compile_all(profile, arches, *def, load);
}

Result<GeneratedProfile> generate_seccomp_profile(const std::vector<std::string>& syscalls,
                                                  std::string_view arch, bool add_runtime) {
  using R = Result<GeneratedProfile>;
  auto arches = seccomp_architectures(arch);
  if (!arches.ok()) {
    return R::fail(arches.error());
  }
  GeneratedProfile out;
  out.profile.default_action = "SCMP_ACT_ERRNO";
  out.profile.default_errno_ret = EPERM;
  out.profile.architectures = arches.value();
  std::set<std::string> names;
  for (const auto& s : syscalls) {
    if (seccomp_name_known(s, out.profile.architectures)) {
      names.insert(s);
    } else {
      out.warnings.push_back("seccomp: unknown system call `" + s.substr(0, 64) +
                             "` left out of the profile");
    }
  }
  if (add_runtime) {
    for (const auto& s : k_runtime_syscalls) {
      if (seccomp_name_known(s, out.profile.architectures) && names.insert(s).second) {
        out.added_by_runtime.push_back(s);
      }
    }
  }
  out.profile.syscalls.push_back({{names.begin(), names.end()}, "SCMP_ACT_ALLOW", {}, false});
  auto bpf = compile_seccomp_profile(out.profile);
  if (!bpf.ok()) {
    return R::fail(bpf.error());
  }
  out.bpf_bytes = bpf.value();
  out.json = to_json_text(out.profile);
  return out;
}

GeneratedProfile make_seccomp_profile(const std::vector<std::string>& syscalls,
                                      std::string_view arch) {
  auto g = generate_seccomp_profile(syscalls, arch, true);
  if (!g.ok()) {
    throw Error("cannot make the seccomp profile: " + g.error());
  }
  return std::move(g.value());
}

std::string to_json_text(const SeccompProfile& profile) {
  json j = json::object();
  j["defaultAction"] = profile.default_action;
  if (profile.default_errno_ret) {
    j["defaultErrnoRet"] = *profile.default_errno_ret;
  }
  j["architectures"] = profile.architectures;
  json rules = json::array();
  for (const auto& r : profile.syscalls) {
    json rule = {{"names", r.names}, {"action", r.action}};
    if (r.errno_ret) {
      rule["errnoRet"] = *r.errno_ret;
    }
    rules.push_back(std::move(rule));
  }
  j["syscalls"] = std::move(rules);
  return j.dump(2) + "\n";
}

Result<SeccompProfile> parse_seccomp_profile(std::string_view text) {
  using R = Result<SeccompProfile>;
  if (text.size() > (std::size_t{16} << 20)) {
    return R::fail("seccomp profile: larger than 16 MiB");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return R::fail("seccomp profile: not a JSON object");
  }
  SeccompProfile p;
  auto da = j.find("defaultAction");
  if (da == j.end() || !da->is_string()) {
    return R::fail("seccomp profile: defaultAction: missing or not a string");
  }
  p.default_action = da->get<std::string>();
  if (auto it = j.find("defaultErrnoRet"); it != j.end()) {
    if (!it->is_number_integer()) {
      return R::fail("seccomp profile: defaultErrnoRet: not an integer");
    }
    p.default_errno_ret = it->get<int>();
  }
  if (auto it = j.find("architectures"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) {
      return R::fail("seccomp profile: architectures: not an array");
    }
    for (const auto& a : *it) {
      if (!a.is_string()) {
        return R::fail("seccomp profile: architectures: not an array of strings");
      }
      p.architectures.push_back(a.get<std::string>());
    }
  }
  if (auto it = j.find("archMap"); it != j.end() && it->is_array() && p.architectures.empty()) {
    for (const auto& m : *it) {
      if (!m.is_object() || !m.contains("architecture") || !m["architecture"].is_string()) {
        return R::fail("seccomp profile: archMap: entries need an `architecture` string");
      }
      p.architectures.push_back(m["architecture"].get<std::string>());
      if (auto sub = m.find("subArchitectures"); sub != m.end() && sub->is_array()) {
        for (const auto& s : *sub) {
          if (s.is_string()) {
            p.architectures.push_back(s.get<std::string>());
          }
        }
      }
    }
  }
  auto sc = j.find("syscalls");
  if (sc != j.end() && !sc->is_null()) {
    if (!sc->is_array()) {
      return R::fail("seccomp profile: syscalls: not an array");
    }
    for (std::size_t i = 0; i < sc->size(); ++i) {
      const json& r = (*sc)[i];
      const std::string field = "seccomp profile: syscalls[" + std::to_string(i) + "]";
      if (!r.is_object()) {
        return R::fail(field + ": not an object");
      }
      SeccompRule rule;
      if (auto n = r.find("names"); n != r.end() && n->is_array()) {
        for (const auto& name : *n) {
          if (!name.is_string()) {
            return R::fail(field + ".names: not an array of strings");
          }
          rule.names.push_back(name.get<std::string>());
        }
      } else if (auto n1 = r.find("name"); n1 != r.end() && n1->is_string()) {
        rule.names.push_back(n1->get<std::string>());
      } else {
        return R::fail(field + ": needs `names` (an array) or `name`");
      }
      std::sort(rule.names.begin(), rule.names.end());
      auto act = r.find("action");
      if (act == r.end() || !act->is_string()) {
        return R::fail(field + ".action: missing or not a string");
      }
      rule.action = act->get<std::string>();
      if (auto e = r.find("errnoRet"); e != r.end() && e->is_number_integer()) {
        rule.errno_ret = e->get<int>();
      }
      if (auto a = r.find("args"); a != r.end() && a->is_array() && !a->empty()) {
        rule.has_args = true;
      }
      p.syscalls.push_back(std::move(rule));
    }
  }
  return p;
}

} // namespace slim::seccomp
