#pragma once
// Which process tree a PID belongs to: the app's, a `sensor exec` session's, or neither, found
// by walking the parent chain in /proc. fanotify events carry only a PID, so this is how PID 1
// tells the app's accesses from an exec command's and from plain `docker exec` processes.

#include "sensor/recording.hpp"

#include <optional>
#include <string_view>
#include <sys/types.h>
#include <unordered_map>
#include <unordered_set>

namespace slim::sensor {

/// The parent PID in the text of /proc/PID/stat (after the last `)`, the state, then the
/// ppid), or nullopt when the text is malformed (pure).
std::optional<pid_t> parent_pid_from_stat(std::string_view stat);

class ProcessTrees {
public:
  /// `app_pid`: the app's process (and `self`, the sensor, counts as the app's root too).
  ProcessTrees(pid_t app_pid, pid_t self) : m_app_pid(app_pid), m_self(self) {}
  /// A `sensor exec` session (the connected `exec` process) begins or ends.
  void add_session(pid_t pid);
  void remove_session(pid_t pid);
  /// The tree `pid` belongs to (cached; a process that is gone is `other`, uncached).
  Source classify(pid_t pid);

private:
  pid_t m_app_pid;
  pid_t m_self;
  std::unordered_set<pid_t> m_sessions;
  std::unordered_map<pid_t, Source> m_cache;
};

} // namespace slim::sensor
