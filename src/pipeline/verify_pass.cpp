// verify: the slim image, under its profile and without the sensor, exercised as the original
// was; every difference is named.
#include "passes.hpp"

namespace slim::pipeline {

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
  if (ctx.opt.seccomp) {
    spec.security_opt.push_back("seccomp=" + ctx.seccomp_json);
  }
  ContainerRun run(ctx.client, spec);
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
