#pragma once
// The one context the passes of `slim build` share, and the timed pass. Private to src/pipeline.

#include "slim/engine/client.hpp"
#include "slim/image/config.hpp"
#include "slim/keep/keep_set.hpp"
#include "slim/keep/sensor_report.hpp"
#include "slim/pipeline/container_run.hpp"
#include "slim/pipeline/exercise.hpp"
#include "slim/pipeline/options.hpp"
#include "slim/seccomp/generate.hpp"
#include "slim/util/cancel.hpp"
#include "slim/util/log.hpp"
#include "slim/util/temp_dir.hpp"
#include "slim/verify/observation.hpp"
#include "source_files.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace slim::pipeline {

using Clock = std::chrono::steady_clock;

/// Lines of the app's output kept from each run: the verification looks for new errors in them.
inline constexpr int k_compared_log_lines = 2000;

/// Everything one build knows, filled in pass by pass.
struct Context {
  engine::Client& client;
  const BuildOptions& opt;
  std::vector<std::pair<std::string, double>> timings; ///< pass -> seconds
  std::vector<std::string> warnings;

  // inspect
  nlohmann::json inspect;
  std::string source_id;
  std::int64_t source_size = 0;
  std::vector<std::string> tags;
  std::vector<std::optional<std::string>> tags_before; ///< each tag's image ID before the build
  std::string seccomp_path;

  // source
  std::optional<TempDir> tmp;
  image::ImageConfig config;         ///< the image's config as the engine's inspect shows it
  std::unique_ptr<FileSource> files; ///< the pristine container or the export (not for profile)
  std::unique_ptr<FileSource> check_files; ///< --source compare: the export, checked against it

  // run + exercise + stop
  std::string sensor_path;
  std::string sensor_bytes;
  std::string probe_shell_bytes; ///< slim's static busybox, when plan.probe_shell
  std::string sidecar;
  ExercisePlan plan;
  std::vector<std::string> argv;
  verify::Observation original;
  keep::SensorReport report;
  std::string app_logs;

  // keep
  keep::KeepSet keep;

  // write + load
  std::string result_id;
  std::int64_t result_size = 0;
  std::uint64_t layer_bytes = 0;

  // seccomp
  std::string seccomp_json; ///< what the verify run is confined by (Docker's JSON)
  std::vector<std::string> seccomp_added;
  std::optional<seccomp::GeneratedProfile> seccomp_generated; ///< for the report

  // verify
  std::optional<verify::Observation> verified;
  std::vector<verify::Difference> differences;
  std::vector<verify::Drift> drift; ///< differences tolerated as a working app's drift

  // report
  nlohmann::json report_json; ///< what slim.report.json holds
};

/// Runs one pass: checks for Ctrl-C, hits the test pause point, times it and logs it.
template <typename Fn> void pass(Context& ctx, const char* name, Fn&& fn) {
  cancel::throw_if_requested();
  test_pause_point(name);
  auto start = Clock::now();
  SLIM_DEBUG("pass {}: start", name);
  fn();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  ctx.timings.emplace_back(name, secs);
  SLIM_INFO("{:<8} done in {:.2f} s", name, secs);
}

} // namespace slim::pipeline
