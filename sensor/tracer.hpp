#pragma once
// The ptrace recorder: follows a process tree (fork, vfork, clone, exec), records every system
// call number and the paths of path-taking calls, resolved the kernel's way against the
// caller's cwd or dirfd, failed calls included. Everything stays in memory: per-thread state,
// a cwd cache and a symlink cache; no per-syscall I/O beyond reading the path argument.

#include "sensor/recording.hpp"

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

  /// Seizes `pid` (a child that has not exec'd yet) with fork/clone/exec following and
  /// EXITKILL; tracing of its syscalls starts at its exec. Returns an error text, empty on success.
  std::string seize(pid_t pid);

  /// Handles a waitpid(__WALL) status for `pid` and resumes it; returns true when the status
  /// was a ptrace stop (false for exits and for processes that are not traced).
  bool handle(pid_t pid, int status);

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
    bool in_syscall = false;
    bool pending = false;
    long nr = -1;
    std::uint16_t ops = 0;
    bool follow = true;
    PendingPath paths[2];
    int path_count = 0;
  };

  void on_syscall_stop(pid_t pid, Tracee& t);
  void on_entry(pid_t pid, Tracee& t, long nr, const unsigned long long* args);
  void on_exit(pid_t pid, Tracee& t, long long rval);
  bool read_path(pid_t pid, unsigned long long address, std::string& out);
  std::string cwd_of(pid_t pid);
  std::string fd_path(pid_t pid, long long fd);
  void record(const PendingPath& path, std::uint16_t ops, bool follow, bool exec_success);
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
};

} // namespace slim::sensor
