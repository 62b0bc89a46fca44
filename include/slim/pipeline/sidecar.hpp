#pragma once
// The probe sidecar: a one-layer image holding nothing but the static sensor, which slim
// writes and loads itself (once per sensor build), and the HTTP probes run from containers of
// it that share the target's network namespace. So no ports are published, no bridge network
// is needed, and the probe's own files and syscalls never mix into the app's record.

#include "slim/engine/client.hpp"
#include "slim/probe/probe.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::pipeline {

/// The docker-archive (manifest.json, config, one layer) of the sidecar image for this sensor,
/// tagged `tag` (pure and deterministic: same sensor, same bytes, same image ID).
std::string sidecar_archive(const std::string& sensor_bytes, const std::string& tag);

/// The sidecar image's reference for this sensor (`slim-sidecar:<version>-<sha12>`), loading it
/// into the engine first if it is not there yet.
std::string ensure_sidecar_image(engine::Client& client, const std::string& sensor_bytes);

/// Sends `requests` in order from one sidecar container in the network namespace of
/// `target_id` (`sensor probe --batch`); one outcome per request, in the same order. A sidecar
/// that does not finish in time or leaves no results gives error outcomes. `test_point` names
/// the SLIM_TEST_PAUSE_AT point hit while the sidecar runs.
std::vector<probe::ProbeOutcome>
run_probe_batch(engine::Client& client, const std::string& sidecar_image,
                const std::string& target_id, const std::vector<probe::ProbeRequest>& requests,
                const probe::BatchSettings& settings, std::string_view test_point = "probe");

} // namespace slim::pipeline
