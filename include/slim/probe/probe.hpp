#pragma once
// One HTTP probe as the sidecar sends it, and what came back (the sensor's JSON line, parsed).
// Pure data and parsing, shared by the exercise, the verification and the report.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace slim::probe {

/// One HTTP request to send to the app.
struct ProbeRequest {
  std::string method = "GET";
  std::string path = "/";
  int port = 80;
  std::string protocol = "http"; ///< http | https
  std::vector<std::string> headers;
  std::string body;
  /// The URL as the sidecar sees the app (loopback of the shared network namespace).
  std::string url() const;
  /// "GET http://127.0.0.1:80/" for messages.
  std::string describe() const;
};

/// What one probe got back (the sensor's JSON line, parsed).
struct ProbeOutcome {
  ProbeRequest request;
  std::optional<int> status; ///< HTTP status when a response came
  std::int64_t size = 0;     ///< body bytes
  std::string sha256;        ///< of the body
  double time_ms = 0;
  std::string error; ///< why no response came
  bool ok() const noexcept { return status.has_value(); }
};

/// Parses the sensor's probe output line for `request`; malformed output becomes an error
/// outcome, never an exception (pure, unit tested).
ProbeOutcome parse_probe_line(const ProbeRequest& request, const std::string& output);

/// The outcome as the report shows it ({"method","url","status","size","sha256","time_ms"} or
/// {"method","url","error"}).
nlohmann::json to_json(const ProbeOutcome& p);

} // namespace slim::probe
