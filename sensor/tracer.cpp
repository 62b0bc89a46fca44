#include "sensor/tracer.hpp"

#include "sensor/exec_image.hpp"
#include "sensor/paths.hpp"
#include "sensor/syscall_table.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

namespace slim::sensor {

namespace {

#if defined(__x86_64__)
constexpr unsigned k_native_audit_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned k_native_audit_arch = AUDIT_ARCH_AARCH64;
#else
#error "the sensor supports x86_64 and aarch64"
#endif

// si_code of a SIGSYS raised by a seccomp filter (SYS_SECCOMP in the kernel's headers).
constexpr int k_sys_seccomp = 1;

constexpr long k_options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                           PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP |
                           PTRACE_O_EXITKILL;

bool is_execve(long nr) {
  return nr == SYS_execve || nr == SYS_execveat;
}

// Registers of a stopped tracee: the syscall's arguments, its number as the kernel holds it,
// and setting the return value or skipping the call.
#if defined(__x86_64__)
using Regs = user_regs_struct;

bool get_regs(pid_t pid, Regs& regs) {
  return ::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) == 0;
}

bool set_regs(pid_t pid, const Regs& regs) {
  return ::ptrace(PTRACE_SETREGS, pid, nullptr, &regs) == 0;
}

long regs_syscall(const Regs& regs) {
  return static_cast<long>(regs.orig_rax);
}

void regs_args(const Regs& r, std::uint32_t arch, seccomp_data& call) {
  const unsigned long long native[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
  const unsigned long long i386[6] = {r.rbx & 0xffffffffULL, r.rcx & 0xffffffffULL,
                                      r.rdx & 0xffffffffULL, r.rsi & 0xffffffffULL,
                                      r.rdi & 0xffffffffULL, r.rbp & 0xffffffffULL};
  for (int i = 0; i < 6; ++i) {
    call.args[i] = arch == AUDIT_ARCH_I386 ? i386[i] : native[i];
  }
}

void set_return(Regs& regs, long value) {
  regs.rax = static_cast<unsigned long long>(value);
}

bool skip_syscall(pid_t pid) {
  return ::ptrace(PTRACE_POKEUSER, pid, reinterpret_cast<void*>(offsetof(user, regs.orig_rax)),
                  reinterpret_cast<void*>(-1L)) == 0;
}
#elif defined(__aarch64__)
struct Regs {
  user_pt_regs pt;
  int nr;
};

bool get_regs(pid_t pid, Regs& regs) {
  iovec io{&regs.pt, sizeof regs.pt};
  iovec nr{&regs.nr, sizeof regs.nr};
  return ::ptrace(PTRACE_GETREGSET, pid, reinterpret_cast<void*>(NT_PRSTATUS), &io) == 0 &&
         ::ptrace(PTRACE_GETREGSET, pid, reinterpret_cast<void*>(NT_ARM_SYSTEM_CALL), &nr) == 0;
}

bool set_regs(pid_t pid, Regs& regs) {
  iovec io{&regs.pt, sizeof regs.pt};
  return ::ptrace(PTRACE_SETREGSET, pid, reinterpret_cast<void*>(NT_PRSTATUS), &io) == 0;
}

long regs_syscall(const Regs& regs) {
  return regs.nr;
}

void regs_args(const Regs& r, std::uint32_t /*arch*/, seccomp_data& call) {
  for (int i = 0; i < 6; ++i) {
    call.args[i] = r.pt.regs[i];
  }
}

void set_return(Regs& regs, long value) {
  regs.pt.regs[0] = static_cast<unsigned long long>(value);
}

bool skip_syscall(pid_t pid) {
  int nr = -1;
  iovec io{&nr, sizeof nr};
  return ::ptrace(PTRACE_SETREGSET, pid, reinterpret_cast<void*>(NT_ARM_SYSTEM_CALL), &io) == 0;
}
#endif

// Makes the stopped tracee's current call return -err.
bool fail_call(pid_t pid, int err) {
  Regs regs{};
  if (!get_regs(pid, regs)) {
    return false;
  }
  set_return(regs, -static_cast<long>(err));
  return set_regs(pid, regs);
}

std::string read_link(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The file a process runs (its /proc/PID/exe as seen in the container).
std::string exe_of(pid_t pid) {
  return read_link("/proc/" + std::to_string(pid) + "/exe");
}

} // namespace

std::string Tracer::seize(pid_t pid) {
  if (::ptrace(PTRACE_SEIZE, pid, nullptr, reinterpret_cast<void*>(k_options)) != 0) {
    return std::string("ptrace(PTRACE_SEIZE) failed: ") + std::strerror(errno);
  }
  m_tracees[pid].started = false;
  return {};
}

std::optional<int> Tracer::run_until_exec(pid_t pid) {
  while (true) {
    int status = 0;
    if (::waitpid(pid, &status, __WALL) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return std::nullopt;
    }
    handle(pid, status);
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      return status;
    }
    auto it = m_tracees.find(pid);
    if (it != m_tracees.end() && it->second.started) {
      return std::nullopt;
    }
  }
}

void Tracer::record_initial_exec(pid_t pid, const std::string& path) {
  m_recording.add_syscall(SYS_execve); // made by us, in production by the runtime
  PendingPath p{path[0] == '/' ? path : join_path(cwd_of(pid), path), false};
  record(p, op_exec, true, true);
}

void Tracer::resume(pid_t pid, const Tracee& t, int sig) {
  // Syscall stops are needed in the fallback mode, and in seccomp mode only to see a chdir
  // finish; before its exec the seized process runs our set-up code, which is not recorded.
  bool syscall_stops = t.started && (!m_seccomp || t.chdir_pending);
  ::ptrace(syscall_stops ? PTRACE_SYSCALL : PTRACE_CONT, pid, nullptr,
           reinterpret_cast<void*>(static_cast<long>(sig)));
}

bool Tracer::handle(pid_t pid, int status) {
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    m_tracees.erase(pid);
    m_cwd.erase(pid);
    return false;
  }
  if (!WIFSTOPPED(status)) {
    return false;
  }
  int sig = WSTOPSIG(status);
  unsigned event = static_cast<unsigned>(status) >> 16;
  // A new child may report before its parent's fork event: it starts as a default Tracee.
  Tracee& t = m_tracees[pid];
  if (sig == (SIGTRAP | 0x80)) {
    on_syscall_stop(pid, t);
    resume(pid, t, 0);
    return true;
  }
  switch (event) {
  case 0:
    if (sig == SIGSYS && on_sigsys(pid, t)) {
      resume(pid, t, 0); // refused by the policy: failed, not delivered
      return true;
    }
    break;
  case PTRACE_EVENT_SECCOMP:
    on_seccomp_stop(pid, t);
    resume(pid, t, 0);
    return true;
  case PTRACE_EVENT_FORK:
  case PTRACE_EVENT_VFORK:
  case PTRACE_EVENT_CLONE: {
    unsigned long child = 0;
    if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &child) == 0) {
      // A child runs its parent's program until it execs: a probe tool's child is one too.
      m_tracees.try_emplace(static_cast<pid_t>(child)).first->second.probe_tool = t.probe_tool;
    }
    resume(pid, t, 0);
    return true;
  }
  case PTRACE_EVENT_EXEC: {
    unsigned long former = 0;
    if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &former) == 0 &&
        static_cast<pid_t>(former) != pid) {
      // A thread other than the leader exec'd: it now has the leader's ID.
      m_tracees.erase(static_cast<pid_t>(former));
    }
    Tracee& now = m_tracees[pid];
    now.started = true;
    now.probe_tool = exe_of(pid).starts_with("/.slim/");
    now.chdir_pending = false;
    now.in_syscall = true; // with PTRACE_SYSCALL the execve's exit stop comes next
    m_cwd.erase(pid);
    resume(pid, now, 0);
    return true;
  }
  case PTRACE_EVENT_STOP:
    if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
      ::ptrace(PTRACE_LISTEN, pid, nullptr, nullptr); // group-stop: stay stopped
    } else {
      resume(pid, t, 0);
    }
    return true;
  default:
    resume(pid, t, 0);
    return true;
  }
  resume(pid, t, sig); // signal-delivery-stop: deliver it
  return true;
}

void Tracer::on_syscall_stop(pid_t pid, Tracee& t) {
  if (m_seccomp || t.in_syscall) {
    // An exit stop: no ptrace request needed. (In seccomp mode only a chdir asks for one.)
    t.in_syscall = false;
    if (t.refused_errno != 0) {
      if (!fail_call(pid, t.refused_errno)) {
        ::kill(pid, SIGKILL); // cannot say it failed: do not let it go on as if it had run
      }
      t.refused_errno = 0;
    }
    if (t.chdir_pending) {
      t.chdir_pending = false;
      m_cwd.clear(); // threads may share the cwd; a chdir is rare, so forget them all
    }
    return;
  }
  __ptrace_syscall_info info{};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, reinterpret_cast<void*>(sizeof info), &info) <= 0) {
    if (m_enforce && t.started && !t.in_syscall) {
      ::kill(pid, SIGKILL); // a call we cannot check must not run
    }
    t.in_syscall = !t.in_syscall;
    return;
  }
  t.in_syscall = info.op == PTRACE_SYSCALL_INFO_ENTRY;
  if (info.op != PTRACE_SYSCALL_INFO_ENTRY) {
    return;
  }
  if (m_enforce && t.started) {
    seccomp_data call{};
    call.nr = static_cast<int>(info.entry.nr);
    call.arch = info.arch;
    call.instruction_pointer = info.instruction_pointer;
    for (int i = 0; i < 6; ++i) {
      call.args[i] = info.entry.args[i];
    }
    if (auto err = refused(call)) {
      // Skipped here, failed with the errno at its exit stop; a call that cannot be skipped
      // must not run at all.
      if (!skip_syscall(pid)) {
        ::kill(pid, SIGKILL);
        return;
      }
      t.refused_errno = *err;
      record_refusal(call, *err);
      return;
    }
  }
  if (info.arch != k_native_audit_arch) {
    ++m_foreign;
    return;
  }
  on_entry(pid, t, static_cast<long>(info.entry.nr),
           reinterpret_cast<const unsigned long long*>(info.entry.args));
}

void Tracer::on_seccomp_stop(pid_t pid, Tracee& t) {
  if (!t.started) {
    return;
  }
  __ptrace_syscall_info info{};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, reinterpret_cast<void*>(sizeof info), &info) <= 0 ||
      info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
    return;
  }
  if (info.arch != k_native_audit_arch) {
    ++m_foreign;
    return;
  }
  on_entry(pid, t, static_cast<long>(info.seccomp.nr),
           reinterpret_cast<const unsigned long long*>(info.seccomp.args));
}

std::optional<int> Tracer::refused(const seccomp_data& call) const {
  if (m_policy == nullptr) {
    return std::nullopt;
  }
  std::uint32_t ret = run_bpf(*m_policy, call);
  if (bpf_action(ret) == SECCOMP_RET_ALLOW) {
    return std::nullopt;
  }
  // ERRNO carries the errno; anything else (a malformed program) refuses with EPERM.
  int err = bpf_action(ret) == SECCOMP_RET_ERRNO ? static_cast<int>(bpf_data(ret)) : EPERM;
  return err != 0 ? err : EPERM;
}

void Tracer::record_refusal(const seccomp_data& call, int err) {
  if (call.arch != k_native_audit_arch) {
    ++m_foreign;
  } else if (err == ENOSYS) {
    // Answered as a kernel without the call would (clone3): the app falls back and goes on,
    // and under the generated profile it may use the call, so it counts as used.
    m_recording.add_syscall(call.nr);
  } else {
    m_recording.add_denied(call.nr);
  }
}

bool Tracer::on_sigsys(pid_t pid, const Tracee& t) {
  siginfo_t info{};
  if (!m_seccomp || m_policy == nullptr || ::ptrace(PTRACE_GETSIGINFO, pid, nullptr, &info) != 0 ||
      info.si_code != k_sys_seccomp) {
    return false;
  }
  Regs regs{};
  if (!get_regs(pid, regs)) {
    return false;
  }
  seccomp_data call{};
  call.nr = info.si_syscall;
  call.arch = info.si_arch;
  call.instruction_pointer = reinterpret_cast<std::uintptr_t>(info.si_call_addr);
  regs_args(regs, call.arch, call);
  // Ours only when our policy refuses exactly the call the thread stopped in (a SIGSYS of
  // the app's own filter, or one it queued to itself, is delivered as usual).
  auto err = refused(call);
  if (!err || regs_syscall(regs) != call.nr) {
    return false;
  }
  set_return(regs, -static_cast<long>(*err));
  if (!set_regs(pid, regs)) {
    return false;
  }
  if (t.started) {
    record_refusal(call, *err);
  }
  return true;
}

void Tracer::on_entry(pid_t pid, Tracee& t, long nr, const unsigned long long* args) {
  if (t.probe_tool) {
    // The probe shell slim brings (busybox under /.slim) and its applets: production never
    // runs them, so their calls are kept apart from the app's (the report's probe_syscalls).
    m_recording.add_probe_syscall(nr);
  } else {
    m_recording.add_syscall(nr);
    if (int index = arg_index(nr); index >= 0) {
      m_recording.add_arg_value(nr, args[index]);
    }
  }
  const PathCall* call = path_call(nr);
  if (call == nullptr) {
    return;
  }
  std::uint16_t ops = call->op;
  bool follow = call->follow;
  if (call->flags_arg >= 0) {
    auto flags = static_cast<long long>(args[call->flags_arg]);
    if (call->style == FlagStyle::open_flags) {
      if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) != 0) {
        ops |= op_write;
      }
      if ((flags & O_NOFOLLOW) != 0) {
        follow = false;
      }
    } else if (call->style == FlagStyle::at_flags) {
      if ((flags & AT_SYMLINK_NOFOLLOW) != 0) {
        follow = false;
      }
    }
  }
  if ((ops & op_chdir) != 0) {
    t.chdir_pending = true; // the cwd changes when the call returns
  }
  int index = 0;
  for (const PathArg* arg : {&call->first, &call->second}) {
    bool first = index++ == 0;
    if (arg->dirfd < 0 && arg->path < 0) {
      continue;
    }
    PendingPath out;
    if (arg->path < 0) { // the call names an fd only (getdents, fchdir)
      out.path = fd_path(pid, static_cast<long long>(args[arg->dirfd]));
      out.canonical = true;
    } else {
      std::string text;
      unsigned long long address = args[arg->path];
      bool have_text = address != 0 && read_path(pid, address, text);
      if (!have_text || text.empty()) {
        // A NULL path (utimensat) means the dirfd itself. An empty one with AT_EMPTY_PATH
        // (fstat as glibc makes it) names an open file: its open was recorded already.
        if (arg->dirfd < 0 || address != 0) {
          continue;
        }
        out.path = fd_path(pid, static_cast<long long>(args[arg->dirfd]));
        out.canonical = true;
      } else if (text.front() == '/') {
        out.path = std::move(text);
      } else {
        int dirfd = arg->dirfd >= 0 ? static_cast<int>(args[arg->dirfd]) : AT_FDCWD;
        std::string base = dirfd == AT_FDCWD ? cwd_of(pid) : fd_path(pid, dirfd);
        if (base.empty() || base.front() != '/') {
          continue;
        }
        out.path = join_path(base, text);
      }
    }
    if (out.path.empty() || out.path.front() != '/') {
      continue;
    }
    record(out, ops, follow, first && is_execve(nr));
  }
}

void Tracer::record(const PendingPath& path, std::uint16_t ops, bool follow, bool is_exec) {
  if (path.canonical) {
    m_recording.add_path(path.path, ops, m_source);
    return;
  }
  std::string key = path.path;
  key += follow ? '\1' : '\0';
  auto [it, inserted] = m_seen.try_emplace(std::move(key), 0);
  if (!inserted && (it->second & ops) == ops) {
    return;
  }
  it->second |= ops;
  std::string final_path = record_resolved(path.path, ops, follow);
  if (is_exec) {
    record_interpreters(final_path); // a `#!` script or a dynamic binary: the file says
  }
}

std::string Tracer::record_resolved(const std::string& lexical, std::uint16_t ops, bool follow) {
  auto resolved = resolve_path(lexical, follow, [this](const std::string& p) {
    bool is_link = false;
    const std::string* target = link_target(p, is_link);
    return is_link ? std::optional<std::string>(*target) : std::nullopt;
  });
  for (const auto& link : resolved.symlinks) {
    m_recording.add_path(link, op_readlink, m_source);
  }
  // Recorded at entry, so whether the lookup fails is seen here: a path that is not there
  // (except one the call is about to create) is marked as such.
  struct stat st {};
  if ((ops & op_write) == 0 && ::lstat(resolved.path.c_str(), &st) != 0 &&
      (errno == ENOENT || errno == ENOTDIR)) {
    ops |= op_notfound;
  }
  m_recording.add_path(resolved.path, ops, m_source);
  return resolved.path;
}

void Tracer::record_interpreters(std::string path) {
  for (int depth = 0; depth < 4; ++depth) {
    int fd =
        ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); // not stuck on a FIFO
    if (fd < 0) {
      return;
    }
    std::string head(k_exec_head_size, '\0');
    ssize_t n = ::pread(fd, head.data(), head.size(), 0);
    ::close(fd);
    if (n <= 0) {
      return;
    }
    head.resize(static_cast<std::size_t>(n));
    auto interp = interpreter_of(head);
    if (!interp || interp->front() != '/') {
      return;
    }
    path = record_resolved(*interp, op_exec, true);
  }
}

const std::string* Tracer::link_target(const std::string& path, bool& is_link) {
  auto it = m_links.find(path);
  if (it == m_links.end()) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      is_link = false; // nothing there (yet): not cached, it may appear later
      return nullptr;
    }
    std::string target = S_ISLNK(st.st_mode) ? read_link(path) : std::string();
    it = m_links.emplace(path, std::move(target)).first;
  }
  is_link = !it->second.empty();
  return &it->second;
}

bool Tracer::read_path(pid_t pid, unsigned long long address, std::string& out) {
  out.clear();
  char buf[PATH_MAX];
  std::size_t done = 0;
  while (done < sizeof buf) {
    // Read up to the next page boundary so a string near unmapped memory still reads.
    std::size_t page = 4096;
    std::size_t chunk = page - ((address + done) % page);
    chunk = std::min(chunk, sizeof buf - done);
    iovec local{buf + done, chunk};
    iovec remote{reinterpret_cast<void*>(address + done), chunk};
    ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) {
      return false;
    }
    auto* nul = static_cast<char*>(std::memchr(buf + done, '\0', static_cast<std::size_t>(n)));
    if (nul != nullptr) {
      out.assign(buf, static_cast<std::size_t>(nul - buf));
      return true;
    }
    done += static_cast<std::size_t>(n);
  }
  return false;
}

std::string Tracer::cwd_of(pid_t pid) {
  auto it = m_cwd.find(pid);
  if (it != m_cwd.end()) {
    return it->second;
  }
  std::string cwd = read_link("/proc/" + std::to_string(pid) + "/cwd");
  m_cwd[pid] = cwd;
  return cwd;
}

std::string Tracer::fd_path(pid_t pid, long long fd) {
  if (fd < 0) {
    return {};
  }
  return read_link("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd));
}

} // namespace slim::sensor
