#pragma once
// One container of slim's own on the engine: created, started, exec'd into, stopped, and
// always removed (also on errors and Ctrl-C). The profiling run (with the sensor as PID 1),
// the probe sidecars and the verification run are all ContainerRuns.

#include "slim/engine/client.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::pipeline {

/// Where the sensor lives inside every container slim runs.
inline constexpr const char* k_sensor_dir = "/.slim";
inline constexpr const char* k_sensor_path = "/.slim/sensor";
inline constexpr const char* k_report_path = "/.slim/report.json";
/// Upper bound on the report we accept from a container (it is untrusted input).
inline constexpr std::uint64_t k_report_max_bytes = 64ull << 20;

/// What the engine needs to create one of our containers.
struct ContainerSpec {
  std::string image;
  std::optional<std::vector<std::string>> entrypoint; ///< override (else the image's)
  std::optional<std::vector<std::string>> cmd;        ///< override (else the image's)
  std::vector<std::string> env;                       ///< added to the image's
  std::optional<std::string> user, workdir;
  std::string network = "none"; ///< none | host | container:<id>
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;     ///< e.g. ALL (then cap_add is all it has)
  std::vector<std::string> security_opt; ///< e.g. seccomp=unconfined
  std::vector<std::string> binds;        ///< SRC:DST[:ro]
  std::string role;                      ///< label value: target, probe, verify, source
  /// The engine runs no HEALTHCHECK of the image (the profiling run runs it under the sensor:
  /// the engine's would run with all of the container's capabilities).
  bool no_healthcheck = false;
};

/// The label naming the slim process (its PID) that made a container, so a run's leftovers can
/// be told from another run's.
inline constexpr const char* k_session_label = "io.slim.session";

/// The engine's create body for `spec`, with the io.slim.owner label (pure, unit tested).
nlohmann::json container_create_body(const ContainerSpec& spec);

/// Test hook: when SLIM_TEST_PAUSE_AT equals `point` (the first time only), prints
/// `slim-test: paused at POINT` to stderr and waits for SIGUSR2 (go on) or SIGINT/SIGTERM (throws
/// slim::Cancelled). Does nothing when the variable is unset.
void test_pause_point(std::string_view point);

class ContainerRun {
public:
  /// Creates the container (not started yet).
  ContainerRun(engine::Client& client, const ContainerSpec& spec);
  /// Force-removes the container (see remove()); never throws.
  ~ContainerRun();
  ContainerRun(const ContainerRun&) = delete;
  ContainerRun& operator=(const ContainerRun&) = delete;

  const std::string& id() const noexcept { return m_id; }
  /// Copies the static sensor into /.slim (before start, via the archive API).
  void put_sensor(const std::string& sensor_bytes);
  /// Writes one file under /.slim (`name` without directories) through the archive API.
  void put_slim_file(const std::string& name, const std::string& content, unsigned mode = 0644);
  void start();
  /// True while the container's main process runs.
  bool running();
  /// Waits for the container to exit; nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// Runs `cmd` inside the (running) container.
  engine::ExecResult exec(const std::vector<std::string>& cmd);
  /// The last `lines` lines of stdout+stderr.
  std::string logs(int lines);
  /// Reads a file out of the container (running or stopped), at most `max_bytes`.
  std::string read_file(const std::string& path, std::uint64_t max_bytes);
  /// Removes the container now (idempotent); also after Ctrl-C, and it waits up to 30 s for an
  /// engine that went away (a restarting dockerd); if that fails, warns with `docker rm -f ID`.
  void remove() noexcept;

private:
  engine::Client& m_client;
  std::string m_id;
};

} // namespace slim::pipeline
