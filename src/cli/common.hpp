#pragma once
// What every command shares: the global options and how to reach the engine.
// Private to src/cli (commands register themselves in app.cpp).

#include "slim/engine/client.hpp"

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace slim::cli {

struct GlobalOptions {
  std::optional<std::string> host;    ///< --host, else DOCKER_HOST
  std::optional<std::string> context; ///< --context, else DOCKER_CONTEXT, else the CLI's current
  std::string log_level = "info";     ///< --log-level
  std::string tmp_dir;                ///< --tmp-dir, else SLIM_TMPDIR/TMPDIR
};

/// A connected engine client for the global options (negotiates the API version).
engine::Client connect_engine(const GlobalOptions& global);

// Each command adds its subcommand, options and callback to `app`. The callback throws
// slim::Error on failure; the exit code of a successful run is stored in `exit_code`.
void register_version(CLI::App& app, const GlobalOptions& global, int& exit_code);
void register_squash(CLI::App& app, const GlobalOptions& global, int& exit_code);
void register_xray(CLI::App& app, const GlobalOptions& global, int& exit_code);
void register_build(CLI::App& app, const GlobalOptions& global, int& exit_code);
void register_profile(CLI::App& app, const GlobalOptions& global, int& exit_code);
void register_seccomp(CLI::App& app, const GlobalOptions& global, int& exit_code);

} // namespace slim::cli
