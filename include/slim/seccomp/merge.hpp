#pragma once
// Merging several profiling runs of one image into one profile (`slim seccomp merge`): the
// union of the calls and of their argument values. Inputs are recognised by their content:
// Docker seccomp JSON or an OCI `linux.seccomp` object, an OCI config.json, a
// security-profiles-operator SeccompProfile as JSON, slim's build report (slim.report.json) or
// the sensor's own report.

#include "slim/seccomp/generate.hpp"
#include "slim/seccomp/profile.hpp"
#include "slim/util/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::seccomp {

/// What kind of document an input was.
enum class InputKind {
  profile,      ///< Docker JSON or an OCI linux.seccomp object
  oci_config,   ///< an OCI runtime config.json (its linux.seccomp)
  spo_manifest, ///< a SeccompProfile manifest as JSON (its spec)
  report,       ///< slim.report.json or the sensor's report: calls seen, turned into a profile
};

/// The kind's name, for messages ("profile", "OCI config", "SeccompProfile", "report").
std::string_view to_string(InputKind kind);

/// One input, read.
struct MergeInput {
  std::string label; ///< the file name, for messages
  InputKind kind = InputKind::profile;
  SeccompProfile profile; ///< profile, oci_config, spo_manifest
  // report: generated once the architectures are known (a report may not name them)
  SeenCalls seen;
  std::vector<std::string> architectures; ///< the report's, or empty
  GenerateOptions generate;               ///< the build's baseline and action, as reported
};

/// Options of the merge.
struct MergeOptions {
  std::optional<DefaultAction> action; ///< replaces the inputs' default action (--action)
  std::string arch; ///< ("x86_64", ...) for reports that name no architectures (--arch)
};

/// The merged profile.
struct MergedProfile {
  SeccompProfile profile;
  std::vector<std::string> notes; ///< what the merge decided (architectures unioned, ...)
  std::size_t bpf_bytes = 0;      ///< it compiled: the size of its filters
};

/// Reads one input, detecting its kind by content (untrusted: size cap, typed fields); fails
/// naming `label` and the field that is wrong.
Result<MergeInput> read_merge_input(std::string_view text, const std::string& label);

/// The union of `inputs`: a call allowed without conditions by one input is allowed without
/// conditions (a rule with args merged with a name-only rule gives the name-only rule); else
/// every argument condition set any input allows; rules with other actions stay only for calls
/// no input allows. Architectures are unioned (a note says so when they differ); the default
/// action must be the same in all inputs unless options.action chooses one. Reports become the
/// profile slim generates from them first. The result is compiled; fails when it does not
/// compile, an input is a deny list (defaultAction SCMP_ACT_ALLOW), or there are no inputs.
Result<MergedProfile> merge_seccomp_inputs(const std::vector<MergeInput>& inputs,
                                           const MergeOptions& options = {});

} // namespace slim::seccomp
