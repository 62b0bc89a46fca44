#pragma once
// The sensor's report (/.slim/report.json), parsed as untrusted input: a size cap, a version
// check, type checks that name the offending field, caps on counts and path lengths.
//
// Format (version 1):
//   {"version":1, "arch":"x86_64", "sensor":{"version":"0.1.0","mode":"both"},
//    "target":{"argv":[...], "user":"uid:gid", "exit_status":0|null},
//    "files":[{"path":"/usr/bin/python3","ops":["exec","open","read"],"from_exec":false}, ...],
//    "syscalls":["brk","read",...], "denied_syscalls":["mount",...],
//    "probe_syscalls":["wait4",...], "syscall_args":[{"name":"socket","index":0,"values":[2]}],
//    "warnings":["..."]}
// `denied_syscalls` (calls the app attempted that the sensor's seccomp policy refused),
// `probe_syscalls` (calls only the probe shell under /.slim made: not the app's) and
// `syscall_args` (the argument values of the calls the profile filters; absent when the
// sensor did not trace) are optional (older sensors). Unknown fields are ignored; unknown op names
// are ignored with a warning (newer sensors).

#include "slim/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::keep {

/// One operation bit of a reported file (same bits as the sensor's).
enum FileOp : std::uint16_t {
  file_op_open = 1 << 0,
  file_op_exec = 1 << 1,
  file_op_read = 1 << 2,
  file_op_write = 1 << 3,
  file_op_stat = 1 << 4,
  file_op_readlink = 1 << 5,
  file_op_readdir = 1 << 6,
  file_op_access = 1 << 7,
  file_op_chdir = 1 << 8,
  file_op_notfound = 1 << 9,
};

/// The bit of an op name ("exec" -> file_op_exec), or 0 when unknown.
std::uint16_t file_op_from_name(std::string_view name);
/// The names of the bits set in `ops`, alphabetical.
std::vector<std::string> file_op_names(std::uint16_t ops);

/// One path the app touched.
struct ReportFile {
  std::string path;       ///< absolute, as the sensor wrote it (not yet normalised)
  std::uint16_t ops = 0;  ///< FileOp bits
  bool from_exec = false; ///< only `sensor exec` commands touched it
};

/// The whole report.
struct SensorReport {
  int version = 0;
  std::string arch; ///< "x86_64", "aarch64", ...
  std::string sensor_version;
  std::string sensor_mode; ///< "both", "fanotify", "ptrace"
  std::vector<std::string> argv;
  std::string user; ///< "uid:gid"
  std::optional<int> exit_status;
  std::vector<ReportFile> files;
  std::vector<std::string> syscalls;
  std::vector<std::string> denied_syscalls; ///< refused while profiling: not in `syscalls`
  std::vector<std::string> probe_syscalls;  ///< only the probe shell made them: not in `syscalls`
  /// `syscall_args` as sent (an array; its entries are checked by seccomp::parse_syscall_args).
  std::optional<nlohmann::json> syscall_args;
  std::vector<std::string> warnings; ///< the sensor's, then the parser's own
};

/// Limits that keep a hostile report from costing much.
struct ReportLimits {
  std::size_t max_bytes = std::size_t{64} << 20; ///< the document
  std::size_t max_files = 1'000'000;
  std::size_t max_path = 4096; ///< bytes per path
  std::size_t max_syscalls = 4096;
  std::size_t max_strings = 10'000;   ///< argv and warnings entries each
  std::size_t max_string = 64 * 1024; ///< bytes per argv/warning string
};

/// The report format version this parser reads.
inline constexpr int k_sensor_report_version = 1;

/// Parses a report. Fails with "sensor report: <field>: <problem>" on oversized input,
/// invalid JSON, an unknown version, a missing required field or a field of the wrong type.
Result<SensorReport> parse_sensor_report(std::string_view json, const ReportLimits& limits = {});

} // namespace slim::keep
