#include "slim/verify/observation.hpp"

#include <nlohmann/json.hpp>

namespace slim::verify {

bool ProbeObservation::body_stable() const {
  return first.ok() && second && second->ok() && first.sha256 == second->sha256;
}

namespace {
std::string describe(const probe::ProbeOutcome& p) {
  if (!p.ok()) {
    return "no response (" + p.error + ")";
  }
  return "status " + std::to_string(*p.status);
}

std::string clip(const std::string& s) {
  constexpr std::size_t k_max = 200;
  return s.size() <= k_max ? s : s.substr(0, k_max) + "...";
}
} // namespace

Comparison compare_observations(const Observation& original, const Observation& result,
                                const CompareOptions& /*options*/) {
  Comparison c;
  std::vector<Difference>& diffs = c.differences;
  for (std::size_t i = 0; i < original.probes.size(); ++i) {
    const auto& o = original.probes[i];
    const std::string what = o.first.request.describe();
    if (i >= result.probes.size()) {
      diffs.push_back({what, describe(o.first), "not probed"});
      continue;
    }
    const auto& r = result.probes[i].first;
    if (o.first.ok() != r.ok() || (o.first.ok() && *o.first.status != *r.status)) {
      diffs.push_back({what, describe(o.first), describe(r)});
    } else if (o.body_stable() && r.ok() && r.sha256 != o.first.sha256) {
      diffs.push_back({what + ": body",
                       "sha256 " + o.first.sha256 + " (" + std::to_string(o.first.size) + " bytes)",
                       "sha256 " + r.sha256 + " (" + std::to_string(r.size) + " bytes)"});
    }
  }
  for (std::size_t i = 0; i < original.execs.size(); ++i) {
    const auto& o = original.execs[i];
    const std::string what = "exec `" + o.command + "`";
    if (i >= result.execs.size()) {
      diffs.push_back({what, "exit " + std::to_string(o.exit_code), "not run"});
      continue;
    }
    const auto& r = result.execs[i];
    if (o.exit_code != r.exit_code) {
      diffs.push_back(
          {what + ": exit code", std::to_string(o.exit_code), std::to_string(r.exit_code)});
    } else if (o.out != r.out) {
      diffs.push_back({what + ": output", clip(o.out), clip(r.out)});
    }
  }
  if (original.app_exit && result.app_exit && *original.app_exit != *result.app_exit) {
    diffs.push_back({"the app's exit status", std::to_string(*original.app_exit),
                     std::to_string(*result.app_exit)});
  } else if (original.app_exit && !result.app_exit) {
    diffs.push_back({"the app's exit status", std::to_string(*original.app_exit), "did not exit"});
  }
  return c;
}

nlohmann::json to_json(const Observation& o) {
  nlohmann::json j = {{"probes", nlohmann::json::array()}, {"execs", nlohmann::json::array()}};
  for (const auto& p : o.probes) {
    auto pj = to_json(p.first);
    pj["body_stable"] = p.body_stable();
    j["probes"].push_back(std::move(pj));
  }
  for (const auto& e : o.execs) {
    j["execs"].push_back(
        {{"command", e.command}, {"exit_code", e.exit_code}, {"output", clip(e.out)}});
  }
  if (o.app_exit) {
    j["app_exit"] = *o.app_exit;
  }
  return j;
}

nlohmann::json to_json(const Difference& d) {
  nlohmann::json j = {{"what", d.what}, {"original", d.original}, {"result", d.result}};
  if (!d.diff.empty()) {
    j["diff"] = d.diff;
  }
  return j;
}

nlohmann::json to_json(const Drift& d) {
  return {{"what", d.what}, {"tolerated", d.how}};
}

} // namespace slim::verify
