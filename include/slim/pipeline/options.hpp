#pragma once
// Everything `slim build` and `slim profile` take from the command line, as plain data.

#include <optional>
#include <string>
#include <vector>

namespace slim::pipeline {

/// When the profiling run ends (--continue-after).
struct ContinueAfter {
  enum class Kind { automatic, probe, exec, exit, timeout, signal, enter };
  Kind kind = Kind::automatic; ///< automatic: probe when there are ports, else exit
  int seconds = 0;             ///< timeout:N, and the upper bound for `exit`
};

/// Parses `probe|exec|exit|timeout:N|signal|enter`, or a bare number of seconds (DockerSlim's
/// spelling of timeout:N); throws slim::Error on anything else.
ContinueAfter parse_continue_after(const std::string& text);

/// A `--cap-add` value as Docker's API takes it ("cap_net_admin" -> "NET_ADMIN"); throws
/// slim::Error on a malformed name or ALL (the sensor needs to know what the app gets).
std::string docker_capability(const std::string& name);

struct BuildOptions {
  std::string image;         ///< the source image (name or ID)
  bool profile_only = false; ///< `slim profile`: report + seccomp, no image

  // outputs
  std::vector<std::string> tags; ///< --tag (default REPO.slim:TAG)
  std::string report_path = "slim.report.json";
  std::string seccomp_path;             ///< --seccomp-profile (default REPO-seccomp.json)
  bool seccomp = true;                  ///< false with --no-seccomp
  std::string output_tar;               ///< --output-tar: write the image there instead of loading
  std::string output_format = "docker"; ///< docker | oci
  bool output_json = false; ///< --output json: the result as one JSON document on stdout

  // the seccomp profile (README "Seccomp profiles")
  std::string seccomp_baseline = "harmless"; ///< --seccomp-baseline: harmless | none
  std::string seccomp_action = "errno";      ///< --seccomp-action: errno | log
  std::string seccomp_format = "docker";     ///< --seccomp-format: docker | oci | kubernetes

  // exercising the app
  std::optional<bool> http_probe;           ///< --http-probe / --http-probe=false
  std::vector<std::string> http_probe_cmds; ///< 'METHOD /path'
  std::string http_probe_cmd_file;
  std::vector<int> http_probe_ports;
  std::vector<int> tcp_probe_ports; ///< --tcp-probe-ports: only connected to, never sent HTTP
  bool http_crawl = true;           ///< --http-crawl: follow same-origin links of probed pages
  int http_crawl_max_depth = 3;
  int http_crawl_max_pages = 1000;
  int http_crawl_seconds = 60;        ///< the crawl's time bound
  std::vector<std::string> exec_cmds; ///< --exec
  std::vector<int> exec_allow_exits;  ///< --exec-allow-exit: more exit codes an --exec may end with
  ContinueAfter continue_after;
  bool show_clogs = false;
  int stop_timeout = 10;          ///< --stop-timeout: seconds between the stop signal and SIGKILL
  bool allow_app_failure = false; ///< --allow-app-failure: a non-zero exit of its own is no error
  int probe_retries = 60;         ///< bounded wait for the port (0.5 s apart)

  // the profiling run
  std::vector<std::string> env; ///< KEY=VALUE
  std::optional<std::string> workdir, user, network;
  std::optional<std::vector<std::string>> entrypoint, cmd;
  std::vector<std::string> mounts; ///< SRC:DST[:ro]
  /// --cap-add: capabilities the app gets in production (as docker_capability() spells them);
  /// the profiling container gets them and the sensor leaves them to the app.
  std::vector<std::string> cap_add;
  std::string sensor_mode = "both";
  std::string sensor_path; ///< host path of the static sensor binary

  // where the image's files are read from: "pristine" (a container of the image in which
  // nothing runs) or "export" (GET /images/{name}/get), which give the same image, or "compare"
  // (both; an error unless their keep sets and layers are the same)
  std::string source = "pristine";

  // what to keep
  std::vector<std::string> include_paths, include_bins, exclude_patterns;
  std::vector<std::string> include_exes; ///< --include-exe: program names on the image's PATH
  bool include_cert_all = false;         ///< --include-cert-all: keep::k_cert_paths
  bool include_zoneinfo = false;         ///< --include-zoneinfo: keep::k_zoneinfo_paths
  std::string copy_meta_artifacts;       ///< --copy-meta-artifacts: copy reports there too
  bool include_shell = false;

  // the new image
  std::optional<std::vector<std::string>> new_entrypoint, new_cmd;
  std::vector<std::string> new_env, new_labels, new_expose;
  std::optional<std::string> new_workdir;

  bool verify = true;
  bool verify_strict = false; ///< --verify-strict: byte-exact comparison, no drift tolerated
  bool keep_temp = false;
};

} // namespace slim::pipeline
