#pragma once
// The sensor's subcommands; each returns the process exit code. sensor_main() parses the
// command line and dispatches (the executable's main only calls it).

#include "sensor/args.hpp"

namespace slim::sensor {

/// `sensor run`: PID 1 duties, recording, the report. Returns the app's exit status.
int run_command(const RunOptions& options);
/// `sensor ctl stop`: asks PID 1 to finish; 0 when it confirmed.
int ctl_command(const CtlOptions& options);
/// `sensor exec`: runs a command under ptrace and hands the recording to PID 1.
int exec_command(const ExecOptions& options);
/// `sensor probe`: one HTTP(S) request; prints one JSON line; 0 when a response came.
int probe_command(const ProbeOptions& options);

/// `sensor source serve|index|read`: the pristine container's PID 1, its walk, its reads.
int source_command(const SourceOptions& options);

/// Parses argv and runs the subcommand; the executable's whole main.
int sensor_main(int argc, char** argv);

} // namespace slim::sensor
