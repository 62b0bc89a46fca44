#include "slim/pipeline/sidecar.hpp"

#include "slim/pipeline/container_run.hpp"
#include "slim/util/log.hpp"
#include "slim/util/sha256.hpp"
#include "slim/util/small_tar.hpp"

#include <nlohmann/json.hpp>
#include <set>

namespace slim::pipeline {

std::string sidecar_archive(const std::string& sensor_bytes, const std::string& tag) {
  std::string layer =
      make_small_tar({{.path = ".slim", .mode = 0755, .directory = true},
                      {.path = ".slim/sensor", .content = sensor_bytes, .mode = 0755}});
  std::string diff_id = "sha256:" + sha256_hex(layer);
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", "1970-01-01T00:00:00Z"},
      {"config",
       {{"Entrypoint", {k_sensor_path}},
        {"Labels", {{std::string(engine::k_owner_label), "slim"}, {"io.slim.role", "sidecar"}}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}},
      {"history", {{{"created", "1970-01-01T00:00:00Z"}, {"created_by", "slim: probe sidecar"}}}}};
  std::string config_text = config.dump();
  std::string config_name = sha256_hex(config_text) + ".json";
  std::string layer_dir = diff_id.substr(7);
  nlohmann::json manifest = nlohmann::json::array(
      {{{"Config", config_name}, {"RepoTags", {tag}}, {"Layers", {layer_dir + "/layer.tar"}}}});
  return make_small_tar({{.path = layer_dir, .mode = 0755, .directory = true},
                         {.path = layer_dir + "/layer.tar", .content = layer},
                         {.path = config_name, .content = config_text},
                         {.path = "manifest.json", .content = manifest.dump()}});
}

std::string ensure_sidecar_image(engine::Client& client, const std::string& sensor_bytes) {
  std::string tag =
      std::string("slim-sidecar:") + SLIM_VERSION + "-" + sha256_hex(sensor_bytes).substr(0, 12);
  try {
    client.inspect_image(tag);
    return tag;
  } catch (const engine::EngineError& e) {
    if (e.status() != 404) {
      throw;
    }
  }
  SLIM_DEBUG("loading the probe sidecar image {}", tag);
  std::string archive = sidecar_archive(sensor_bytes, tag);
  std::size_t pos = 0;
  client.load_images([&archive, &pos](char* buf, std::size_t cap) {
    std::size_t n = std::min(cap, archive.size() - pos);
    std::copy_n(archive.data() + pos, n, buf);
    pos += n;
    return n;
  });
  return tag;
}

namespace {
constexpr const char* k_batch_name = "probes.txt";
constexpr const char* k_results_path = "/.slim/results.jsonl";
// The results hold at most max_total body bytes (base64: 4/3) plus a line of metadata each.
constexpr std::uint64_t k_results_max_bytes = 96ull << 20;
} // namespace

std::vector<probe::ProbeOutcome>
run_probe_batch(engine::Client& client, const std::string& sidecar_image,
                const std::string& target_id, const std::vector<probe::ProbeRequest>& requests,
                const probe::BatchSettings& settings, std::string_view test_point) {
  if (requests.empty()) {
    return {};
  }
  ContainerSpec spec{.image = sidecar_image,
                     .entrypoint = std::vector<std::string>{k_sensor_path},
                     .cmd = std::vector<std::string>{"probe", "--batch",
                                                     std::string(k_sensor_dir) + "/" + k_batch_name,
                                                     k_results_path},
                     .network = "container:" + target_id,
                     .role = "probe"};
  ContainerRun sidecar(client, spec);
  sidecar.put_slim_file(k_batch_name, probe::batch_request_text(requests, settings));
  sidecar.start();
  test_pause_point(test_point); // tests: Ctrl-C while a sidecar runs
  // Each request may wait for its connection attempts and two timeouts (connect, answer).
  double bound = 30;
  std::set<int> ports;
  for (const auto& r : requests) {
    int retries = ports.insert(r.port).second ? settings.first_retries : settings.retries;
    bound += (retries + 1) * (settings.retry_delay + 0.1) + 2 * settings.timeout;
  }
  bound = std::min(bound, 3600.0);
  auto status = sidecar.wait(std::chrono::milliseconds(static_cast<std::int64_t>(bound * 1000)));
  std::string text;
  std::string failure;
  if (!status) {
    failure = "the probe sidecar did not finish in time";
  } else {
    try {
      text = sidecar.read_file(k_results_path, k_results_max_bytes);
    } catch (const Error& e) {
      failure = std::string("the probe sidecar left no results: ") + e.what();
    }
    if (*status != 0 && failure.empty() && text.empty()) {
      failure = "the probe sidecar failed with exit status " + std::to_string(*status) + ": " +
                sidecar.logs(5);
    }
  }
  auto out = probe::parse_batch_results(requests, text);
  if (!failure.empty()) {
    for (auto& o : out) {
      if (!o.ok() && o.error.find("no result") != std::string::npos) {
        o.error = failure;
      }
    }
  }
  return out;
}

} // namespace slim::pipeline
