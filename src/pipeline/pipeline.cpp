// The `slim build` pipeline: one context, a straight list of timed passes (each in passes.hpp).
#include "slim/pipeline/pipeline.hpp"

#include "host_files.hpp"
#include "passes.hpp"
#include "slim/pipeline/naming.hpp"
#include "slim/pipeline/summary.hpp"
#include "tag_rollback.hpp"

#include <cstdio>
#include <cstdlib>
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
  // The source of the files (the pristine container's index, or the export) does not depend on
  // the run, so it is read while the app is profiled (planning asks the engine whether the
  // image has a shell, it waits for neither). Declared after ctx: it is joined before the temp
  // dir goes. `slim profile` needs no files.
  std::future<std::unique_ptr<FileSource>> opening;
  std::future<std::unique_ptr<FileSource>> checking; // --source compare: the export too
  auto source_started = Clock::now();
  ctx.sensor_path = find_sensor(options.sensor_path);
  ctx.sensor_bytes = read_host_file(ctx.sensor_path);
  if (!options.profile_only) {
    SourceRequest request{.image_id = ctx.source_id,
                          .view = {.created = image::created_seconds(ctx.config.created),
                                   .volumes = ctx.config.config.volumes},
                          .work_dir = ctx.tmp->path(),
                          .sensor_bytes = ctx.sensor_bytes};
    std::string kind = options.source == "export" ? "export" : "pristine";
    opening = std::async(std::launch::async, open_source, std::cref(client), kind, request);
    if (options.source == "compare") {
      checking = std::async(std::launch::async, open_source, std::cref(client),
                            std::string("export"), request);
    }
  }
  // When the run fails while a source is still being read, stop it instead of waiting for it
  // (minutes for a large export): slim is ending with that error anyway. Declared after the
  // futures, so this runs before their destructors wait for the threads.
  struct StopSourcesOnError {
    std::future<std::unique_ptr<FileSource>>& opening;
    std::future<std::unique_ptr<FileSource>>& checking;
    int uncaught = std::uncaught_exceptions();
    ~StopSourcesOnError() {
      if (std::uncaught_exceptions() > uncaught && (opening.valid() || checking.valid())) {
        cancel::request();
      }
    }
  } stop_sources{opening, checking};
  prepare_run(ctx);
  run_and_exercise(ctx);
  if (!options.profile_only) {
    // Only the time still spent waiting for a source is counted as its pass.
    pass(ctx, options.source == "export" ? "export" : "source", [&] { ctx.files = opening.get(); });
    if (checking.valid()) {
      pass(ctx, "export", [&] { ctx.check_files = checking.get(); });
    }
    for (const auto& w : ctx.files->warnings()) {
      ctx.warnings.push_back(w);
    }
    SLIM_INFO("read the index of {} ({} paths, {}, {:.2f} s after the start)", options.image,
              ctx.files->index().size(), options.source,
              std::chrono::duration<double>(Clock::now() - source_started).count());
  }
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
  // With --output json stdout carries only the result document: the human lines go to stderr.
  std::FILE* human = options.output_json ? stderr : stdout;
  int code = ctx.differences.empty() ? 0 : 2;
  if (options.profile_only) {
    std::fprintf(human, "profiled %s in %.1f s: %zu files, %zu syscalls; report %s%s%s\n",
                 options.image.c_str(), total, ctx.report.files.size(), ctx.report.syscalls.size(),
                 options.report_path.c_str(), options.seccomp ? ", seccomp profile " : "",
                 options.seccomp ? ctx.seccomp_path.c_str() : "");
  } else {
    double ratio = ctx.result_size > 0
                       ? static_cast<double>(ctx.source_size) / static_cast<double>(ctx.result_size)
                       : 0;
    std::fprintf(human, "%s: %s -> %s (%s, %.1fx smaller) in %.1f s\n", ctx.tags.front().c_str(),
                 human_size(ctx.source_size).c_str(), human_size(ctx.result_size).c_str(),
                 ctx.result_id.substr(0, 19).c_str(), ratio, total);
    std::fprintf(human, "report: %s%s%s\n", options.report_path.c_str(),
                 options.seccomp ? "; seccomp profile: " : "",
                 options.seccomp ? ctx.seccomp_path.c_str() : "");
    for (const auto& d : ctx.differences) {
      std::fprintf(stderr, "slim: verify: %s: original %s, slim image %s\n", d.what.c_str(),
                   d.original.c_str(), d.result.c_str());
      if (!d.diff.empty()) {
        std::fprintf(stderr, "  diff: %s\n", d.diff.c_str());
      }
    }
    if (options.verify && code == 0) {
      std::fprintf(human, "verified: %zu probe(s), %zu exec(s)%s behave the same%s\n",
                   ctx.original.probes.size(), ctx.plan.execs.size(),
                   ctx.original.app_exit ? " and the exit status" : "",
                   options.seccomp ? " under the seccomp profile" : "");
    }
    for (const auto& d : ctx.drift) {
      std::fprintf(code == 0 ? human : stderr, "  tolerated as drift: %s: %s\n", d.what.c_str(),
                   d.how.c_str());
    }
  }
  auto result = result_document(ctx.report_json, code, options.profile_only,
                                {.report = options.report_path,
                                 .html = html_report_path(options.report_path),
                                 .seccomp_profile = options.seccomp ? ctx.seccomp_path : ""});
  publish_result(options, result);
  if (code != 0) {
    throw Error("verification failed: the slim image `" + ctx.tags.front() +
                    "` answered differently in " + std::to_string(ctx.differences.size()) +
                    " way(s) (see above and " + options.report_path + ")",
                code);
  }
  return 0;
}

void publish_result(const BuildOptions& options, const nlohmann::json& result) {
  if (options.output_json) {
    std::printf("%s\n",
                result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
  }
  // GitHub Actions: a Markdown section in the job's summary page.
  const char* summary = std::getenv("GITHUB_STEP_SUMMARY");
  if (summary != nullptr && *summary != '\0') {
    if (std::FILE* f = std::fopen(summary, "a")) {
      std::fputs((markdown_summary(result) + "\n").c_str(), f);
      std::fclose(f);
    } else {
      SLIM_WARN("cannot append to GITHUB_STEP_SUMMARY `{}`", summary);
    }
  }
}

} // namespace slim::pipeline
