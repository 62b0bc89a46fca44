#pragma once
// DockerSlim's and mint's flags that users migrate with (README's flag table): the ones slim
// has under another name (aliases), the ones that read files, and clear refusals that name the
// slim way for the ones slim does not do. Never a flag that is accepted and ignored.
// Private to src/cli.

#include "slim/pipeline/options.hpp"

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>
#include <vector>

namespace slim::cli {

/// What the compat flags collect before the options are final.
struct CompatState {
  std::vector<std::string> exec_files;         ///< --exec-file
  std::vector<std::string> include_path_files; ///< --include-path-file
};

/// Flags of both `build` and `profile` (how the app is run and exercised).
void add_compat_run_options(CLI::App* cmd, pipeline::BuildOptions& o, CompatState& state);

/// Flags of `build` only (what to keep, the new image, artifacts).
void add_compat_build_options(CLI::App* cmd, pipeline::BuildOptions& o, CompatState& state);

/// Flags of `xray` (`top`: the length of its lists).
void add_compat_xray_options(CLI::App* cmd, std::size_t& top);

/// Reads the files the compat flags name into `o`; throws slim::Error naming an unreadable one.
void finish_compat_options(pipeline::BuildOptions& o, const CompatState& state);

} // namespace slim::cli
