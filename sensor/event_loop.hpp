#pragma once
// PID 1's event thread in `sensor run`: forwards signals to the app, drains fanotify into the
// recording (in 5 ms batches), serves the control socket (`ctl stop`, `sensor exec` sessions
// and their recordings) and SIGKILLs the app when the stop grace period ends. The main thread
// meanwhile traces and reaps. Neither signals nor control connections from the app's own
// process tree are obeyed: only the controller (processes `docker exec` started, which hold
// the capabilities the app lost) may stop the run or hand in an exec recording.

#include "sensor/args.hpp"
#include "sensor/capabilities.hpp"
#include "sensor/fanotify_watch.hpp"
#include "sensor/process_tree.hpp"
#include "sensor/recording.hpp"

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace slim::sensor {

/// The signals PID 1 forwards to the app (blocked in the sensor, read from a signalfd).
inline constexpr int k_forwarded_signals[] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,
                                              SIGUSR1, SIGUSR2, SIGWINCH};

class EventLoop {
public:
  /// `user_reply`: the line an `exec-begin` gets (the app's user); `peer_caps`: what a control
  /// client's bounding set must hold (the capabilities taken from the app). The forwarded
  /// signals must already be blocked in every thread.
  EventLoop(const RunOptions& options, FanotifyWatch& fanotify, int listen_fd, pid_t app_pid,
            std::string user_reply, CapSet peer_caps);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Starts the thread.
  void start();
  /// Tells the loop to drain fanotify and end; waits for it.
  void finish();
  /// What fanotify and the exec sessions recorded (read after finish()).
  Recording& recording() { return m_recording; }
  bool fanotify_overflowed() const { return m_overflowed; }
  /// Connections waiting for the stop confirmation (after finish()).
  std::vector<int> stop_clients() const;
  /// Closes every control connection (after the answers went out).
  void close_clients();
  /// True once a `ctl stop` asked the app to stop.
  bool stopped_by_ctl() const { return m_stop_requested; }
  /// The `sensor exec` sessions still connected (after finish()).
  std::unordered_set<pid_t> sessions() const { return m_trees.sessions(); }
  /// How many control connections and signals from the app's tree were refused.
  unsigned refused_clients() const { return m_refused_clients; }
  unsigned dropped_signals() const { return m_dropped_signals; }

private:
  using Clock = std::chrono::steady_clock;
  // One connection on the control socket.
  struct ControlClient {
    enum class State { command, exec_session, exec_data, stop_wait } state = State::command;
    std::string buffer;
    pid_t pid = -1;
    std::size_t data_size = 0;
  };

  void loop();
  void forward_signals();
  void accept_clients();
  bool trusted_peer(int fd);
  void drop(int fd);
  void serve(int fd);
  bool handle_line(int fd, ControlClient& client, const std::string& line);

  const RunOptions& m_options;
  FanotifyWatch& m_fanotify;
  int m_listen_fd;
  pid_t m_app_pid;
  std::string m_user_reply;
  CapSet m_peer_caps;
  unsigned m_refused_clients = 0;
  unsigned m_dropped_signals = 0;
  int m_wake_fd = -1;
  int m_signal_fd = -1;
  std::thread m_thread;
  Recording m_recording;
  bool m_overflowed = false;
  bool m_stop_requested = false;
  std::optional<Clock::time_point> m_kill_deadline;
  std::unordered_map<int, ControlClient> m_clients;
  ProcessTrees m_trees;
};

} // namespace slim::sensor
