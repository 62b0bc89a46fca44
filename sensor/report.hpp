#pragma once
// The sensor's report: rendering a Recording plus run facts as the versioned JSON document
// (format in sensor/README.md), and writing it atomically.

#include "sensor/recording.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace slim::sensor {

/// Report format version.
inline constexpr int k_report_version = 1;

/// Facts about the run that go into the report beside the recording.
struct ReportInfo {
  std::string arch;                      ///< e.g. "x86_64"
  std::string sensor_version;            ///< e.g. "0.1.0"
  std::string mode;                      ///< "both", "fanotify" or "ptrace": what really recorded
  std::string confinement;               ///< how the app's calls were confined (confinement_name)
  std::vector<std::string> dropped_caps; ///< the capabilities taken from the app
  std::vector<std::string> argv;         ///< the app's argv as given
  std::string user;                      ///< "uid:gid" the app ran as
  std::optional<int> exit_status;        ///< 128+N for a signal; nullopt when unknown
  std::vector<std::string> warnings;     ///< human-readable, one line each
  /// The tracer ran: every call of arg_index() the app made has its values in the recording,
  /// so the report carries `syscall_args` (absent: the profile cannot filter arguments).
  bool args_recorded = false;
};

/// Maps a syscall number to its name (empty when unknown).
using SyscallNamer = std::function<std::string(long nr)>;

/// The report JSON (one document, ends with a newline). Files are sorted by path; paths that
/// are not valid UTF-8 are left out with a warning; syscall names sorted and deduplicated
/// (unknown numbers become "syscall_N").
std::string render_report(const Recording& recording, const ReportInfo& info,
                          const SyscallNamer& namer);

/// Writes `content` to `path` atomically (temp file in the same directory, fsync, rename);
/// returns an error message, empty on success. With `dir_fd` (a descriptor of path's directory,
/// possibly opened before the directory was covered by a read-only bind mount) the file is
/// made in that directory, whatever `path`'s directory names by now.
std::string write_file_atomic(const std::string& path, const std::string& content, int dir_fd = -1);

} // namespace slim::sensor
