#pragma once
// The passes of `slim build` (one file each or per group), in the order run_build calls them.
// Private to src/pipeline.

#include "context.hpp"

#include <filesystem>
#include <string>

namespace slim::pipeline {

class TagRollback;

/// inspect: the image's config, ID and size, the result tags (and what they named before), the
/// profile path and the app's argv.
void inspect_pass(Context& ctx);
/// A source of the image's files ("pristine" or "export"), opened on a connection of its own:
/// it runs on another thread while the app is profiled.
std::unique_ptr<FileSource> open_source(const engine::Client& client, const std::string& kind,
                                        SourceRequest request);
/// Reads the sensor, plans the exercise, loads the probe sidecar when there are probes.
void prepare_run(Context& ctx);
/// run + exercise + stop: the profiling container from start to report.
void run_and_exercise(Context& ctx);
/// keep: the keep set from the index, the report and the flags (in rounds: each fetches the file
/// heads the last one lacked, until one lacks none).
void keep_pass(Context& ctx);
/// write (+ output) + load: the one-layer image, tagged; arms `rollback` before the load.
void write_and_load(Context& ctx, TagRollback& rollback);
/// seccomp: the profile from the report's calls, written to ctx.seccomp_path.
void seccomp_pass(Context& ctx);
/// Before any work: throws when the verification could not confine the slim image on this
/// engine (a remote Podman reads seccomp profiles only from files on its own host).
void check_verify_engine(const Context& ctx);
/// verify: the slim image run under the profile with the same plan, compared.
void verify_pass(Context& ctx);
/// report: slim.report.json.
void report_pass(Context& ctx);

} // namespace slim::pipeline
