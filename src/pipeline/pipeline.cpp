// The `slim build` pipeline: one context, a straight list of timed passes (each in passes.hpp).
#include "slim/pipeline/pipeline.hpp"

#include "passes.hpp"
#include "tag_rollback.hpp"

#include <cstdio>
#include <exception>
#include <future>

namespace slim::pipeline {

namespace {

std::string human_size(std::int64_t bytes) {
  char buf[32];
  if (bytes >= (1 << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(bytes) / 1e3);
  }
  return buf;
}
} // namespace

int run_build(engine::Client& client, const BuildOptions& options) {
  Context ctx{.client = client, .opt = options};
  auto started = Clock::now();
  check_verify_engine(ctx);
  pass(ctx, "inspect", [&] { inspect_pass(ctx); });
  ctx.tmp.emplace("build");
  if (options.keep_temp) {
    ctx.tmp->release();
    SLIM_INFO("keeping the temporary directory {}", ctx.tmp->path().string());
  }
  // The export is the longest pass of slim's own and does not depend on the run, so it goes on
  // while the app is profiled (planning asks the engine whether the image has a shell, it
  // does not wait for the export). Declared after ctx: it is joined before the temp dir goes.
  std::future<image::SourceImage> exporting = std::async(
      std::launch::async, export_source, std::cref(client), ctx.source_id, ctx.tmp->path());
  // When the run fails while the export still goes on, stop the export instead of waiting for
  // it (minutes for a large image): slim is ending with that error anyway. Declared after the
  // future, so this runs before the future's destructor waits for the thread.
  struct StopExportOnError {
    std::future<image::SourceImage>& exporting;
    int uncaught = std::uncaught_exceptions();
    ~StopExportOnError() {
      if (std::uncaught_exceptions() > uncaught && exporting.valid()) {
        cancel::request();
      }
    }
  } stop_export{exporting};
  prepare_run(ctx);
  run_and_exercise(ctx);
  // Only the time still spent waiting for the export is counted here.
  pass(ctx, "export", [&] { ctx.source = exporting.get(); });
  SLIM_INFO("exported {} ({} layers, {} paths)", options.image, ctx.source.layers.size(),
            ctx.source.index.size());
  TagRollback rollback(ctx);
  if (!options.profile_only) {
    pass(ctx, "keep", [&] { keep_pass(ctx); });
    write_and_load(ctx, rollback);
  }
  if (options.seccomp) {
    pass(ctx, "seccomp", [&] { seccomp_pass(ctx); });
  }
  if (!options.profile_only && options.verify) {
    pass(ctx, "verify", [&] { verify_pass(ctx); });
  }
  pass(ctx, "report", [&] { report_pass(ctx); });
  // Built and reported: the image stays, also when verification found differences (exit 2;
  // the report names them and the image is there to look at).
  rollback.disarm();
  for (const auto& w : ctx.warnings) {
    SLIM_WARN("{}", w);
  }
  double total = std::chrono::duration<double>(Clock::now() - started).count();
  if (options.profile_only) {
    std::printf("profiled %s in %.1f s: %zu files, %zu syscalls; report %s%s%s\n",
                options.image.c_str(), total, ctx.report.files.size(), ctx.report.syscalls.size(),
                options.report_path.c_str(), options.seccomp ? ", seccomp profile " : "",
                options.seccomp ? ctx.seccomp_path.c_str() : "");
    return 0;
  }
  double ratio = ctx.result_size > 0
                     ? static_cast<double>(ctx.source_size) / static_cast<double>(ctx.result_size)
                     : 0;
  std::printf("%s: %s -> %s (%s, %.1fx smaller) in %.1f s\n", ctx.tags.front().c_str(),
              human_size(ctx.source_size).c_str(), human_size(ctx.result_size).c_str(),
              ctx.result_id.substr(0, 19).c_str(), ratio, total);
  std::printf("report: %s%s%s\n", options.report_path.c_str(),
              options.seccomp ? "; seccomp profile: " : "",
              options.seccomp ? ctx.seccomp_path.c_str() : "");
  auto print_drift = [&ctx](std::FILE* to) {
    for (const auto& d : ctx.drift) {
      std::fprintf(to, "  tolerated as drift: %s: %s\n", d.what.c_str(), d.how.c_str());
    }
  };
  if (!ctx.differences.empty()) {
    for (const auto& d : ctx.differences) {
      std::fprintf(stderr, "slim: verify: %s: original %s, slim image %s\n", d.what.c_str(),
                   d.original.c_str(), d.result.c_str());
      if (!d.diff.empty()) {
        std::fprintf(stderr, "  diff: %s\n", d.diff.c_str());
      }
    }
    print_drift(stderr);
    throw Error("verification failed: the slim image `" + ctx.tags.front() +
                    "` answered differently in " + std::to_string(ctx.differences.size()) +
                    " way(s) (see above and " + options.report_path + ")",
                2);
  }
  if (options.verify) {
    std::printf("verified: %zu probe(s), %zu exec(s)%s behave the same%s\n",
                ctx.original.probes.size(), ctx.plan.execs.size(),
                ctx.original.app_exit ? " and the exit status" : "",
                options.seccomp ? " under the seccomp profile" : "");
    print_drift(stdout);
  }
  return 0;
}

} // namespace slim::pipeline
