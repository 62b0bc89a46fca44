#pragma once
// The build report model (slim.report.json): what went in, what came out, every kept path
// with its reason, the probes on both images, the syscalls and profile, the pass timings and
// the warnings. Pure data plus to_json; the pipeline fills it and writes the file.

#include "slim/image/file_index.hpp"
#include "slim/keep/keep_set.hpp"
#include "slim/seccomp/generate.hpp"
#include "slim/verify/observation.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace slim::pipeline {

/// The report format version (bump when a field changes meaning).
inline constexpr int k_build_report_version = 1;

struct BuildReport {
  std::string source_image; ///< as the user named it
  std::string source_id;    ///< "sha256:..."
  std::int64_t source_size = 0;
  std::vector<std::string> result_tags;
  std::string result_id; ///< empty for `slim profile` or --output-tar only
  std::int64_t result_size = 0;

  const keep::KeepSet* keep = nullptr;     ///< the kept paths and their reasons
  const image::FileIndex* index = nullptr; ///< the source index: kept counts, bytes, types

  std::vector<std::string> syscalls;        ///< as the sensor saw them
  std::vector<std::string> denied_syscalls; ///< refused while profiling (not in the profile)
  /// Calls only the probe shell slim brought made (not the app's: not in the profile).
  std::vector<std::string> probe_shell_syscalls;
  std::string seccomp_profile;                       ///< path of the written profile ("" = none)
  std::vector<std::string> seccomp_added_by_runtime; ///< names the runtime list added

  /// The written profile (nullptr: none): its settings, what came from the baseline, the
  /// argument filters, its size; and the top-level `syscall_args` it was made from.
  const seccomp::GeneratedProfile* seccomp = nullptr;
  std::string seccomp_format = "docker"; ///< docker | oci | kubernetes

  const verify::Observation* original = nullptr; ///< probes/execs answered by the original
  const verify::Observation* verified = nullptr; ///< the same on the slim image (verify pass)
  std::vector<verify::Difference> differences;   ///< where they differ
  std::vector<verify::Drift> drift;              ///< differences tolerated as drift

  std::vector<std::pair<std::string, double>> timings; ///< pass name -> seconds, in order
  std::vector<std::string> warnings;

  /// source_size / result_size, when both are known.
  std::optional<double> ratio() const;
};

/// The report as JSON: {"version", "slim_version", "source", "result", "ratio", "kept",
/// "paths" [{"path","reason","detail","why"[,"type","size"]}], "excluded", "syscalls",
/// ["syscall_args"], "denied_while_profiling", "probe_shell_syscalls", "seccomp", "probes",
/// "differences", "drift", "timings", "warnings"}. "seccomp" is {"profile", "added_by_runtime"}
/// plus, with a profile, "format", "default_action", "baseline", "architectures", "from_baseline",
/// "enosys", "arg_filters" [{"name","index","op"[,"mask"],"values"}], "rules", "names",
/// "bpf_bytes". Deterministic for equal input.
nlohmann::json to_json(const BuildReport& report);

} // namespace slim::pipeline
