#pragma once
// The probe sidecar: a one-layer image holding nothing but the static sensor, which slim
// writes and loads itself (once per sensor build), and the HTTP probes run from containers of
// it that share the target's network namespace. So no ports are published, no bridge network
// is needed, and the probe's own files and syscalls never mix into the app's record.

#include "slim/engine/client.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::build {

/// The docker-archive (manifest.json, config, one layer) of the sidecar image for this sensor,
/// tagged `tag` (pure and deterministic: same sensor, same bytes, same image ID).
std::string sidecar_archive(const std::string& sensor_bytes, const std::string& tag);

/// The sidecar image's reference for this sensor (`slim-sidecar:<version>-<sha12>`), loading it
/// into the engine first if it is not there yet.
std::string ensure_sidecar_image(engine::Client& client, const std::string& sensor_bytes);

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

/// Runs `request` from a sidecar container in the network namespace of `target_id`;
/// `retries` bounds the wait for the port to accept connections. `test_point` names the
/// SLIM_TEST_PAUSE_AT point hit while the sidecar runs.
ProbeOutcome run_probe(engine::Client& client, const std::string& sidecar_image,
                       const std::string& target_id, const ProbeRequest& request, int retries,
                       std::string_view test_point = "probe");

} // namespace slim::build
