#include "sensor/process_tree.hpp"

#include <cstdio>
#include <dirent.h>
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

std::optional<ProcessEntry> process_entry_from_stat(std::string_view stat) {
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string_view::npos) {
    return std::nullopt;
  }
  ProcessEntry e;
  std::string head(stat.substr(0, close_paren));
  std::string rest(stat.substr(close_paren + 1));
  int pid = 0;
  int ppid = 0;
  if (std::sscanf(head.c_str(), "%d", &pid) != 1 ||
      std::sscanf(rest.c_str(), " %c %d", &e.state, &ppid) != 2) {
    return std::nullopt;
  }
  e.pid = static_cast<pid_t>(pid);
  e.ppid = static_cast<pid_t>(ppid);
  return e;
}

std::vector<pid_t> app_processes(const std::vector<ProcessEntry>& processes, pid_t self, pid_t app,
                                 const std::unordered_set<pid_t>& sessions) {
  std::unordered_map<pid_t, pid_t> parent;
  for (const auto& p : processes) {
    parent[p.pid] = p.ppid;
  }
  std::vector<pid_t> out;
  for (const auto& p : processes) {
    if (p.pid == self || p.state == 'Z' || sessions.count(p.pid) != 0) {
      continue;
    }
    pid_t at = p.pid;
    for (std::size_t depth = 0; depth <= processes.size() && at > 0; ++depth) {
      if (at == app || at == self || (at != p.pid && sessions.count(at) != 0)) {
        out.push_back(p.pid);
        break;
      }
      auto it = parent.find(at);
      if (it == parent.end()) {
        break; // a parent outside this namespace (ppid 0) or gone: not the app's
      }
      at = it->second;
    }
  }
  return out;
}

std::vector<ProcessEntry> list_processes() {
  std::vector<ProcessEntry> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) {
    return out;
  }
  while (dirent* d = ::readdir(dir)) {
    if (d->d_name[0] < '1' || d->d_name[0] > '9') {
      continue;
    }
    std::string path = std::string("/proc/") + d->d_name + "/stat";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n > 0) {
      if (auto e = process_entry_from_stat(std::string_view(buf, static_cast<std::size_t>(n)))) {
        out.push_back(*e);
      }
    }
  }
  ::closedir(dir);
  return out;
}

void ProcessTrees::add_session(pid_t pid) {
  m_sessions.insert(pid);
  m_cache.clear();
}

void ProcessTrees::remove_session(pid_t pid) {
  m_sessions.erase(pid);
  m_cache.clear();
}

Source ProcessTrees::classify(pid_t pid, bool fresh) {
  auto it = fresh ? m_cache.end() : m_cache.find(pid);
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
  if (!fresh) {
    m_cache[pid] = source;
  }
  return source;
}

} // namespace slim::sensor
