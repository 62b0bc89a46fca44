// verify: the slim image, under its profile and without the sensor, exercised as the original
// was; every difference is named.
#include "host_files.hpp"
#include "passes.hpp"
#include "slim/engine/engine_kind.hpp"

#include <filesystem>

namespace slim::pipeline {

namespace {

/// How this engine takes the profile; throws the remote-Podman error line.
engine::SeccompDelivery seccomp_delivery(const engine::Client& client) {
  auto delivery = engine::seccomp_delivery(
      client.engine(), client.endpoint().kind == engine::Endpoint::Kind::unix_socket,
      client.endpoint().display);
  if (!delivery) {
    throw Error(delivery.error());
  }
  return delivery.value();
}

} // namespace

void check_verify_engine(const Context& ctx) {
  if (!ctx.opt.profile_only && ctx.opt.verify && ctx.opt.seccomp) {
    (void)seccomp_delivery(ctx.client);
  }
}

void verify_pass(Context& ctx) {
  ContainerSpec spec{.image = ctx.result_id,
                     .entrypoint = ctx.opt.new_entrypoint ? std::nullopt : ctx.opt.entrypoint,
                     .cmd = ctx.opt.new_cmd || ctx.opt.new_entrypoint ? std::nullopt : ctx.opt.cmd,
                     .env = ctx.opt.env,
                     .user = ctx.opt.user,
                     .workdir = ctx.opt.workdir,
                     .network = ctx.opt.network.value_or("none"),
                     .cap_add = ctx.opt.cap_add, // what production gives it (--cap-add)
                     .binds = ctx.opt.mounts,
                     .role = "verify"};
  std::string profile_file; // Podman reads the profile from a file on its host
  if (ctx.opt.seccomp) {
    if (seccomp_delivery(ctx.client) == engine::SeccompDelivery::host_file) {
      profile_file = std::filesystem::absolute(ctx.tmp->path() / "verify-seccomp.json").string();
      write_host_file(profile_file, ctx.seccomp_json);
      spec.security_opt.push_back("seccomp=" + profile_file);
    } else {
      spec.security_opt.push_back("seccomp=" + ctx.seccomp_json);
    }
  }
  std::optional<ContainerRun> created;
  try {
    created.emplace(ctx.client, spec);
  } catch (const engine::EngineError& e) {
    if (profile_file.empty() || !engine::is_seccomp_file_error(e.what())) {
      throw;
    }
    // A unix socket that leads to another machine (a VM's forwarded socket).
    throw Error(engine::engine_name(ctx.client.engine()) + " at `" + ctx.client.endpoint().display +
                "` cannot open the profile slim wrote to `" + profile_file +
                "` (is the engine on another machine?): " + e.what() +
                "; run slim on the engine's host, or skip the verification with --no-verify");
  }
  ContainerRun& run = *created;
  if (ctx.plan.probe_shell) {
    // The exec probes' shell again (the slim image, like the original, has none); only in this
    // container, never in the image.
    run.put_slim_file(k_probe_shell_name, ctx.probe_shell_bytes, 0755);
  }
  run.start();
  try {
    ctx.verified = exercise(ctx.client, run, verification_plan(ctx.plan, ctx.original), ctx.sidecar,
                            false, ctx.warnings);
  } catch (const Error& e) {
    // The slim image died or could not be exercised: that is a verification failure.
    ctx.verified = verify::Observation{};
    ctx.differences.push_back({"the slim image's run", "ran", e.what()});
    std::string last = last_output(run.logs(20), 10, 2000);
    if (!last.empty()) {
      ctx.warnings.push_back("the slim image's last output: " + last);
    }
    return;
  }
  ctx.verified->logs = run.logs(k_compared_log_lines);
  auto comparison = verify::compare_observations(
      ctx.original, *ctx.verified, verify::CompareOptions{.strict = ctx.opt.verify_strict});
  for (auto& d : comparison.differences) {
    ctx.differences.push_back(std::move(d));
  }
  ctx.drift = std::move(comparison.drift);
}

} // namespace slim::pipeline
