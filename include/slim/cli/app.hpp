#pragma once
// The `slim` command line: the option table (CLI11) and dispatch to the commands.

namespace slim::cli {

/// Parses argv, runs the chosen command, prints `slim: error: ...` for failures; returns the
/// process exit code.
int run(int argc, char** argv);

} // namespace slim::cli
