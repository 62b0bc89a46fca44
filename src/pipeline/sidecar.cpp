#include "slim/pipeline/sidecar.hpp"

#include "slim/pipeline/container_run.hpp"
#include "slim/util/log.hpp"
#include "slim/util/sha256.hpp"
#include "slim/util/small_tar.hpp"

#include <nlohmann/json.hpp>

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

probe::ProbeOutcome run_probe(engine::Client& client, const std::string& sidecar_image,
                              const std::string& target_id, const probe::ProbeRequest& request,
                              int retries, std::string_view test_point) {
  std::vector<std::string> cmd = {"probe",         request.url(),
                                  "--method",      request.method,
                                  "--retries",     std::to_string(retries),
                                  "--retry-delay", "0.5",
                                  "--timeout",     "10"};
  for (const auto& h : request.headers) {
    cmd.insert(cmd.end(), {"--header", h});
  }
  if (!request.body.empty()) {
    cmd.insert(cmd.end(), {"--data", request.body});
  }
  ContainerSpec spec{.image = sidecar_image,
                     .entrypoint = std::vector<std::string>{k_sensor_path},
                     .cmd = cmd,
                     .network = "container:" + target_id,
                     .role = "probe"};
  ContainerRun probe(client, spec);
  probe.start();
  test_pause_point(test_point); // tests: Ctrl-C while a sidecar runs
  // Retries are 0.5 s apart plus a 10 s request timeout: bound the wait accordingly.
  auto bound = std::chrono::milliseconds(retries * 600 + 30'000);
  if (!probe.wait(bound)) {
    probe::ProbeOutcome out;
    out.request = request;
    out.error = "the probe did not finish in time";
    return out;
  }
  std::string out_text;
  client.logs(
      probe.id(), [&out_text](const char* d, std::size_t n) { out_text.append(d, n); },
      [](const char*, std::size_t) {});
  return probe::parse_probe_line(request, out_text);
}

} // namespace slim::pipeline
