#pragma once
// The sensor's command line (pure): `run`, `ctl stop`, `exec`, `probe`, `--version`.
// See sensor/README.md for the interface.

#include "sensor/capabilities.hpp"
#include "slim/util/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::sensor {

/// Default report path inside the container.
inline constexpr const char* k_default_report = "/.slim/report.json";
/// The control socket PID 1 listens on.
inline constexpr const char* k_control_socket = "/.slim/control.sock";

/// Which recorders `run` uses.
enum class Mode { both, fanotify, ptrace };
/// "both", "fanotify" or "ptrace".
const char* mode_name(Mode mode);

struct RunOptions {
  std::string report = k_default_report;
  Mode mode = Mode::both;
  std::optional<std::string> user;    ///< USER[:GROUP], names or ids
  std::optional<std::string> workdir; ///< chdir before exec
  int stop_signal = 15;               ///< what `ctl stop` sends unless it names one
  double stop_grace = 10.0;           ///< seconds between the stop signal and SIGKILL
  CapSet keep_caps = 0;               ///< --keep-cap: sensor-only capabilities the app keeps too
  std::vector<std::string> argv;      ///< the app's command, non-empty
};

struct CtlOptions {
  std::string action;          ///< "stop"
  std::optional<int> signal;   ///< overrides run's --stop-signal
  std::optional<double> grace; ///< overrides run's --stop-grace
};

struct ExecOptions {
  std::optional<std::string> user;    ///< default: the app's user (asked from PID 1)
  std::optional<std::string> workdir; ///< default: the current directory
  CapSet keep_caps = 0;               ///< --keep-cap, as for run
  std::vector<std::string> argv;      ///< non-empty
};

struct ProbeOptions {
  std::string url;
  /// `--batch IN OUT`: the requests of a batch file, one result line each into OUT (then `url`
  /// and the other options are not used).
  std::optional<std::string> batch_in, batch_out;
  std::string method = "GET";
  std::vector<std::string> headers; ///< "Name: value"
  std::optional<std::string> data;  ///< request body
  double timeout = 10.0;            ///< seconds, per attempt (connect + response)
  int retries = 30;                 ///< connection attempts beyond the first
  double retry_delay = 1.0;         ///< seconds between attempts
};

/// `source serve|index|read`: the pristine container's side of the build's data path.
struct SourceOptions {
  enum class Action { serve, index, read } action = Action::serve;
  std::vector<std::string> volumes; ///< index: --volume DIR, mounts walked (the image's VOLUMEs)
  std::vector<std::string> skip;    ///< index: --skip PATH, never listed (default /.slim)
  double timeout = 3600.0;          ///< serve: --timeout SECONDS, then PID 1 exits on its own
};

/// A parsed command line.
struct Command {
  enum class Kind { version, help, run, ctl, exec, probe, source } kind = Kind::help;
  RunOptions run;
  CtlOptions ctl;
  ExecOptions exec;
  ProbeOptions probe;
  SourceOptions source;
};

/// Parses argv (without argv[0]); the error names the bad argument.
Result<Command> parse_command_line(const std::vector<std::string>& args);

/// A signal from "SIGTERM", "TERM" or "15"; nullopt when unknown.
std::optional<int> parse_signal(std::string_view text);

/// The usage text printed by `sensor --help`.
std::string usage_text();

} // namespace slim::sensor
