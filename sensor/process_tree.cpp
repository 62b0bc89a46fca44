#include "sensor/process_tree.hpp"

#include <cstdio>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace slim::sensor {

std::optional<pid_t> parent_pid_from_stat(std::string_view stat) {
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so search from the end.
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string_view::npos) {
    return std::nullopt;
  }
  std::string rest(stat.substr(close_paren + 1));
  int ppid = 0;
  if (std::sscanf(rest.c_str(), " %*c %d", &ppid) != 1) {
    return std::nullopt;
  }
  return static_cast<pid_t>(ppid);
}

void ProcessTrees::add_session(pid_t pid) {
  m_sessions.insert(pid);
  m_cache.clear();
}

void ProcessTrees::remove_session(pid_t pid) {
  m_sessions.erase(pid);
  m_cache.clear();
}

Source ProcessTrees::classify(pid_t pid) {
  auto it = m_cache.find(pid);
  if (it != m_cache.end()) {
    return it->second;
  }
  Source source = Source::other;
  pid_t p = pid;
  for (int depth = 0; depth < 64 && p > 0; ++depth) {
    if (p == m_app_pid || p == m_self) {
      source = Source::app;
      break;
    }
    if (m_sessions.count(p) != 0) {
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
    auto ppid = parent_pid_from_stat(std::string_view(buf, static_cast<std::size_t>(n)));
    if (!ppid) {
      return Source::other;
    }
    p = *ppid;
  }
  m_cache[pid] = source;
  return source;
}

} // namespace slim::sensor
