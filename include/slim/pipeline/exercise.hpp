#pragma once
// Exercising a running container the same way in the profiling run and in the verification
// run: HTTP probes from the sidecar, --exec commands and the HEALTHCHECK inside the container,
// then waiting as --continue-after says.

#include "slim/pipeline/container_run.hpp"
#include "slim/pipeline/options.hpp"
#include "slim/pipeline/sidecar.hpp"
#include "slim/probe/crawl.hpp"
#include "slim/verify/observation.hpp"

#include <optional>
#include <string>
#include <vector>

namespace slim::pipeline {

/// Where slim's own shell for exec probes lives in containers of images without /bin/sh.
inline constexpr const char* k_probe_shell_name = "busybox";
inline constexpr const char* k_probe_shell_path = "/.slim/busybox";

/// How long a server that exposes ports but is not probed runs by default (--http-probe=false
/// without --continue-after).
inline constexpr int k_unprobed_server_seconds = 10;

/// Ports that speak well-known protocols other than HTTP (databases, caches, brokers, mail,
/// ssh): their default probe only connects, so no HTTP request lands in their logs.
/// --http-probe-ports naming one of them sends HTTP anyway.
extern const std::vector<int> k_non_http_ports;

/// What to do with a started container (pure data, made once and used for both runs).
struct ExercisePlan {
  /// The probes to start from. For the verification run: every probe the original answered,
  /// crawled ones included (see verification_plan).
  std::vector<probe::ProbeRequest> probes;
  bool crawl = false; ///< follow links from the answers (the profiling run only)
  probe::CrawlLimits crawl_limits;
  int crawl_seconds = 60;     ///< no new crawl level starts after this
  probe::BatchSettings batch; ///< timeouts and body limits of the sidecar's batches
  /// Commands to run inside, as argv (already wrapped in `/bin/sh -c` when the image has a shell).
  std::vector<std::vector<std::string>> execs;
  std::vector<std::string> exec_labels; ///< how each exec is named in messages and the report
  /// How many of `execs` are --exec commands (the HEALTHCHECK, if any, comes after them).
  std::size_t user_execs = 0;
  /// Exit codes an --exec command may end with in the original (--exec-allow-exit; 0 always).
  std::vector<int> exec_allowed_exits = {0};
  /// Some exec needs a shell the image lacks: slim's static busybox goes in as
  /// k_probe_shell_path (profiling and verification runs only; never kept).
  bool probe_shell = false;
  std::vector<std::string> sensor_exec_options; ///< between `sensor exec` and `--` (--keep-cap)
  ContinueAfter continue_after;                 ///< never `automatic` here
  int probe_retries = 60;
  int exit_timeout_seconds = 600; ///< bound for waiting on the app's exit
};

/// The plan for the verification run: `plan` with the probes the original was really sent
/// (crawled ones, TCP fall-backs), no crawling.
ExercisePlan verification_plan(const ExercisePlan& plan, const verify::Observation& original);

/// The exposed TCP ports of an image ("80/tcp", "8080") as numbers, sorted; others are skipped.
std::vector<int> tcp_ports(const std::vector<std::string>& exposed_ports);

/// The HEALTHCHECK's command as argv (CMD or CMD-SHELL), or nullopt for none/NONE.
std::optional<std::vector<std::string>> healthcheck_argv(const nlohmann::json& healthcheck);

/// Builds the plan from the options, the probe requests (already parsed from --http-probe-cmd
/// and the file), the image's ports and healthcheck, and whether the image has /bin/sh.
ExercisePlan plan_exercise(const BuildOptions& options,
                           std::vector<probe::ProbeRequest> probe_requests,
                           const std::vector<int>& image_ports,
                           const std::optional<std::vector<std::string>>& healthcheck,
                           bool image_has_shell);

/// The last `lines` non-empty lines of an app's output on one line (joined with " | ", control
/// characters blanked, at most `max_chars` from the end) for error messages (pure, unit tested).
std::string last_output(const std::string& logs, std::size_t lines = 3,
                        std::size_t max_chars = 300);

/// Runs the plan against `target` (started). With `sensor` (the profiling run): exec commands
/// run through `/.slim/sensor exec --` so their files and syscalls are recorded; a default
/// probe whose port accepts connections but does not answer HTTP (or HTTPS) becomes a TCP
/// probe, with a warning; the crawl follows links; each answered probe is sent a second time
/// (to tell what changes between two answers of the same app). Throws slim::Error when the app
/// dies before it could be exercised, (with `sensor`) when no probe got an answer, and when an
/// explicit --http-probe-cmd got no HTTP answer. Warnings go to `warnings`.
verify::Observation exercise(engine::Client& client, ContainerRun& target, const ExercisePlan& plan,
                             const std::string& sidecar_image, bool sensor,
                             std::vector<std::string>& warnings);

} // namespace slim::pipeline
