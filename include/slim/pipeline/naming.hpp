#pragma once
// Names slim derives from the source image: the result tag, the profile file, the sensor path.

#include <optional>
#include <string>
#include <vector>

namespace slim::pipeline {

/// Splits "registry:5000/team/app:1.4" into repository and tag ("latest" when absent; digest
/// references keep their repository and get tag "latest").
std::pair<std::string, std::string> split_reference(const std::string& reference);

/// The default result tag: REPO.slim:TAG ("myapp:1.4" -> "myapp.slim:1.4"); for an image given
/// by ID, "slim-<12 hex>:latest".
std::string default_result_tag(const std::string& reference);

/// The default seccomp profile file: the repository's last path component + "-seccomp.json".
std::string default_seccomp_path(const std::string& reference);

/// The app's argv as the engine would start it: entrypoint + cmd, with overrides applied
/// (an overridden entrypoint drops the image's cmd, as docker does). Throws slim::Error if empty.
std::vector<std::string>
app_argv(const std::optional<std::vector<std::string>>& image_entrypoint,
         const std::optional<std::vector<std::string>>& image_cmd,
         const std::optional<std::vector<std::string>>& entrypoint_override,
         const std::optional<std::vector<std::string>>& cmd_override);

/// The host path of the static sensor: the flag, else SLIM_SENSOR, else beside the slim binary
/// (`slim-sensor`, `../sensor/sensor` in a build tree, `../lib/slim/sensor` when installed).
std::string find_sensor(const std::string& flag_value);

/// Where the HTML report goes: beside the JSON report, `.json` replaced by `.html` (appended
/// when the name has no `.json`).
std::string html_report_path(const std::string& json_report_path);

/// The host path of the static shell slim brings for exec probes in images without one:
/// SLIM_PROBE_SHELL, else `busybox` beside the sensor, else Debian busybox-static's
/// /bin/busybox. Throws slim::Error when none is there.
std::string find_probe_shell(const std::string& sensor_path);

} // namespace slim::pipeline
