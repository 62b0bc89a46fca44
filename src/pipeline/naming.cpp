#include "slim/pipeline/naming.hpp"

#include "slim/util/error.hpp"

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace slim::pipeline {

std::pair<std::string, std::string> split_reference(const std::string& reference) {
  std::string ref = reference;
  if (auto at = ref.find('@'); at != std::string::npos) {
    ref = ref.substr(0, at);
    return {ref, "latest"};
  }
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return {ref.substr(0, colon), ref.substr(colon + 1)};
  }
  return {ref, "latest"};
}

namespace {
bool looks_like_id(const std::string& ref) {
  std::string hex = ref.rfind("sha256:", 0) == 0 ? ref.substr(7) : ref;
  return hex.size() >= 12 && hex.find_first_not_of("0123456789abcdef") == std::string::npos &&
         (ref.rfind("sha256:", 0) == 0 || hex.size() == 64 || hex.size() == 12);
}
} // namespace

std::string default_result_tag(const std::string& reference) {
  if (looks_like_id(reference)) {
    std::string hex = reference.rfind("sha256:", 0) == 0 ? reference.substr(7) : reference;
    return "slim-" + hex.substr(0, 12) + ":latest";
  }
  auto [repo, tag] = split_reference(reference);
  return repo + ".slim:" + tag;
}

std::string default_seccomp_path(const std::string& reference) {
  std::string name;
  if (looks_like_id(reference)) {
    std::string hex = reference.rfind("sha256:", 0) == 0 ? reference.substr(7) : reference;
    name = "slim-" + hex.substr(0, 12);
  } else {
    name = split_reference(reference).first;
    name = name.substr(name.rfind('/') + 1);
  }
  return name + "-seccomp.json";
}

std::vector<std::string>
app_argv(const std::optional<std::vector<std::string>>& image_entrypoint,
         const std::optional<std::vector<std::string>>& image_cmd,
         const std::optional<std::vector<std::string>>& entrypoint_override,
         const std::optional<std::vector<std::string>>& cmd_override) {
  std::vector<std::string> argv;
  if (entrypoint_override) {
    argv = *entrypoint_override;
    if (cmd_override) {
      argv.insert(argv.end(), cmd_override->begin(), cmd_override->end());
    }
  } else {
    if (image_entrypoint) {
      argv = *image_entrypoint;
    }
    const auto& cmd = cmd_override ? cmd_override : image_cmd;
    if (cmd) {
      argv.insert(argv.end(), cmd->begin(), cmd->end());
    }
  }
  if (argv.empty()) {
    throw Error("the image has no ENTRYPOINT or CMD: give one with --entrypoint or --cmd");
  }
  return argv;
}

std::string find_sensor(const std::string& flag_value) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (!flag_value.empty()) {
    candidates.emplace_back(flag_value);
  } else if (const char* env = std::getenv("SLIM_SENSOR"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  } else {
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    fs::path dir = self.parent_path();
    candidates = {dir / "slim-sensor", dir / ".." / "sensor" / "sensor",
                  dir / ".." / "lib" / "slim" / "sensor"};
  }
  for (const auto& c : candidates) {
    if (access(c.c_str(), R_OK) == 0 && fs::is_regular_file(c)) {
      return fs::weakly_canonical(c).string();
    }
  }
  throw Error("cannot find the sensor binary `" + candidates.front().string() +
              "` (build it, or give its path with --sensor or SLIM_SENSOR)");
}

std::string html_report_path(const std::string& json_report_path) {
  const std::string ext = ".json";
  if (json_report_path.size() > ext.size() &&
      json_report_path.compare(json_report_path.size() - ext.size(), ext.size(), ext) == 0) {
    return json_report_path.substr(0, json_report_path.size() - ext.size()) + ".html";
  }
  return json_report_path + ".html";
}

std::string find_probe_shell(const std::string& sensor_path) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("SLIM_PROBE_SHELL"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  } else {
    candidates = {fs::path(sensor_path).parent_path() / "busybox", "/bin/busybox"};
  }
  for (const auto& c : candidates) {
    if (access(c.c_str(), R_OK) == 0 && fs::is_regular_file(c)) {
      return c.string();
    }
  }
  throw Error("the image has no shell for an --exec or HEALTHCHECK command that needs one, and "
              "slim's probe shell `" +
              candidates.back().string() +
              "` is missing (install Debian's busybox-static, or set SLIM_PROBE_SHELL to a "
              "static shell)");
}

} // namespace slim::pipeline
