#pragma once
// What a run of the app answered (probes, exec commands, its exit, its output), and the
// comparison of the original's answers with the slim image's: strict where slimming damage
// shows (statuses, connections, exit codes, the app exiting, new "missing file" errors),
// tolerant of drift that two runs of a working app show (times, uptimes, ids, counters).
// Pure data and logic, unit tested.

#include "slim/probe/probe.hpp"

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace slim::verify {

struct ProbeObservation {
  probe::ProbeOutcome first;
  /// The original is probed twice: what changes between its own two answers is drift.
  std::optional<probe::ProbeOutcome> second;
  /// Both answers came and had the same hash.
  bool body_stable() const;
};

struct ExecObservation {
  std::string command;
  int exit_code = -1;
  std::string out; ///< stdout and stderr as they came
};

struct Observation {
  std::vector<ProbeObservation> probes;
  std::vector<ExecObservation> execs; ///< --exec commands and the HEALTHCHECK, in order
  std::optional<int> app_exit;        ///< when the app ran to its end
  /// The app still ran when the exercise was over (servers); false for jobs that exited.
  bool running_at_end = false;
  std::string logs; ///< the app's own output (the container's stdout+stderr, last lines)
};

/// One way the slim image answered differently, in words a person can act on.
struct Difference {
  std::string what;     ///< e.g. "GET http://127.0.0.1:80/: status"
  std::string original; ///< what the original answered
  std::string result;   ///< what the slim image answered
  std::string diff;     ///< for outputs: a short excerpt around where they differ ("" else)
};

/// A difference that was tolerated as the drift of a working app, and why.
struct Drift {
  std::string what; ///< e.g. "GET http://127.0.0.1:80/: body"
  std::string how;  ///< e.g. "2 timestamps, 1 uuid masked" or "97% similar"
};

struct CompareOptions {
  bool strict = false;          ///< --verify-strict: byte-exact bodies (when stable) and output
  double min_similarity = 0.90; ///< below this (after masking) outputs differ
};

struct Comparison {
  std::vector<Difference> differences;
  std::vector<Drift> drift;
};

/// Compares the original's observation with the slim image's (same order of probes and execs).
Comparison compare_observations(const Observation& original, const Observation& result,
                                const CompareOptions& options = {});

nlohmann::json to_json(const Observation& o);
nlohmann::json to_json(const Difference& d);
nlohmann::json to_json(const Drift& d);

} // namespace slim::verify
