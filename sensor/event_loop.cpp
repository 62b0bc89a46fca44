#include "sensor/event_loop.hpp"

#include "sensor/confine.hpp"
#include "sensor/control.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace slim::sensor {

EventLoop::EventLoop(const RunOptions& options, FanotifyWatch& fanotify, int listen_fd,
                     pid_t app_pid, std::string user_reply, CapSet peer_caps)
    : m_options(options), m_fanotify(fanotify), m_listen_fd(listen_fd), m_app_pid(app_pid),
      m_user_reply(std::move(user_reply)), m_peer_caps(peer_caps), m_trees(app_pid, ::getpid()) {
  m_wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  sigset_t set;
  sigemptyset(&set);
  for (int sig : k_forwarded_signals) {
    sigaddset(&set, sig);
  }
  m_signal_fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

EventLoop::~EventLoop() {
  for (int fd : {m_wake_fd, m_signal_fd}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

void EventLoop::start() {
  m_thread = std::thread([this] { loop(); });
}

void EventLoop::finish() {
  std::uint64_t one = 1;
  (void)!::write(m_wake_fd, &one, sizeof one);
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

std::vector<int> EventLoop::stop_clients() const {
  std::vector<int> fds;
  for (const auto& [fd, client] : m_clients) {
    if (client.state == ControlClient::State::stop_wait) {
      fds.push_back(fd);
    }
  }
  return fds;
}

void EventLoop::close_clients() {
  for (const auto& [fd, client] : m_clients) {
    ::close(fd);
  }
  m_clients.clear();
}

void EventLoop::loop() {
  pid_t self = ::getpid();
  Classifier classify = [this](pid_t pid) { return m_trees.classify(pid); };
  while (true) {
    std::vector<pollfd> fds;
    fds.push_back({m_wake_fd, POLLIN, 0});
    fds.push_back({m_signal_fd, POLLIN, 0});
    fds.push_back({m_fanotify.fd(), POLLIN, 0});
    fds.push_back({m_listen_fd, POLLIN, 0});
    for (const auto& [fd, client] : m_clients) {
      if (client.state != ControlClient::State::stop_wait) {
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

void EventLoop::forward_signals() {
  signalfd_siginfo info{};
  while (::read(m_signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    // From outside the container (docker stop: sender 0) or a plain `docker exec`: forwarded.
    // The app signalling PID 1 gets nothing (it could signal itself anyway).
    auto sender = static_cast<pid_t>(info.ssi_pid);
    if (sender != 0 && m_trees.classify(sender, true) != Source::other) {
      ++m_dropped_signals;
      continue;
    }
    ::kill(m_app_pid, static_cast<int>(info.ssi_signo));
  }
}

void EventLoop::accept_clients() {
  while (true) {
    int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      return;
    }
    if (!trusted_peer(fd)) {
      ++m_refused_clients;
      send_all(fd, "error refused: not a process of the controller\n");
      ::close(fd);
      continue;
    }
    m_clients[fd].pid = peer_pid(fd);
  }
}

bool EventLoop::trusted_peer(int fd) {
  // The controller's clients come from `docker exec` (outside the app's and the sessions'
  // trees) and hold the capabilities the app lost; a PID that is gone or reused fails both.
  pid_t pid = peer_pid(fd);
  if (pid <= 0 || m_trees.classify(pid, true) != Source::other) {
    return false;
  }
  int pidfd = peer_pidfd(fd);
  bool holds = process_holds(pid, pidfd, m_peer_caps);
  if (pidfd >= 0) {
    ::close(pidfd);
  }
  return holds;
}

void EventLoop::drop(int fd) {
  auto it = m_clients.find(fd);
  if (it != m_clients.end() && it->second.state != ControlClient::State::command) {
    m_trees.remove_session(it->second.pid);
  }
  m_clients.erase(fd);
  ::close(fd);
}

void EventLoop::serve(int fd) {
  ControlClient& client = m_clients[fd];
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
    if (client.state == ControlClient::State::exec_data) {
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
      client.state = ControlClient::State::exec_session;
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
    if (client.state == ControlClient::State::stop_wait) {
      return;
    }
  }
}

bool EventLoop::handle_line(int fd, ControlClient& client, const std::string& line) {
  if (line.starts_with("stop")) {
    int sig = m_options.stop_signal;
    double grace = m_options.stop_grace;
    int given_sig = 0;
    double given_grace = -1;
    if (std::sscanf(line.c_str(), "stop %d %lf", &given_sig, &given_grace) >= 1 && given_sig > 0) {
      sig = given_sig;
    }
    if (given_grace >= 0) {
      grace = given_grace;
    }
    client.state = ControlClient::State::stop_wait;
    if (!m_stop_requested) {
      m_stop_requested = true;
      ::kill(m_app_pid, sig);
      m_kill_deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(grace * 1000));
    }
    return true;
  }
  if (line == "exec-begin" && client.state == ControlClient::State::command) {
    client.state = ControlClient::State::exec_session;
    m_trees.add_session(client.pid);
    return send_all(fd, m_user_reply);
  }
  if (line.starts_with("data ") && client.state == ControlClient::State::exec_session) {
    client.data_size = std::strtoul(line.c_str() + 5, nullptr, 10);
    if (client.data_size > (256U << 20)) {
      return false;
    }
    client.state = ControlClient::State::exec_data;
    return true;
  }
  send_all(fd, "error unknown request\n");
  return false;
}

} // namespace slim::sensor
