#include "sensor/report.hpp"

#include "sensor/json.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <unistd.h>

namespace slim::sensor {

std::string render_report(const Recording& recording, const ReportInfo& info,
                          const SyscallNamer& namer) {
  std::vector<const std::pair<const std::string, PathRecord>*> files;
  files.reserve(recording.files().size());
  std::size_t bad_paths = 0;
  for (const auto& entry : recording.files()) {
    if (!is_utf8(entry.first)) {
      ++bad_paths;
      continue;
    }
    files.push_back(&entry);
  }
  std::sort(files.begin(), files.end(), [](auto* a, auto* b) { return a->first < b->first; });

  std::set<std::string> names;
  for (long nr : recording.syscalls()) {
    std::string name = namer ? namer(nr) : std::string();
    names.insert(name.empty() ? "syscall_" + std::to_string(nr) : name);
  }
  std::set<std::string> denied;
  for (long nr : recording.denied()) {
    std::string name = namer ? namer(nr) : std::string();
    denied.insert(name.empty() ? "syscall_" + std::to_string(nr) : name);
  }
  std::vector<std::string> warnings = info.warnings;
  if (bad_paths > 0) {
    warnings.push_back(std::to_string(bad_paths) + " paths left out: not valid UTF-8");
  }

  std::string out = "{\"version\":" + std::to_string(k_report_version);
  out += ",\"arch\":" + json_string(info.arch);
  out += ",\"sensor\":{\"version\":" + json_string(info.sensor_version) +
         ",\"mode\":" + json_string(info.mode) +
         ",\"confinement\":" + json_string(info.confinement) +
         ",\"dropped_caps\":" + json_string_array(info.dropped_caps) + "}";
  out += ",\"target\":{\"argv\":" + json_string_array(info.argv);
  out += ",\"user\":" + json_string(info.user);
  out += ",\"exit_status\":" +
         (info.exit_status ? std::to_string(*info.exit_status) : std::string("null")) + "}";
  out += ",\n\"files\":[";
  bool first = true;
  for (const auto* entry : files) {
    out += first ? "\n" : ",\n";
    first = false;
    out += "{\"path\":" + json_string(entry->first) +
           ",\"ops\":" + json_string_array(op_names(entry->second.ops)) +
           ",\"from_exec\":" + (entry->second.from_exec() ? "true" : "false") + "}";
  }
  out += "],\n\"syscalls\":" + json_string_array({names.begin(), names.end()});
  out += ",\n\"denied_syscalls\":" + json_string_array({denied.begin(), denied.end()});
  // Calls only the probe tools under /.slim made (the probe shell): not the app's.
  std::set<std::string> probe_only;
  for (long nr : recording.probe_syscalls()) {
    std::string name = namer ? namer(nr) : std::string();
    name = name.empty() ? "syscall_" + std::to_string(nr) : name;
    if (names.count(name) == 0) {
      probe_only.insert(name);
    }
  }
  out += ",\n\"probe_syscalls\":" + json_string_array({probe_only.begin(), probe_only.end()});
  if (info.args_recorded) {
    out += ",\n\"syscall_args\":[";
    bool first_arg = true;
    for (const auto& [nr, values] : recording.arg_values()) {
      std::string name = namer ? namer(nr) : std::string();
      if (name.empty() || arg_index(nr) < 0) {
        continue;
      }
      out += first_arg ? "" : ",";
      first_arg = false;
      out += "{\"name\":" + json_string(name) + ",\"index\":" + std::to_string(arg_index(nr)) +
             ",\"values\":[";
      bool first_value = true;
      for (auto v : values) {
        out += (first_value ? "" : ",") + std::to_string(v);
        first_value = false;
      }
      out += "]}";
    }
    out += "]";
  }
  out += ",\n\"warnings\":" + json_string_array(warnings) + "}\n";
  return out;
}

std::string write_file_atomic(const std::string& path, const std::string& content, int dir_fd) {
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  // Relative to dir_fd: the last components; else the paths as given.
  auto local = [dir_fd](const std::string& p) {
    return dir_fd >= 0 ? p.substr(p.rfind('/') + 1) : p;
  };
  int at = dir_fd >= 0 ? dir_fd : AT_FDCWD;
  int fd = ::openat(at, local(temp).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                    0644);
  if (fd < 0) {
    return "cannot create `" + temp + "`: " + std::strerror(errno);
  }
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      std::string err = "cannot write `" + temp + "`: " + std::strerror(errno);
      ::close(fd);
      ::unlinkat(at, local(temp).c_str(), 0);
      return err;
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::renameat(at, local(temp).c_str(), at, local(path).c_str()) != 0) {
    std::string err = "cannot rename `" + temp + "` to `" + path + "`: " + std::strerror(errno);
    ::unlinkat(at, local(temp).c_str(), 0);
    return err;
  }
  return {};
}

} // namespace slim::sensor
