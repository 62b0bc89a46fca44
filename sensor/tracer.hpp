#pragma once
// The ptrace recorder: follows a process tree (fork, vfork, clone, exec), records every system
// call number and the paths of path-taking calls, resolved the kernel's way against the
// caller's cwd or dirfd, failed calls included. Everything stays in memory: per-thread state,
// a cwd cache and a symlink cache; no per-syscall I/O beyond reading the path argument.
//
// Everything is recorded at syscall entry, so one stop per call is enough. When the traced
// process installed the trace filter (FilterMode::trace), each allowed call stops once
// (PTRACE_EVENT_SECCOMP) and is resumed with PTRACE_CONT, and each call the app's policy
// refuses raises a SIGSYS that the tracer takes: it records the call as denied and makes it
// fail with the policy's errno. Otherwise (FilterMode::tracer: no CAP_SYS_ADMIN) the tracer
// uses PTRACE_SYSCALL, whose exit stops cost a context switch but no request, and refuses the
// calls itself at their entry stop (the policy program run in user space, the call skipped).

#include "sensor/bpf.hpp"
#include "sensor/confine.hpp"
#include "sensor/recording.hpp"

#include <optional>
#include <string>
#include <sys/types.h>
#include <unordered_map>

namespace slim::sensor {

/// Records one process tree. Single-threaded: the thread that seizes must also wait and
/// call handle() (ptrace ties tracees to the tracing thread).
class Tracer {
public:
  /// Every access recorded is attributed to `source`.
  explicit Tracer(Source source) : m_source(source) {}

  /// How the traced process is confined (before seize()): `mode` as given to go_ahead() and
  /// the app's policy as an errno program (FilterKind::errno_only), which must outlive us.
  void confine(FilterMode mode, const BpfProgram* policy) {
    m_seccomp = mode == FilterMode::trace;
    m_enforce = mode == FilterMode::tracer;
    m_policy = policy;
  }

  /// Seizes `pid` (a child that has not exec'd yet) with fork/clone/exec following and
  /// EXITKILL; tracing of its syscalls starts at its exec. Returns an error text, empty on success.
  std::string seize(pid_t pid);

  /// Handles a waitpid(__WALL) status for `pid` and resumes it; returns true when the status
  /// was a ptrace stop (false for exits and for processes that are not traced).
  bool handle(pid_t pid, int status);

  /// Lets the seized process `pid` (after go_ahead()) run to its exec, handling its stops.
  /// Returns its wait status when it ended before exec'ing (exec failed), else nullopt.
  std::optional<int> run_until_exec(pid_t pid);

  /// Records the exec of `path` by the seized process itself (its execve is not traced).
  void record_initial_exec(pid_t pid, const std::string& path);

  /// What was recorded so far.
  Recording& recording() noexcept { return m_recording; }

  /// How many syscalls of a foreign architecture (e.g. 32-bit) were seen and not recorded.
  unsigned long foreign_syscalls() const noexcept { return m_foreign; }

private:
  struct PendingPath {
    std::string path;       // lexical absolute path, or canonical when `canonical`
    bool canonical = false; // came from /proc/PID/fd: already resolved
  };
  struct Tracee {
    bool started = true;        // false for the seized process until its exec (our set-up)
    bool in_syscall = false;    // PTRACE_SYSCALL mode: between entry and exit stop
    bool chdir_pending = false; // a chdir is running: forget the cached cwds at its exit
    int refused_errno = 0;      // PTRACE_SYSCALL mode: a skipped call returns -this at its exit
    bool probe_tool = false;    // runs a file under /.slim (the probe shell): not the app's calls
  };

  void resume(pid_t pid, const Tracee& t, int sig);
  void on_syscall_stop(pid_t pid, Tracee& t);
  void on_seccomp_stop(pid_t pid, Tracee& t);
  bool on_sigsys(pid_t pid, const Tracee& t);
  std::optional<int> refused(const seccomp_data& call) const;
  void record_refusal(const seccomp_data& call, int err);
  void on_entry(pid_t pid, Tracee& t, long nr, const unsigned long long* args);
  bool read_path(pid_t pid, unsigned long long address, std::string& out);
  std::string cwd_of(pid_t pid);
  std::string fd_path(pid_t pid, long long fd);
  void record(const PendingPath& path, std::uint16_t ops, bool follow, bool is_exec);
  std::string record_resolved(const std::string& lexical, std::uint16_t ops, bool follow);
  void record_interpreters(std::string path);
  const std::string* link_target(const std::string& path, bool& is_link);

  Source m_source;
  Recording m_recording;
  std::unordered_map<pid_t, Tracee> m_tracees;
  std::unordered_map<pid_t, std::string> m_cwd;
  std::unordered_map<std::string, std::string> m_links;  // path -> target; "" = not a link
  std::unordered_map<std::string, std::uint16_t> m_seen; // lexical path + follow -> ops
  unsigned long m_foreign = 0;
  bool m_seccomp = false;               // the trace filter is in place: PTRACE_CONT
  bool m_enforce = false;               // no filter: refuse the policy's calls at entry stops
  const BpfProgram* m_policy = nullptr; // the app's policy (errno program)
};

} // namespace slim::sensor
