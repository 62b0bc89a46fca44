#include "sensor/tracer.hpp"

#include "sensor/exec_image.hpp"
#include "sensor/paths.hpp"
#include "sensor/syscall_table.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
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

constexpr long k_options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                           PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;

void resume(pid_t pid, int sig) {
  ::ptrace(PTRACE_SYSCALL, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
}

bool is_execve(long nr) {
  return nr == SYS_execve || nr == SYS_execveat;
}

std::string read_link(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

} // namespace

std::string Tracer::seize(pid_t pid) {
  if (::ptrace(PTRACE_SEIZE, pid, nullptr, reinterpret_cast<void*>(k_options)) != 0) {
    return std::string("ptrace(PTRACE_SEIZE) failed: ") + std::strerror(errno);
  }
  m_tracees.try_emplace(pid);
  return {};
}

void Tracer::record_initial_exec(pid_t pid, const std::string& path) {
  m_recording.add_syscall(SYS_execve); // made by us, in production by the runtime
  PendingPath p{path[0] == '/' ? path : join_path(cwd_of(pid), path), false};
  record(p, op_exec, true, true);
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
  Tracee& t = m_tracees[pid];
  if (sig == (SIGTRAP | 0x80)) {
    on_syscall_stop(pid, t);
    resume(pid, 0);
    return true;
  }
  switch (event) {
  case 0:
    break;
  case PTRACE_EVENT_FORK:
  case PTRACE_EVENT_VFORK:
  case PTRACE_EVENT_CLONE: {
    unsigned long child = 0;
    if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &child) == 0) {
      m_tracees.try_emplace(static_cast<pid_t>(child));
    }
    resume(pid, 0);
    return true;
  }
  case PTRACE_EVENT_EXEC: {
    unsigned long former = 0;
    if (::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &former) == 0 &&
        static_cast<pid_t>(former) != pid) {
      // A thread other than the leader exec'd: it now has the leader's ID.
      auto it = m_tracees.find(static_cast<pid_t>(former));
      if (it != m_tracees.end()) {
        Tracee moved = std::move(it->second);
        m_tracees.erase(it);
        m_tracees[pid] = std::move(moved);
      }
    }
    Tracee& now = m_tracees[pid];
    now.in_syscall = true;
    m_cwd.erase(pid);
    resume(pid, 0);
    return true;
  }
  case PTRACE_EVENT_STOP:
    if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
      ::ptrace(PTRACE_LISTEN, pid, nullptr, nullptr); // group-stop: stay stopped
    } else {
      resume(pid, 0);
    }
    return true;
  default:
    resume(pid, 0);
    return true;
  }
  resume(pid, sig); // signal-delivery-stop: deliver it
  return true;
}

void Tracer::on_syscall_stop(pid_t pid, Tracee& t) {
  if (t.in_syscall && !t.pending) {
    t.in_syscall = false; // exit of a call we did not need: no ptrace request at all
    return;
  }
  __ptrace_syscall_info info{};
  if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, reinterpret_cast<void*>(sizeof info), &info) <= 0) {
    t.in_syscall = !t.in_syscall;
    t.pending = false;
    return;
  }
  if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
    t.in_syscall = true;
    t.pending = false;
    if (info.arch != k_native_audit_arch) {
      ++m_foreign;
      return;
    }
    on_entry(pid, t, static_cast<long>(info.entry.nr),
             reinterpret_cast<const unsigned long long*>(info.entry.args));
  } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
    t.in_syscall = false;
    if (t.pending) {
      t.pending = false;
      on_exit(pid, t, info.exit.rval);
    }
  }
}

void Tracer::on_entry(pid_t pid, Tracee& t, long nr, const unsigned long long* args) {
  m_recording.add_syscall(nr);
  const PathCall* call = path_call(nr);
  if (call == nullptr) {
    return;
  }
  std::uint16_t ops = call->op;
  bool follow = call->follow;
  bool empty_path_ok = false;
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
      empty_path_ok = (flags & AT_EMPTY_PATH) != 0;
    }
  }
  t.path_count = 0;
  for (const PathArg* arg : {&call->first, &call->second}) {
    if (arg->dirfd < 0 && arg->path < 0) {
      continue;
    }
    PendingPath& out = t.paths[t.path_count];
    out.canonical = false;
    if (arg->path < 0) { // the call names an fd only (getdents, fchdir)
      out.path = fd_path(pid, static_cast<long long>(args[arg->dirfd]));
      out.canonical = true;
    } else {
      std::string text;
      unsigned long long address = args[arg->path];
      bool have_text = address != 0 && read_path(pid, address, text);
      if (!have_text || text.empty()) {
        // A NULL path (utimensat) or an empty one with AT_EMPTY_PATH means the dirfd itself.
        bool fd_itself = address == 0 || (have_text && empty_path_ok);
        if (arg->dirfd < 0 || !fd_itself) {
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
    ++t.path_count;
  }
  if (t.path_count > 0) {
    t.pending = true;
    t.nr = nr;
    t.ops = ops;
    t.follow = follow;
  }
}

void Tracer::on_exit(pid_t /*pid*/, Tracee& t, long long rval) {
  std::uint16_t ops = t.ops;
  if (rval == -ENOENT || rval == -ENOTDIR) {
    ops |= op_notfound;
  }
  if (rval == 0 && (t.ops & op_chdir) != 0) {
    m_cwd.clear(); // threads may share the cwd; a chdir is rare, so forget them all
  }
  bool exec_success = rval == 0 && is_execve(t.nr);
  for (int i = 0; i < t.path_count; ++i) {
    record(t.paths[i], ops, t.follow, exec_success && i == 0);
  }
  t.path_count = 0;
}

void Tracer::record(const PendingPath& path, std::uint16_t ops, bool follow, bool exec_success) {
  if (path.canonical) {
    m_recording.add_path(path.path, ops, m_source);
    return;
  }
  std::string key = path.path;
  key += follow ? '\1' : '\0';
  auto [it, inserted] = m_seen.try_emplace(std::move(key), 0);
  if (!inserted && (it->second & ops) == ops && !exec_success) {
    return;
  }
  it->second |= ops;
  std::string final_path = record_resolved(path.path, ops, follow);
  if (exec_success) {
    record_interpreters(final_path);
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
  m_recording.add_path(resolved.path, ops, m_source);
  return resolved.path;
}

void Tracer::record_interpreters(std::string path) {
  for (int depth = 0; depth < 4; ++depth) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
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
