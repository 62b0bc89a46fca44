// report: slim.report.json.
#include "host_files.hpp"
#include "passes.hpp"
#include "slim/pipeline/naming.hpp"
#include "slim/pipeline/report.hpp"
#include "slim/report_html/render.hpp"

#include <filesystem>

namespace slim::pipeline {

void report_pass(Context& ctx) {
  BuildReport r;
  r.source_image = ctx.opt.image;
  r.source_id = ctx.source_id;
  r.source_size = ctx.source_size;
  r.result_tags = ctx.tags;
  r.result_id = ctx.result_id;
  r.result_size = ctx.result_size;
  if (!ctx.opt.profile_only) {
    r.keep = &ctx.keep;
    r.index = ctx.files ? &ctx.files->index() : nullptr;
  }
  r.syscalls = ctx.report.syscalls;
  r.denied_syscalls = ctx.report.denied_syscalls;
  r.probe_shell_syscalls = ctx.report.probe_syscalls;
  r.seccomp_profile = ctx.opt.seccomp ? ctx.seccomp_path : "";
  r.seccomp_added_by_runtime = ctx.seccomp_added;
  r.seccomp = ctx.seccomp_generated ? &*ctx.seccomp_generated : nullptr;
  r.seccomp_format = ctx.opt.seccomp_format;
  r.original = &ctx.original;
  r.verified = ctx.verified ? &*ctx.verified : nullptr;
  r.differences = ctx.differences;
  r.drift = ctx.drift;
  r.timings = ctx.timings;
  r.warnings = ctx.warnings;
  nlohmann::json j = to_json(r);
  j["target"] = {{"argv", ctx.argv},
                 {"exit_status", ctx.report.exit_status ? nlohmann::json(*ctx.report.exit_status)
                                                        : nlohmann::json()}};
  if (ctx.opt.profile_only) {
    j["files"] = nlohmann::json::array();
    for (const auto& f : ctx.report.files) {
      j["files"].push_back(
          {{"path", f.path}, {"ops", keep::file_op_names(f.ops)}, {"from_exec", f.from_exec}});
    }
  }
  // Paths need not be UTF-8: invalid bytes become U+FFFD instead of failing the report.
  write_host_file(ctx.opt.report_path,
                  j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  write_host_file(html_report_path(ctx.opt.report_path), report_html::render(j));
  ctx.report_json = std::move(j);
  if (!ctx.opt.copy_meta_artifacts.empty()) {
    // DockerSlim's --copy-meta-artifacts: the same files in one directory for CI to upload.
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(ctx.opt.copy_meta_artifacts, ec);
    for (const std::string& f : {ctx.opt.report_path, html_report_path(ctx.opt.report_path),
                                 ctx.opt.seccomp ? ctx.seccomp_path : std::string()}) {
      if (f.empty()) {
        continue;
      }
      fs::copy_file(f, fs::path(ctx.opt.copy_meta_artifacts) / fs::path(f).filename(),
                    fs::copy_options::overwrite_existing, ec);
      if (ec) {
        throw Error("cannot copy `" + f + "` into --copy-meta-artifacts `" +
                    ctx.opt.copy_meta_artifacts + "`: " + ec.message());
      }
    }
  }
}

} // namespace slim::pipeline
