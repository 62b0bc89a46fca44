// `slim build` and `slim profile`: the option table; the work is in slim/pipeline.
#include "common.hpp"
#include "compat_options.hpp"
#include "slim/pipeline/options.hpp"
#include "slim/pipeline/pipeline.hpp"
#include "slim/pipeline/summary.hpp"
#include "slim/util/shell_words.hpp"

#include <memory>
#include <vector>

namespace slim::cli {

namespace {

// Options shared by build and profile: how the app is run and exercised.
void add_run_options(CLI::App* cmd, pipeline::BuildOptions& o, std::string& continue_after,
                     std::string& entrypoint, std::string& command, bool& probe_on,
                     bool& probe_off) {
  auto* positional =
      cmd->add_option("IMAGE", o.image, "the image to minimise (name, name:tag or ID)");
  auto* target =
      cmd->add_option("--target", o.image, "the image to minimise (DockerSlim's spelling)");
  positional->excludes(target);
  target->excludes(positional);
  cmd->add_option("--report", o.report_path,
                  "where to write the JSON report (the HTML report goes beside it, .html)")
      ->capture_default_str();
  cmd->add_option_function<std::string>(
      "--output",
      [&o](const std::string& v) {
        if (v != "json" && v != "text") {
          throw CLI::ValidationError("--output", "expected json or text");
        }
        o.output_json = v == "json";
      },
      "text (default) or json: the result as one JSON document on stdout (exit code, "
      "verdict, sizes, differences, files)");
  cmd->add_option("--seccomp-profile", o.seccomp_path,
                  "where to write the seccomp profile (default: REPO-seccomp.json)");
  // One callback for all spellings: --http-probe, --no-http-probe, --http-probe=false (CLI11
  // sums them: positive on, negative off, zero when both were given).
  cmd->add_flag_function(
         "--http-probe,!--no-http-probe",
         [&probe_on, &probe_off](std::int64_t n) {
           probe_on = n >= 0;
           probe_off = n <= 0;
         },
         "probe the app over HTTP (default when the image exposes ports); --http-probe=false "
         "or --no-http-probe does not")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--http-probe-cmd", o.http_probe_cmds,
                  "a probe request: 'METHOD /path' (repeatable); runs against every probe port");
  cmd->add_option("--http-probe-cmd-file", o.http_probe_cmd_file,
                  "a JSON file of probe requests ({\"commands\":[{\"method\",\"resource\",...}]})");
  cmd->add_option("--http-probe-ports", o.http_probe_ports,
                  "TCP ports to probe (default: the image's exposed TCP ports)")
      ->delimiter(',');
  cmd->add_option("--tcp-probe-ports", o.tcp_probe_ports,
                  "ports that do not speak HTTP: only connected to, never sent HTTP (default: "
                  "well-known database, cache and broker ports such as 5432 and 6379)")
      ->delimiter(',');
  cmd->add_flag("--http-crawl,--http-probe-crawl,!--no-http-crawl", o.http_crawl,
                "follow same-origin links (HTML, CSS, redirects) from probed pages: GET only, "
                "breadth first (default on; --http-crawl=false turns it off)");
  cmd->add_option("--http-crawl-max-depth", o.http_crawl_max_depth,
                  "how many links deep the crawl goes")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--http-crawl-max-page-count", o.http_crawl_max_pages,
                  "how many pages the crawl requests at most")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--http-crawl-timeout", o.http_crawl_seconds,
                  "seconds after which the crawl starts no new level")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--exec", o.exec_cmds,
                  "a command to run inside the container while it is watched (repeatable); "
                  "shell syntax runs through the image's /bin/sh, or slim's own busybox sh "
                  "when the image has none");
  cmd->add_option("--exec-allow-exit", o.exec_allow_exits,
                  "an exit code an --exec command may end with in the original besides 0 "
                  "(repeatable; for probes that check a failure)");
  cmd->add_option("--continue-after", continue_after,
                  "when to end the run: probe, exec, exit, timeout:N (or N seconds), signal or "
                  "enter (default: probe when probing, exec with --exec, 10 s for a server that is "
                  "not probed, else exit)");
  cmd->add_flag("--show-clogs", o.show_clogs, "show the app's output after the run");
  cmd->add_option("--stop-timeout", o.stop_timeout,
                  "seconds the app gets to stop after the stop signal before SIGKILL (default 10)")
      ->check(CLI::Range(0, 3600));
  cmd->add_flag("--allow-app-failure", o.allow_app_failure,
                "build even when the app exits non-zero by itself (e.g. a CLI printing its help)");
  cmd->add_option("--probe-retries", o.probe_retries,
                  "connection attempts (0.5 s apart) while waiting for the app's port")
      ->capture_default_str();
  cmd->add_option("-e,--env", o.env, "KEY=VALUE for the profiling run (repeatable)");
  cmd->add_option("--workdir", o.workdir, "working directory for the profiling run");
  cmd->add_option("--user", o.user, "user for the profiling run (default: the image's USER)");
  cmd->add_option("--entrypoint", entrypoint, "override the image's ENTRYPOINT (shell words)");
  cmd->add_option("--cmd", command, "override the image's CMD (shell words)");
  cmd->add_option("--network", o.network, "network for the profiling run: none (default) or host");
  cmd->add_option("--mount", o.mounts,
                  "SRC:DST[:ro] host path or named volume the app needs while profiling; "
                  "never copied into the image (repeatable)");
  cmd->add_option("--cap-add", o.cap_add,
                  "a capability the app has in production, as docker run --cap-add (repeatable)");
  cmd->add_option("--sensor-mode", o.sensor_mode, "both, fanotify or ptrace")
      ->check(CLI::IsMember({"both", "fanotify", "ptrace"}))
      ->capture_default_str();
  cmd->add_option("--sensor", o.sensor_path,
                  "the static sensor binary (default: SLIM_SENSOR, else next to slim)");
  cmd->add_flag("--keep-temp", o.keep_temp, "keep the temporary directory (for debugging)");
}

// One value per occurrence (repeat the flag, or use commas where allowed): otherwise a list
// option would swallow the IMAGE that follows it (`--http-probe-ports 80 myapp:1`), since IMAGE
// is not required when --target gives it.
void one_value_per_flag(CLI::App* cmd) {
  for (auto* opt : cmd->get_options()) {
    if (opt->get_positional() || opt->get_expected_min() == 0) {
      continue;
    }
    opt->allow_extra_args(false);
  }
}

void finish_options(pipeline::BuildOptions& o, const std::string& continue_after,
                    const std::string& entrypoint, const std::string& command, bool probe_on,
                    bool probe_off) {
  if (o.image.empty()) {
    throw Error("no image given: slim build IMAGE (or --target IMAGE)");
  }
  if (!continue_after.empty()) {
    o.continue_after = pipeline::parse_continue_after(continue_after);
  }
  if (!entrypoint.empty()) {
    o.entrypoint = split_words(entrypoint);
  }
  if (!command.empty()) {
    o.cmd = split_words(command);
  }
  if (probe_on && probe_off) {
    throw Error("--http-probe and --no-http-probe contradict each other");
  }
  if (probe_on || probe_off) {
    o.http_probe = probe_on;
  }
  for (auto& cap : o.cap_add) {
    cap = pipeline::docker_capability(cap);
  }
}

// The seccomp profile's options (build and profile); returned so --no-seccomp can exclude them.
std::vector<CLI::Option*> add_seccomp_options(CLI::App* cmd, pipeline::BuildOptions& o) {
  return {
      cmd->add_option("--seccomp-baseline", o.seccomp_baseline,
                      "harmless: also allow the calls that need no privilege and touch nothing "
                      "outside the process (identity getters, clocks, exit, ...: README); none: "
                      "only the calls seen")
          ->check(CLI::IsMember({"harmless", "none"}))
          ->capture_default_str(),
      cmd->add_option("--seccomp-action", o.seccomp_action,
                      "what a call outside the profile gets: errno (EPERM) or log (allowed and "
                      "logged by the kernel, for a staged rollout: `slim seccomp explain`)")
          ->check(CLI::IsMember({"errno", "log"}))
          ->capture_default_str(),
      cmd->add_option("--seccomp-format", o.seccomp_format,
                      "docker (docker/podman --security-opt seccomp=FILE), oci (config.json's "
                      "linux.seccomp) or kubernetes (a security-profiles-operator SeccompProfile)")
          ->check(CLI::IsMember({"docker", "oci", "kubernetes"}))
          ->capture_default_str()};
}

// run_build, and for an error that came before any report, the same outputs CI reads
// (--output json, GITHUB_STEP_SUMMARY) with the error; the error itself still ends the run.
int build_and_publish(const GlobalOptions& global, const pipeline::BuildOptions& opts) {
  try {
    auto client = connect_engine(global);
    return pipeline::run_build(client, opts);
  } catch (const Error& e) {
    if (e.exit_code() != 2) { // 2: verification failed, published with its report
      pipeline::publish_result(opts, pipeline::error_document(opts.image, e.what(), e.exit_code()));
    }
    throw;
  }
}

} // namespace

void register_build(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto state = std::make_shared<pipeline::BuildOptions>();
  struct Extra {
    std::string continue_after, entrypoint, cmd, new_entrypoint, new_cmd;
    bool probe_on = false, probe_off = false, no_seccomp = false, no_verify = false, verify = false;
    CompatState compat;
  };
  auto extra = std::make_shared<Extra>();
  auto* cmd = app.add_subcommand(
      "build", "run IMAGE once with the sensor inside, keep only the files it uses, write "
               "REPO.slim:TAG and a seccomp profile, and verify the new image");
  auto& o = *state;
  add_run_options(cmd, o, extra->continue_after, extra->entrypoint, extra->cmd, extra->probe_on,
                  extra->probe_off);
  cmd->add_option("-t,--tag", o.tags, "name of the new image (repeatable; default REPO.slim:TAG)");
  auto* no_seccomp = cmd->add_flag("--no-seccomp", extra->no_seccomp,
                                   "write no seccomp profile and verify without one");
  for (auto* option : add_seccomp_options(cmd, o)) {
    no_seccomp->excludes(option);
  }
  cmd->add_option("--output-tar", o.output_tar,
                  "write the new image to this tar instead of loading it into the engine");
  cmd->add_option("--format", o.output_format, "format of --output-tar: docker or oci")
      ->check(CLI::IsMember({"docker", "oci"}))
      ->capture_default_str();
  cmd->add_option("--source", o.source,
                  "where the image's files are read from: pristine (a container of the image in "
                  "which nothing runs; costs what is kept), export (the whole image, as "
                  "`docker save` gives it) or compare (both, and an error unless they give the "
                  "same layer)")
      ->check(CLI::IsMember({"pristine", "export", "compare"}))
      ->capture_default_str();
  cmd->add_option("--include-path", o.include_paths,
                  "keep this file or directory tree too (repeatable)");
  cmd->add_option("--include-bin", o.include_bins,
                  "keep this binary and its shared libraries (repeatable)");
  cmd->add_flag("--include-shell", o.include_shell, "keep /bin/sh and what it needs");
  cmd->add_option("--exclude-pattern", o.exclude_patterns,
                  "never keep paths matching this glob (`**` crosses directories; repeatable)");
  cmd->add_option("--new-entrypoint", extra->new_entrypoint, "ENTRYPOINT of the new image");
  cmd->add_option("--new-cmd", extra->new_cmd, "CMD of the new image");
  cmd->add_option("--new-env", o.new_env, "KEY=VALUE added to the new image's environment");
  cmd->add_option("--new-label", o.new_labels, "KEY=VALUE label of the new image");
  cmd->add_option("--new-expose", o.new_expose, "PORT[/PROTO] the new image exposes");
  cmd->add_option("--new-workdir", o.new_workdir, "working directory of the new image");
  cmd->add_flag("--verify", extra->verify, "run the new image and compare its answers (default)");
  cmd->add_flag("--no-verify", extra->no_verify, "skip the verification run");
  cmd->add_flag("--verify-strict", o.verify_strict,
                "compare byte for byte: no drift (times, ids, counters) is tolerated");
  add_compat_run_options(cmd, o, extra->compat);
  add_compat_build_options(cmd, o, extra->compat);
  one_value_per_flag(cmd);
  cmd->callback([&global, &exit_code, state, extra] {
    auto& opts = *state;
    finish_options(opts, extra->continue_after, extra->entrypoint, extra->cmd, extra->probe_on,
                   extra->probe_off);
    finish_compat_options(opts, extra->compat);
    if (!extra->new_entrypoint.empty()) {
      opts.new_entrypoint = split_words(extra->new_entrypoint);
    }
    if (!extra->new_cmd.empty()) {
      opts.new_cmd = split_words(extra->new_cmd);
    }
    opts.seccomp = !extra->no_seccomp;
    opts.verify = !extra->no_verify;
    exit_code = build_and_publish(global, opts);
  });
}

void register_profile(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto state = std::make_shared<pipeline::BuildOptions>();
  struct Extra {
    std::string continue_after, entrypoint, cmd;
    bool probe_on = false, probe_off = false;
    CompatState compat;
  };
  auto extra = std::make_shared<Extra>();
  auto* cmd = app.add_subcommand(
      "profile", "run IMAGE once with the sensor inside and write the file report and the "
                 "seccomp profile, without making an image");
  add_run_options(cmd, *state, extra->continue_after, extra->entrypoint, extra->cmd,
                  extra->probe_on, extra->probe_off);
  add_seccomp_options(cmd, *state);
  add_compat_run_options(cmd, *state, extra->compat);
  one_value_per_flag(cmd);
  cmd->callback([&global, &exit_code, state, extra] {
    auto& opts = *state;
    finish_options(opts, extra->continue_after, extra->entrypoint, extra->cmd, extra->probe_on,
                   extra->probe_off);
    finish_compat_options(opts, extra->compat);
    opts.profile_only = true;
    opts.verify = false;
    exit_code = build_and_publish(global, opts);
  });
}

} // namespace slim::cli
