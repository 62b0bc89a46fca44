#pragma once
// What a run of the app answered (probes, exec commands, its exit), and the comparison of the
// original's answers with the slim image's. Pure data and logic, unit tested.

#include "slim/probe/probe.hpp"

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace slim::verify {

struct ProbeObservation {
  probe::ProbeOutcome first;
  std::optional<probe::ProbeOutcome> second; ///< the original is probed twice to tell stable bodies
  /// The body is comparable: both answers came and had the same hash.
  bool body_stable() const;
};

struct ExecObservation {
  std::string command;
  int exit_code = -1;
  std::string out;
};

struct Observation {
  std::vector<ProbeObservation> probes;
  std::vector<ExecObservation> execs; ///< --exec commands and the HEALTHCHECK, in order
  std::optional<int> app_exit;        ///< when the app ran to its end
};

/// One way the slim image answered differently, in words a person can act on.
struct Difference {
  std::string what;     ///< e.g. "GET http://127.0.0.1:80/: status"
  std::string original; ///< what the original answered
  std::string result;   ///< what the slim image answered
};

/// Every difference between the original's observation and the slim image's (same order of
/// probes and execs in both). Statuses and exec exit codes must match; bodies and exec output
/// only where the original answered the same twice / is deterministic.
std::vector<Difference> compare_observations(const Observation& original,
                                             const Observation& result);

nlohmann::json to_json(const Observation& o);
nlohmann::json to_json(const Difference& d);

} // namespace slim::verify
