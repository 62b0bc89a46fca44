#include "slim/image/config.hpp"

#include "slim/util/error.hpp"

namespace slim::image {

namespace {

using nlohmann::json;

json parse_json(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error("cannot parse `" + what + "`: " + e.what());
  }
}

std::string get_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return {};
  }
  if (!it->is_string()) {
    throw Error(std::string("field `") + key + "` is not a string");
  }
  return it->get<std::string>();
}

std::vector<std::string> get_strings(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return {};
  }
  if (!it->is_array()) {
    throw Error(std::string("field `") + key + "` is not an array");
  }
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) {
      throw Error(std::string("field `") + key + "` holds a non-string");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::optional<std::vector<std::string>> get_opt_strings(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return std::nullopt;
  }
  return get_strings(j, key);
}

std::vector<std::string> get_keys(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      out.push_back(k);
    }
  }
  return out;
}

OciDescriptor parse_descriptor(const json& j) {
  if (!j.is_object()) {
    throw Error("descriptor is not an object");
  }
  OciDescriptor d;
  d.media_type = get_string(j, "mediaType");
  d.digest = get_string(j, "digest");
  if (d.digest.empty()) {
    throw Error("descriptor without `digest`");
  }
  if (auto it = j.find("size"); it != j.end() && it->is_number_integer()) {
    d.size = it->get<std::int64_t>();
  }
  if (auto it = j.find("annotations"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) {
        d.annotations[k] = v.get<std::string>();
      }
    }
  }
  if (auto it = j.find("platform"); it != j.end() && it->is_object()) {
    d.platform_os = get_string(*it, "os");
    d.platform_arch = get_string(*it, "architecture");
  }
  return d;
}

json to_port_set(const std::vector<std::string>& keys) {
  json out = json::object();
  for (const auto& k : keys) {
    out[k] = json::object();
  }
  return out;
}

} // namespace

ImageConfig parse_image_config(const std::string& text, const std::string& what) {
  ImageConfig c;
  c.raw = parse_json(text, what);
  try {
    if (!c.raw.is_object()) {
      throw Error("not a JSON object");
    }
    c.architecture = get_string(c.raw, "architecture");
    c.os = get_string(c.raw, "os");
    c.created = get_string(c.raw, "created");
    if (auto it = c.raw.find("config"); it != c.raw.end() && it->is_object()) {
      const json& cc = *it;
      c.config.entrypoint = get_opt_strings(cc, "Entrypoint");
      c.config.cmd = get_opt_strings(cc, "Cmd");
      c.config.env = get_strings(cc, "Env");
      c.config.user = get_string(cc, "User");
      c.config.working_dir = get_string(cc, "WorkingDir");
      c.config.exposed_ports = get_keys(cc, "ExposedPorts");
      c.config.volumes = get_keys(cc, "Volumes");
      c.config.stop_signal = get_string(cc, "StopSignal");
      if (auto lt = cc.find("Labels"); lt != cc.end() && lt->is_object()) {
        for (const auto& [k, v] : lt->items()) {
          if (v.is_string()) {
            c.config.labels[k] = v.get<std::string>();
          }
        }
      }
    }
    auto rootfs = c.raw.find("rootfs");
    if (rootfs == c.raw.end() || !rootfs->is_object()) {
      throw Error("missing `rootfs`");
    }
    c.diff_ids = get_strings(*rootfs, "diff_ids");
    if (auto it = c.raw.find("history"); it != c.raw.end() && it->is_array()) {
      for (const auto& h : *it) {
        HistoryEntry e;
        e.created = get_string(h, "created");
        e.created_by = get_string(h, "created_by");
        e.comment = get_string(h, "comment");
        if (auto el = h.find("empty_layer"); el != h.end() && el->is_boolean()) {
          e.empty_layer = el->get<bool>();
        }
        c.history.push_back(std::move(e));
      }
    }
  } catch (const json::exception& e) {
    throw Error("malformed image config `" + what + "`: " + e.what());
  } catch (const Error& e) {
    throw Error("malformed image config `" + what + "`: " + e.what());
  }
  return c;
}

std::string derive_config(const ImageConfig& original, const ConfigOverrides& o,
                          const std::string& diff_id, const std::string& created_by) {
  json out = original.raw;
  json& cc = out["config"];
  if (!cc.is_object()) {
    cc = json::object();
  }
  if (o.entrypoint) {
    cc["Entrypoint"] = *o.entrypoint;
  }
  if (o.cmd) {
    cc["Cmd"] = *o.cmd;
  }
  if (o.env) {
    cc["Env"] = *o.env;
  }
  if (o.user) {
    cc["User"] = *o.user;
  }
  if (o.working_dir) {
    cc["WorkingDir"] = *o.working_dir;
  }
  if (o.exposed_ports) {
    cc["ExposedPorts"] = to_port_set(*o.exposed_ports);
  }
  if (o.volumes) {
    cc["Volumes"] = to_port_set(*o.volumes);
  }
  if (!o.labels.empty()) {
    if (!cc.contains("Labels") || !cc["Labels"].is_object()) {
      cc["Labels"] = json::object();
    }
    for (const auto& [k, v] : o.labels) {
      cc["Labels"][k] = v;
    }
  }
  if (o.stop_signal) {
    cc["StopSignal"] = *o.stop_signal;
  }
  if (o.healthcheck) {
    cc["Healthcheck"] = *o.healthcheck;
  }
  // The engine's own bookkeeping of the build that made the original does not describe us.
  out.erase("container");
  out.erase("container_config");
  out.erase("parent");
  out["rootfs"] = json{{"type", "layers"}, {"diff_ids", json::array({diff_id})}};
  json hist = json::object();
  if (!original.created.empty()) {
    hist["created"] = original.created;
  }
  hist["created_by"] = created_by;
  hist["comment"] = "slim";
  out["history"] = json::array({hist});
  return out.dump();
}

ImageConfig config_from_inspect(const nlohmann::json& inspect, const std::string& what) {
  if (!inspect.is_object()) {
    throw Error("cannot read `" + what + "`: not a JSON object");
  }
  json raw = json::object();
  auto copy_string = [&](const char* from, const char* to, bool always) {
    auto it = inspect.find(from);
    if (it != inspect.end() && it->is_string() && (always || !it->get<std::string>().empty())) {
      raw[to] = *it;
    }
  };
  copy_string("Architecture", "architecture", true);
  copy_string("Os", "os", true);
  copy_string("Created", "created", true);
  copy_string("Variant", "variant", false);
  copy_string("OsVersion", "os.version", false);
  copy_string("Author", "author", false);
  copy_string("Comment", "comment", false);
  copy_string("DockerVersion", "docker_version", false);
  auto cfg = inspect.find("Config");
  raw["config"] = cfg != inspect.end() && cfg->is_object() ? *cfg : json::object();
  json layers = json::array();
  if (auto rootfs = inspect.find("RootFS"); rootfs != inspect.end() && rootfs->is_object()) {
    if (auto l = rootfs->find("Layers"); l != rootfs->end() && l->is_array()) {
      layers = *l;
    }
  }
  raw["rootfs"] = {{"type", "layers"}, {"diff_ids", layers}};
  return parse_image_config(raw.dump(), what);
}

namespace {

bool digits(const std::string& s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

} // namespace

std::int64_t created_seconds(const std::string& t) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !digits(t, 5, 2, month) ||
      t[7] != '-' || !digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't') ||
      !digits(t, 11, 2, hour) || t[13] != ':' || !digits(t, 14, 2, minute) || t[16] != ':' ||
      !digits(t, 17, 2, second) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return 0;
  }
  std::size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      ++i;
    }
  }
  std::int64_t offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z') && i + 1 == t.size()) {
    offset = 0;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    int oh = 0, om = 0;
    if (!digits(t, i + 1, 2, oh) || !digits(t, i + 4, 2, om)) {
      return 0;
    }
    offset = (t[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return 0;
  }
  std::int64_t secs =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second - offset;
  return secs < 0 ? 0 : secs;
}

std::vector<DockerManifestEntry> parse_docker_manifest(const std::string& text) {
  json j = parse_json(text, "manifest.json");
  std::vector<DockerManifestEntry> out;
  try {
    if (!j.is_array() || j.empty()) {
      throw Error("not a non-empty array");
    }
    for (const auto& m : j) {
      DockerManifestEntry e;
      e.config = get_string(m, "Config");
      if (e.config.empty()) {
        throw Error("entry without `Config`");
      }
      e.repo_tags = get_strings(m, "RepoTags");
      e.layers = get_strings(m, "Layers");
      out.push_back(std::move(e));
    }
  } catch (const json::exception& e) {
    throw Error(std::string("malformed `manifest.json`: ") + e.what());
  } catch (const Error& e) {
    throw Error(std::string("malformed `manifest.json`: ") + e.what());
  }
  return out;
}

OciIndex parse_oci_index(const std::string& text, const std::string& what) {
  json j = parse_json(text, what);
  OciIndex idx;
  try {
    auto it = j.find("manifests");
    if (!j.is_object() || it == j.end() || !it->is_array()) {
      throw Error("missing `manifests`");
    }
    for (const auto& d : *it) {
      idx.manifests.push_back(parse_descriptor(d));
    }
  } catch (const json::exception& e) {
    throw Error("malformed OCI index `" + what + "`: " + e.what());
  } catch (const Error& e) {
    throw Error("malformed OCI index `" + what + "`: " + e.what());
  }
  return idx;
}

OciManifest parse_oci_manifest(const std::string& text, const std::string& what) {
  json j = parse_json(text, what);
  OciManifest m;
  try {
    if (!j.is_object() || !j.contains("config")) {
      throw Error("missing `config`");
    }
    m.config = parse_descriptor(j["config"]);
    auto it = j.find("layers");
    if (it == j.end() || !it->is_array()) {
      throw Error("missing `layers`");
    }
    for (const auto& d : *it) {
      m.layers.push_back(parse_descriptor(d));
    }
  } catch (const json::exception& e) {
    throw Error("malformed OCI manifest `" + what + "`: " + e.what());
  } catch (const Error& e) {
    throw Error("malformed OCI manifest `" + what + "`: " + e.what());
  }
  return m;
}

std::string digest_hex(const std::string& digest) {
  constexpr std::string_view prefix = "sha256:";
  if (digest.rfind(prefix, 0) != 0 || digest.size() != prefix.size() + 64) {
    throw Error("unsupported digest `" + digest + "` (only sha256 is supported)");
  }
  std::string hex = digest.substr(prefix.size());
  for (char ch : hex) {
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
      throw Error("malformed digest `" + digest + "`");
    }
  }
  return hex;
}

} // namespace slim::image
