// seccomp: the profile of the calls the sensor saw.
#include "host_files.hpp"
#include "passes.hpp"
#include "slim/seccomp/generate.hpp"

namespace slim::pipeline {

void seccomp_pass(Context& ctx) {
  auto profile =
      seccomp::make_seccomp_profile({ctx.report.syscalls, std::nullopt}, ctx.report.arch);
  for (const auto& w : profile.warnings) {
    ctx.warnings.push_back(w);
  }
  ctx.seccomp_json = profile.json;
  ctx.seccomp_added = profile.added_by_runtime;
  write_host_file(ctx.seccomp_path, ctx.seccomp_json);
}

} // namespace slim::pipeline
