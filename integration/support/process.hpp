#pragma once
// A child process a test talks to while it runs: started without a shell, its stdout and
// stderr collected, waited for a line on stderr, sent signals, reaped with a bound. Used to
// interrupt `slim` at a chosen point (SLIM_TEST_PAUSE_AT).

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace slim::it {

class Process {
public:
  /// Starts argv[0] (searched in PATH) with the test's environment plus `extra_env`
  /// ("KEY=VALUE"); stdin is /dev/null. Throws slim::Error when it cannot start.
  explicit Process(const std::vector<std::string>& argv,
                   const std::vector<std::string>& extra_env = {});
  /// SIGKILLs and reaps the process if it still runs.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// The child's PID.
  pid_t pid() const noexcept { return m_pid; }
  /// Sends `sig` (no effect once reaped).
  void signal(int sig) const;
  /// Reads output until stderr contains `needle`; false on timeout or when the process ended.
  bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout);
  /// Reads output until the process ends; its exit code (128+N for signal N), or nullopt when
  /// it still runs after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// Everything it wrote to stdout / stderr so far.
  const std::string& out() const noexcept { return m_out; }
  const std::string& err() const noexcept { return m_err; }

private:
  /// Reads what is available for at most `timeout`; false when both pipes are closed.
  bool pump(std::chrono::milliseconds timeout);

  pid_t m_pid = -1;
  int m_out_fd = -1;
  int m_err_fd = -1;
  std::optional<int> m_exit;
  std::string m_out;
  std::string m_err;
};

} // namespace slim::it
