// `sensor run`: starts the app, records it (fanotify on one thread, ptrace on the main thread,
// which must be the tracing thread), does PID 1's duties, merges `sensor exec` recordings sent
// over the control socket, and writes the report when the app exits.

#include "sensor/commands.hpp"
#include "sensor/control.hpp"
#include "sensor/fanotify_watch.hpp"
#include "sensor/launch.hpp"
#include "sensor/report.hpp"
#include "sensor/syscall_table.hpp"
#include "sensor/tracer.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

#ifndef SLIM_VERSION
#define SLIM_VERSION "0.1.0"
#endif

namespace slim::sensor {

namespace {

constexpr int k_forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

using Clock = std::chrono::steady_clock;

int exit_status_of(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 255;
}

std::string escape_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

// One connection on the control socket.
struct Client {
  enum class State { command, exec_session, exec_data, stop_wait } state = State::command;
  std::string buffer;
  pid_t pid = -1;
  std::size_t data_size = 0;
};

// Everything the event thread does: signals, fanotify, control socket, the stop timer.
class EventLoop {
public:
  EventLoop(const RunOptions& options, FanotifyWatch& fanotify, int listen_fd, pid_t app_pid,
            std::string user_reply)
      : m_options(options), m_fanotify(fanotify), m_listen_fd(listen_fd), m_app_pid(app_pid),
        m_user_reply(std::move(user_reply)) {
    m_wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    sigset_t set;
    sigemptyset(&set);
    for (int sig : k_forwarded) {
      sigaddset(&set, sig);
    }
    m_signal_fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  }
  ~EventLoop() {
    for (int fd : {m_wake_fd, m_signal_fd}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void start() {
    m_thread = std::thread([this] { loop(); });
  }
  /// Tells the loop to drain fanotify and end; waits for it.
  void finish() {
    std::uint64_t one = 1;
    (void)!::write(m_wake_fd, &one, sizeof one);
    if (m_thread.joinable()) {
      m_thread.join();
    }
  }
  Recording& recording() { return m_recording; }
  bool fanotify_overflowed() const { return m_overflowed; }
  /// Connections waiting for the stop confirmation (after finish()).
  std::vector<int> stop_clients() const {
    std::vector<int> fds;
    for (const auto& [fd, client] : m_clients) {
      if (client.state == Client::State::stop_wait) {
        fds.push_back(fd);
      }
    }
    return fds;
  }
  void close_clients() {
    for (const auto& [fd, client] : m_clients) {
      ::close(fd);
    }
    m_clients.clear();
  }
  bool stopped_by_ctl() const { return m_stop_requested; }

private:
  void loop() {
    pid_t self = ::getpid();
    Classifier classify = [this](pid_t pid) { return this->classify(pid); };
    while (true) {
      std::vector<pollfd> fds;
      fds.push_back({m_wake_fd, POLLIN, 0});
      fds.push_back({m_signal_fd, POLLIN, 0});
      fds.push_back({m_fanotify.fd(), POLLIN, 0});
      fds.push_back({m_listen_fd, POLLIN, 0});
      for (const auto& [fd, client] : m_clients) {
        if (client.state != Client::State::stop_wait) {
          fds.push_back({fd, POLLIN, 0});
        }
      }
      int timeout = -1;
      if (m_kill_deadline) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(*m_kill_deadline - Clock::now());
        timeout = static_cast<int>(std::max<long>(0, left.count()));
      }
      int ready = ::poll(fds.data(), fds.size(), timeout);
      if (ready < 0 && errno != EINTR) {
        break;
      }
      if (m_kill_deadline && Clock::now() >= *m_kill_deadline) {
        ::kill(m_app_pid, SIGKILL);
        m_kill_deadline.reset();
      }
      if (ready <= 0) {
        continue;
      }
      if ((fds[2].revents & POLLIN) != 0) {
        m_overflowed |= !m_fanotify.drain(m_recording, self, classify);
        // Let events gather before the next poll: while we wait in poll() every event wakes
        // us, and the app pays for each wake-up; reading in batches of 5 ms brought the
        // fanotify overhead from ~7% to ~3% of the benchmark's wall time (the queue is
        // unlimited, and a few ms of delay for signals and `ctl` do not matter).
        ::usleep(5000);
      }
      if ((fds[1].revents & POLLIN) != 0) {
        forward_signals();
      }
      if ((fds[3].revents & POLLIN) != 0) {
        accept_clients();
      }
      for (std::size_t i = 4; i < fds.size(); ++i) {
        if (fds[i].revents != 0) {
          serve(fds[i].fd);
        }
      }
      if ((fds[0].revents & POLLIN) != 0) {
        m_overflowed |= !m_fanotify.drain(m_recording, self, classify);
        return;
      }
    }
  }

  void forward_signals() {
    signalfd_siginfo info{};
    while (::read(m_signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      ::kill(m_app_pid, static_cast<int>(info.ssi_signo));
    }
  }

  void accept_clients() {
    while (true) {
      int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        return;
      }
      m_clients[fd].pid = peer_pid(fd);
    }
  }

  void drop(int fd) {
    auto it = m_clients.find(fd);
    if (it != m_clients.end() && it->second.state != Client::State::command) {
      m_exec_sessions.erase(it->second.pid);
      m_classified.clear();
    }
    m_clients.erase(fd);
    ::close(fd);
  }

  void serve(int fd) {
    Client& client = m_clients[fd];
    char chunk[65536];
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      return;
    }
    if (n <= 0) {
      drop(fd);
      return;
    }
    client.buffer.append(chunk, static_cast<std::size_t>(n));
    while (true) {
      if (client.state == Client::State::exec_data) {
        if (client.buffer.size() < client.data_size) {
          return;
        }
        std::string data = client.buffer.substr(0, client.data_size);
        client.buffer.erase(0, client.data_size);
        Recording received;
        bool ok = decode_recording(data, Source::exec, received);
        if (ok) {
          m_recording.merge(received);
        }
        send_all(fd, ok ? "ok\n" : "error malformed recording\n");
        client.state = Client::State::exec_session;
        continue;
      }
      auto eol = client.buffer.find('\n');
      if (eol == std::string::npos) {
        return;
      }
      std::string line = client.buffer.substr(0, eol);
      client.buffer.erase(0, eol + 1);
      if (!handle_line(fd, client, line)) {
        drop(fd);
        return;
      }
      if (client.state == Client::State::stop_wait) {
        return;
      }
    }
  }

  bool handle_line(int fd, Client& client, const std::string& line) {
    if (line.starts_with("stop")) {
      int sig = m_options.stop_signal;
      double grace = m_options.stop_grace;
      int given_sig = 0;
      double given_grace = -1;
      if (std::sscanf(line.c_str(), "stop %d %lf", &given_sig, &given_grace) >= 1 &&
          given_sig > 0) {
        sig = given_sig;
      }
      if (given_grace >= 0) {
        grace = given_grace;
      }
      client.state = Client::State::stop_wait;
      if (!m_stop_requested) {
        m_stop_requested = true;
        ::kill(m_app_pid, sig);
        m_kill_deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(grace * 1000));
      }
      return true;
    }
    if (line == "exec-begin" && client.state == Client::State::command) {
      client.state = Client::State::exec_session;
      m_exec_sessions.insert(client.pid);
      m_classified.clear();
      return send_all(fd, m_user_reply);
    }
    if (line.starts_with("data ") && client.state == Client::State::exec_session) {
      client.data_size = std::strtoul(line.c_str() + 5, nullptr, 10);
      if (client.data_size > (256U << 20)) {
        return false;
      }
      client.state = Client::State::exec_data;
      return true;
    }
    send_all(fd, "error unknown request\n");
    return false;
  }

  // Walks the parent chain: the app's tree, an exec session's tree, or neither.
  Source classify(pid_t pid) {
    auto it = m_classified.find(pid);
    if (it != m_classified.end()) {
      return it->second;
    }
    Source source = Source::other;
    pid_t p = pid;
    pid_t self = ::getpid();
    for (int depth = 0; depth < 64 && p > 0; ++depth) {
      if (p == m_app_pid || p == self) {
        source = Source::app;
        break;
      }
      if (m_exec_sessions.count(p) != 0) {
        source = Source::exec;
        break;
      }
      char path[64];
      std::snprintf(path, sizeof path, "/proc/%d/stat", p);
      int fd = ::open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return Source::other; // gone: cannot place it, do not cache
      }
      char buf[512];
      ssize_t n = ::read(fd, buf, sizeof buf - 1);
      ::close(fd);
      if (n <= 0) {
        return Source::other;
      }
      buf[n] = '\0';
      const char* close_paren = std::strrchr(buf, ')');
      int ppid = 0;
      if (close_paren == nullptr || std::sscanf(close_paren + 2, "%*c %d", &ppid) != 1) {
        return Source::other;
      }
      p = ppid;
    }
    m_classified[pid] = source;
    return source;
  }

  const RunOptions& m_options;
  FanotifyWatch& m_fanotify;
  int m_listen_fd;
  pid_t m_app_pid;
  std::string m_user_reply;
  int m_wake_fd = -1;
  int m_signal_fd = -1;
  std::thread m_thread;
  Recording m_recording;
  bool m_overflowed = false;
  bool m_stop_requested = false;
  std::optional<Clock::time_point> m_kill_deadline;
  std::unordered_map<int, Client> m_clients;
  std::unordered_set<pid_t> m_exec_sessions;
  std::unordered_map<pid_t, Source> m_classified;
};

std::string groups_text(const std::vector<gid_t>& groups) {
  if (groups.empty()) {
    return "-";
  }
  std::string out;
  for (gid_t g : groups) {
    out += (out.empty() ? "" : ",") + std::to_string(g);
  }
  return out;
}

} // namespace

int run_command(const RunOptions& options) {
  sigset_t forwarded;
  sigemptyset(&forwarded);
  for (int sig : k_forwarded) {
    sigaddset(&forwarded, sig);
  }
  ::sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  if (::getpid() != 1) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); // orphans come to us as they would to PID 1
  }

  ReportInfo info;
  info.arch = native_arch_name();
  info.sensor_version = SLIM_VERSION;
  info.argv = options.argv;

  LaunchSpec spec;
  spec.argv = options.argv;
  spec.env = current_environment();
  spec.workdir = options.workdir;
  ResolvedUser user;
  user.uid = ::getuid();
  user.gid = ::getgid();
  if (options.user) {
    auto resolved = resolve_image_user(*options.user);
    if (!resolved) {
      std::fprintf(stderr, "sensor: error: %s\n", resolved.error().c_str());
      return 125;
    }
    user = resolved.value();
    fix_home(spec.env, user, root_home());
    spec.user = user;
  } else {
    user.groups.clear();
  }
  info.user = std::to_string(user.uid) + ":" + std::to_string(user.gid);

  bool want_fanotify = options.mode != Mode::ptrace;
  bool want_ptrace = options.mode != Mode::fanotify;
  FanotifyWatch fanotify;
  bool fanotify_on = false;
  if (want_fanotify) {
    std::string note;
    std::string err = fanotify.open(note);
    fanotify_on = err.empty();
    if (!fanotify_on) {
      info.warnings.push_back("fanotify unavailable: recording with ptrace only");
      info.warnings.push_back("fanotify: " + err);
      want_ptrace = true;
    } else if (note != "filesystem") {
      info.warnings.push_back("fanotify: watching the root mount only: " + note);
    }
  }

  ::mkdir("/.slim", 0755);
  std::string listen_error;
  int listen_fd = listen_control(k_control_socket, listen_error);
  if (listen_fd < 0) {
    info.warnings.push_back("control socket unavailable: " + listen_error);
  }

  auto launched = launch(spec);
  if (!launched) {
    std::fprintf(stderr, "sensor: error: %s\n", launched.error().c_str());
    info.exit_status = 127;
    info.mode = "none";
    info.warnings.push_back(launched.error());
    Recording empty;
    write_file_atomic(options.report, render_report(empty, info, syscall_name));
    return 127;
  }
  Launched& child = launched.value();
  Tracer tracer(Source::app);
  bool tracing = false;
  if (want_ptrace) {
    std::string err = tracer.seize(child.pid);
    tracing = err.empty();
    if (!tracing && !fanotify_on && options.mode == Mode::ptrace) {
      // Asked for ptrace only but may not trace: fanotify still sees every open and exec.
      // The app is still waiting before its exec, so nothing is missed by starting it now.
      std::string note;
      fanotify_on = fanotify.open(note).empty();
    }
    if (!tracing) {
      info.warnings.push_back(fanotify_on ? "ptrace unavailable: recording with fanotify only"
                                          : "ptrace unavailable: nothing recorded");
      info.warnings.push_back("ptrace: " + err);
    }
  }
  info.mode = fanotify_on && tracing ? "both"
              : fanotify_on          ? "fanotify"
              : tracing              ? "ptrace"
                                     : "none";
  go_ahead(child, tracing);
  // With the trace filter the child stops at each set-up call: let it reach its exec first.
  std::optional<int> early_status = tracing ? tracer.run_until_exec(child.pid) : std::nullopt;
  std::string start_error;
  if (started(child, start_error) != 0) {
    std::fprintf(stderr, "sensor: error: %s\n", start_error.c_str());
    info.warnings.push_back(start_error);
  } else if (tracing) {
    tracer.record_initial_exec(child.pid, child.exec_path);
  }

  std::string user_reply = "user " + std::to_string(user.uid) + " " + std::to_string(user.gid) +
                           " " + groups_text(user.groups) + " " + escape_line(user.home) + "\n";
  EventLoop events(options, fanotify, listen_fd, child.pid, user_reply);
  events.start();

  int app_status = early_status ? exit_status_of(*early_status) : 255;
  while (!early_status) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) {
        continue;
      }
      break; // ECHILD: nothing left (cannot happen before the app is gone)
    }
    if (tracing) {
      tracer.handle(pid, status);
    }
    if (pid == child.pid && (WIFEXITED(status) || WIFSIGNALED(status))) {
      app_status = exit_status_of(status);
      break;
    }
  }

  events.finish();
  info.exit_status = app_status;
  Recording all = std::move(tracer.recording());
  all.merge(events.recording());
  if (events.fanotify_overflowed()) {
    info.warnings.push_back("fanotify queue overflowed: some opens may be missing");
  }
  if (tracer.foreign_syscalls() > 0) {
    info.warnings.push_back(std::to_string(tracer.foreign_syscalls()) +
                            " system calls of another architecture (32-bit) not recorded");
  }
  std::string err = write_file_atomic(options.report, render_report(all, info, syscall_name));
  if (!err.empty()) {
    std::fprintf(stderr, "sensor: error: %s\n", err.c_str());
  }
  std::vector<pollfd> waiting;
  for (int fd : events.stop_clients()) {
    if (send_all(fd, (err.empty() ? "ok " : "error ") + std::to_string(app_status) + "\n")) {
      waiting.push_back({fd, POLLIN, 0});
    }
  }
  // When PID 1 exits, the kernel kills everything left in the container, `ctl` included: wait
  // (briefly) until each `ctl` has its answer and closed the connection by exiting.
  auto deadline = Clock::now() + std::chrono::seconds(2);
  while (!waiting.empty() && Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (::poll(waiting.data(), waiting.size(), static_cast<int>(left.count()) + 1) < 0 &&
        errno != EINTR) {
      break;
    }
    std::erase_if(waiting, [](const pollfd& p) { return p.revents != 0; });
  }
  events.close_clients();
  if (listen_fd >= 0) {
    ::close(listen_fd);
    ::unlink(k_control_socket);
  }
  return app_status;
}

} // namespace slim::sensor
