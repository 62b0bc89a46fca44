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
#include <vector>

namespace slim::sensor {

/// The parent PID in the text of /proc/PID/stat (after the last `)`, the state, then the
/// ppid), or nullopt when the text is malformed (pure).
std::optional<pid_t> parent_pid_from_stat(std::string_view stat);

/// One process as /proc/PID/stat shows it.
struct ProcessEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?'; ///< R, S, D, Z, T, ...
};

/// The entry in the text of /proc/PID/stat, or nullopt when malformed (pure).
std::optional<ProcessEntry> process_entry_from_stat(std::string_view stat);

/// Which of `processes` belong to the app's tree (below `app` or `self`, the sensor, which
/// inherits the app's orphans) or below a `sensor exec` session (the sessions themselves are
/// the controller's and stay), so they can be ended before the report is written; zombies and
/// `self` are left out (pure).
std::vector<pid_t> app_processes(const std::vector<ProcessEntry>& processes, pid_t self, pid_t app,
                                 const std::unordered_set<pid_t>& sessions);

/// Every process of this PID namespace, from /proc.
std::vector<ProcessEntry> list_processes();

class ProcessTrees {
public:
  /// `app_pid`: the app's process (and `self`, the sensor, counts as the app's root too).
  ProcessTrees(pid_t app_pid, pid_t self) : m_app_pid(app_pid), m_self(self) {}
  /// A `sensor exec` session (the connected `exec` process) begins or ends.
  void add_session(pid_t pid);
  void remove_session(pid_t pid);
  /// The tree `pid` belongs to (cached unless `fresh`: a decision of trust must not rest on
  /// what a reused PID once was; a process that is gone is `other`, uncached).
  Source classify(pid_t pid, bool fresh = false);
  /// The current sessions.
  const std::unordered_set<pid_t>& sessions() const noexcept { return m_sessions; }

private:
  pid_t m_app_pid;
  pid_t m_self;
  std::unordered_set<pid_t> m_sessions;
  std::unordered_map<pid_t, Source> m_cache;
};

} // namespace slim::sensor
