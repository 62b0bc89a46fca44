#include "slim/build/sidecar.hpp"

#include "slim/build/container_run.hpp"
#include "slim/util/log.hpp"
#include "slim/util/sha256.hpp"
#include "slim/util/small_tar.hpp"

#include <nlohmann/json.hpp>

namespace slim::build {

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

ProbeOutcome run_probe(engine::Client& client, const std::string& sidecar_image,
                       const std::string& target_id, const ProbeRequest& request, int retries,
                       std::string_view test_point) {
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
    ProbeOutcome out;
    out.request = request;
    out.error = "the probe did not finish in time";
    return out;
  }
  std::string out_text;
  client.logs(
      probe.id(), [&out_text](const char* d, std::size_t n) { out_text.append(d, n); },
      [](const char*, std::size_t) {});
  return parse_probe_line(request, out_text);
}

} // namespace slim::build
