// The profiling run: the target container with the sensor as PID 1, exercised, then stopped;
// its report read back as untrusted input.
#include "host_files.hpp"
#include "passes.hpp"
#include "slim/pipeline/naming.hpp"
#include "slim/pipeline/sidecar.hpp"
#include "slim/probe/probe_spec.hpp"
#include "slim/util/shell_words.hpp"

#include <algorithm>
#include <cstdio>

namespace slim::pipeline {

namespace {

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& w : argv) {
    out += (out.empty() ? "" : " ") + shell_quote(w);
  }
  return out;
}

// -- passes ------------------------------------------------------------------------------------

std::vector<probe::ProbeRequest> probe_requests(const BuildOptions& opt) {
  std::vector<probe::ProbeRequest> out;
  for (const auto& spec : opt.http_probe_cmds) {
    out.push_back(probe::to_probe_request(probe::parse_probe_cmd(spec)));
  }
  if (!opt.http_probe_cmd_file.empty()) {
    for (const auto& spec : probe::parse_probe_cmd_file(read_host_file(opt.http_probe_cmd_file))) {
      out.push_back(probe::to_probe_request(spec));
    }
  }
  return out;
}

// The capabilities the sensor takes from the app unless told to keep them.
bool sensor_only(const std::string& cap) {
  return cap == "SYS_ADMIN" || cap == "SYS_PTRACE";
}

// What of its own the sensor must leave to the app (the user's --cap-add), as `--keep-cap`.
std::vector<std::string> keep_cap_options(const BuildOptions& opt) {
  std::vector<std::string> out;
  for (const auto& cap : opt.cap_add) {
    if (sensor_only(cap)) {
      out.insert(out.end(), {"--keep-cap", cap});
    }
  }
  return out;
}

// The profiling container: the user's capabilities plus what the sensor alone needs (it takes
// those from the app before its exec), no seccomp or AppArmor profile of the engine's (the
// sensor needs mount, fanotify and ptrace; the app runs under Docker's default seccomp
// policy, installed by the sensor), no HEALTHCHECK by the engine (it runs under the sensor).
ContainerSpec target_spec(const Context& ctx) {
  const auto& cfg = ctx.inspect["Config"];
  std::vector<std::string> cmd = {"run", "--mode", ctx.opt.sensor_mode};
  auto keep = keep_cap_options(ctx.opt);
  cmd.insert(cmd.end(), keep.begin(), keep.end());
  std::vector<std::string> caps = {"SYS_ADMIN", "SYS_PTRACE"};
  for (const auto& cap : ctx.opt.cap_add) {
    if (std::find(caps.begin(), caps.end(), cap) == caps.end()) {
      caps.push_back(cap);
    }
  }
  std::string user = ctx.opt.user.value_or(cfg.value("User", ""));
  if (!user.empty()) {
    cmd.insert(cmd.end(), {"--user", user});
  }
  if (ctx.opt.workdir) {
    cmd.insert(cmd.end(), {"--workdir", *ctx.opt.workdir});
  }
  std::string stop_signal = cfg.value("StopSignal", "");
  if (!stop_signal.empty()) {
    cmd.insert(cmd.end(), {"--stop-signal", stop_signal});
  }
  cmd.insert(cmd.end(), {"--stop-grace", std::to_string(ctx.opt.stop_timeout)});
  cmd.emplace_back("--");
  cmd.insert(cmd.end(), ctx.argv.begin(), ctx.argv.end());
  return ContainerSpec{.image = ctx.source_id,
                       .entrypoint = std::vector<std::string>{k_sensor_path},
                       .cmd = cmd,
                       .env = ctx.opt.env,
                       .user = "0:0",
                       .workdir = ctx.opt.workdir,
                       .network = ctx.opt.network.value_or("none"),
                       .cap_add = caps,
                       .security_opt = {"seccomp=unconfined", "apparmor=unconfined"},
                       .binds = ctx.opt.mounts,
                       .role = "target",
                       .no_healthcheck = true};
}

// True when the image has a /bin/sh that leads to a regular file (asked of the created, not yet
// started target container, so planning needs no export).
bool image_has_shell(engine::Client& client, const ContainerRun& target) {
  auto st = client.stat_path(target.id(), "/bin/sh");
  for (int hops = 0; st && st->is_symlink() && hops < 8; ++hops) {
    st = st->link_target.empty() ? std::nullopt : client.stat_path(target.id(), st->link_target);
  }
  return st && st->is_regular();
}

// The exercise plan, made once the target container exists: whether the image has a shell
// decides how --exec and CMD-SHELL health checks run.
void plan_run(Context& ctx, const ContainerRun& target) {
  const auto& cfg = ctx.inspect["Config"];
  auto ports = tcp_ports([&] {
    std::vector<std::string> p;
    if (cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object()) {
      for (const auto& [k, v] : cfg["ExposedPorts"].items()) {
        p.push_back(k);
      }
    }
    return p;
  }());
  ctx.plan = plan_exercise(ctx.opt, probe_requests(ctx.opt), ports,
                           healthcheck_argv(cfg.value("Healthcheck", nlohmann::json())),
                           image_has_shell(ctx.client, target));
  ctx.plan.sensor_exec_options = keep_cap_options(ctx.opt);
  if (ctx.plan.probe_shell) {
    ctx.probe_shell_bytes = read_host_file(find_probe_shell(ctx.sensor_path));
  }
  if (!ctx.plan.probes.empty()) {
    ctx.sidecar = ensure_sidecar_image(ctx.client, ctx.sensor_bytes);
  }
}

} // namespace

void prepare_run(Context& ctx) {
  if (ctx.sensor_bytes.empty()) {
    ctx.sensor_path = find_sensor(ctx.opt.sensor_path);
    ctx.sensor_bytes = read_host_file(ctx.sensor_path);
  }
  for (const auto& cap : ctx.opt.cap_add) {
    if (sensor_only(cap)) {
      ctx.warnings.push_back("--cap-add " + cap +
                             ": the app may take over the sensor (which holds CAP_SYS_ADMIN) "
                             "while it is profiled; profile such an image only if you trust it");
    }
  }
}

void run_and_exercise(Context& ctx) {
  ContainerRun target(ctx.client, target_spec(ctx));
  plan_run(ctx, target);
  target.put_sensor(ctx.sensor_bytes);
  if (ctx.plan.probe_shell) {
    target.put_slim_file(k_probe_shell_name, ctx.probe_shell_bytes, 0755);
  }
  pass(ctx, "run", [&] { target.start(); });
  pass(ctx, "exercise", [&] {
    ctx.original = exercise(ctx.client, target, ctx.plan, ctx.sidecar, true, ctx.warnings);
  });
  pass(ctx, "stop", [&] {
    // An app that ended before we told it to stop ended on its own: a failure is the app's.
    bool ended_on_its_own = !target.running();
    if (!ended_on_its_own) {
      auto r = target.exec({k_sensor_path, "ctl", "stop"});
      if (r.exit_code != 0) {
        ctx.warnings.push_back("`sensor ctl stop` failed: " + r.err);
      }
    }
    // The grace period, then the report: a minute is plenty for the latter.
    int limit = ctx.opt.stop_timeout + 60;
    auto status = target.wait(std::chrono::seconds(limit));
    if (!status) {
      throw Error("the sensor in container `" + target.id().substr(0, 12) +
                  "` did not finish within " + std::to_string(limit) +
                  " s after it was told to stop");
    }
    if (!ctx.original.app_exit && ctx.plan.continue_after.kind == ContinueAfter::Kind::exit) {
      ctx.original.app_exit = *status;
    }
    ctx.app_logs = target.logs(k_compared_log_lines);
    ctx.original.logs = ctx.app_logs;
    std::string last = last_output(ctx.app_logs);
    std::string text;
    try {
      text = target.read_file(k_report_path, k_report_max_bytes);
    } catch (const engine::EngineError& e) {
      throw Error("the sensor in container `" + target.id().substr(0, 12) +
                  "` ended without a report (exit status " + std::to_string(*status) +
                  "; was it killed?)" + (last.empty() ? "" : "; the last output: " + last));
    }
    ctx.report = keep::parse_sensor_report(text).value();
    for (const auto& w : ctx.report.warnings) {
      ctx.warnings.push_back("sensor: " + w);
    }
    if (!ctx.report.denied_syscalls.empty()) {
      std::string names;
      for (const auto& n : ctx.report.denied_syscalls) {
        names += (names.empty() ? "" : ", ") + n;
      }
      ctx.warnings.push_back("denied while profiling (Docker's default seccomp profile refuses "
                             "them; not in the generated profile): " +
                             names);
    }
    int app_status = ctx.report.exit_status.value_or(*status);
    if (ended_on_its_own && app_status != 0) {
      // A failed run shows only the files of the way to its failure: no image from it, unless
      // failing is what the app does (a CLI whose default command prints help and exits 1).
      std::string what = "the app `" + shell_join(ctx.argv) + "` failed with exit status " +
                         std::to_string(app_status) + " during the profiling run";
      if (!ctx.opt.allow_app_failure) {
        throw Error(what + (last.empty() ? " and printed nothing" : "; its last output: " + last) +
                    " (--allow-app-failure builds anyway)");
      }
      ctx.warnings.push_back(what);
    }
  });
  if (ctx.opt.show_clogs) {
    std::fprintf(stderr, "--- the app's output ---\n%s--- end ---\n", ctx.app_logs.c_str());
  }
}

} // namespace slim::pipeline
