#include "slim/probe/probe.hpp"

#include <nlohmann/json.hpp>

namespace slim::probe {

std::string ProbeRequest::url() const {
  return protocol + "://127.0.0.1:" + std::to_string(port) +
         (path.empty() || path[0] != '/' ? "/" : "") + path;
}

std::string ProbeRequest::describe() const {
  return method + " " + url();
}

ProbeOutcome parse_probe_line(const ProbeRequest& request, const std::string& output) {
  ProbeOutcome out;
  out.request = request;
  // The sensor prints one JSON line; take the last non-empty line in case of noise.
  std::string line;
  std::size_t end = output.find_last_not_of("\r\n \t");
  if (end != std::string::npos) {
    std::size_t start = output.rfind('\n', end);
    line = output.substr(start == std::string::npos ? 0 : start + 1,
                         end - (start == std::string::npos ? 0 : start + 1) + 1);
  }
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    out.error =
        "the probe printed no result" + (line.empty() ? std::string() : ": " + line.substr(0, 200));
    return out;
  }
  if (auto it = j.find("status"); it != j.end() && it->is_number_integer()) {
    out.status = it->get<int>();
  }
  if (auto it = j.find("size"); it != j.end() && it->is_number_integer()) {
    out.size = it->get<std::int64_t>();
  }
  if (auto it = j.find("sha256"); it != j.end() && it->is_string()) {
    out.sha256 = it->get<std::string>();
  }
  if (auto it = j.find("time_ms"); it != j.end() && it->is_number()) {
    out.time_ms = it->get<double>();
  }
  if (auto it = j.find("error"); it != j.end() && it->is_string()) {
    out.error = it->get<std::string>();
    out.status.reset();
  }
  if (!out.status && out.error.empty()) {
    out.error = "the probe's result has no status";
  }
  return out;
}

nlohmann::json to_json(const ProbeOutcome& p) {
  nlohmann::json j = {{"method", p.request.method}, {"url", p.request.url()}};
  if (p.ok()) {
    j["status"] = *p.status;
    j["size"] = p.size;
    j["sha256"] = p.sha256;
    j["time_ms"] = p.time_ms;
  } else {
    j["error"] = p.error;
  }
  return j;
}

} // namespace slim::probe
