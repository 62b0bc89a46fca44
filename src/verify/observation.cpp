#include "slim/verify/observation.hpp"

#include "slim/verify/utf8_text.hpp"

#include <nlohmann/json.hpp>

namespace slim::verify {

namespace {
// Bytes of an exec's output kept in the report.
constexpr std::size_t k_report_output_bytes = 200;
} // namespace

bool ProbeObservation::body_stable() const {
  return first.ok() && second && second->ok() && first.sha256 == second->sha256;
}

nlohmann::json to_json(const Observation& o) {
  nlohmann::json j = {{"probes", nlohmann::json::array()},
                      {"execs", nlohmann::json::array()},
                      {"running_at_end", o.running_at_end}};
  for (const auto& p : o.probes) {
    auto pj = to_json(p.first);
    pj["body_stable"] = p.body_stable();
    j["probes"].push_back(std::move(pj));
  }
  for (const auto& e : o.execs) {
    j["execs"].push_back({{"command", to_valid_utf8(e.command)},
                          {"exit_code", e.exit_code},
                          {"output", to_valid_utf8(clip_utf8(e.out, k_report_output_bytes))}});
  }
  if (o.app_exit) {
    j["app_exit"] = *o.app_exit;
  }
  return j;
}

// The fields come from untrusted output: made valid UTF-8 so that the report's JSON can be
// written.
nlohmann::json to_json(const Difference& d) {
  nlohmann::json j = {{"what", to_valid_utf8(d.what)},
                      {"original", to_valid_utf8(d.original)},
                      {"result", to_valid_utf8(d.result)}};
  if (!d.diff.empty()) {
    j["diff"] = to_valid_utf8(d.diff);
  }
  return j;
}

nlohmann::json to_json(const Drift& d) {
  return {{"what", to_valid_utf8(d.what)}, {"tolerated", to_valid_utf8(d.how)}};
}

} // namespace slim::verify
