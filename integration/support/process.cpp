#include "support/process.hpp"

#include "slim/util/error.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace slim::it {

Process::Process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    throw Error(errno_message("cannot create a pipe for", argv.at(0), errno));
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw Error(errno_message("cannot create a pipe for", argv.at(0), errno));
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    env_strings.emplace_back(*e);
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  int rc = posix_spawnp(&m_pid, cargv[0], &actions, nullptr, cargv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  m_out_fd = out[0];
  m_err_fd = err[0];
  if (rc != 0) {
    ::close(m_out_fd);
    ::close(m_err_fd);
    throw Error(errno_message("cannot start", argv.at(0), rc));
  }
}

Process::~Process() {
  if (!m_exit && m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  for (int fd : {m_out_fd, m_err_fd}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

void Process::signal(int sig) const {
  if (!m_exit && m_pid > 0) {
    ::kill(m_pid, sig);
  }
}

bool Process::pump(std::chrono::milliseconds timeout) {
  if (m_out_fd < 0 && m_err_fd < 0) {
    return false;
  }
  std::array<pollfd, 2> pfds = {pollfd{m_out_fd, POLLIN, 0}, pollfd{m_err_fd, POLLIN, 0}};
  int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(timeout.count()));
  if (n <= 0) {
    return true;
  }
  std::array<char, 65536> buf{};
  for (std::size_t i = 0; i < pfds.size(); ++i) {
    if (pfds[i].fd < 0 || (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
      continue;
    }
    int& fd = i == 0 ? m_out_fd : m_err_fd;
    ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got > 0) {
      (i == 0 ? m_out : m_err).append(buf.data(), static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      ::close(fd);
      fd = -1;
    }
  }
  return true;
}

bool Process::wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (m_err.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !pump(std::min(left, std::chrono::milliseconds(200)))) {
      return m_err.find(needle) != std::string::npos;
    }
  }
  return true;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!m_exit) {
    pump(std::chrono::milliseconds(100));
    int status = 0;
    pid_t r = ::waitpid(m_pid, &status, WNOHANG);
    if (r == m_pid) {
      m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return std::nullopt;
    }
  }
  // The rest of its output (bounded: a grandchild could hold the pipes open).
  auto drain_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (pump(std::chrono::milliseconds(100)) && std::chrono::steady_clock::now() < drain_until) {
  }
  return m_exit;
}

} // namespace slim::it
