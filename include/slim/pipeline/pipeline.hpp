#pragma once
// `slim build` / `slim profile` as a list of passes over one context: inspect, export, run,
// exercise, stop, keep, write, load, seccomp, verify, report. Each pass is timed.

#include "slim/engine/client.hpp"
#include "slim/pipeline/options.hpp"

#include <nlohmann/json.hpp>

namespace slim::pipeline {

/// Runs the whole pipeline; returns the process exit code (0: a verified image was made;
/// 2: verification found differences). Throws slim::Error on failures, slim::Cancelled on
/// Ctrl-C; containers and temp files are removed in every case, the source image never changes.
int run_build(engine::Client& client, const BuildOptions& options);

/// Prints `result` (a summary.hpp document) on stdout with --output json and appends its
/// Markdown to GITHUB_STEP_SUMMARY when that is set. run_build does it for runs that got to a
/// report; the CLI for errors before one.
void publish_result(const BuildOptions& options, const nlohmann::json& result);

} // namespace slim::pipeline
