// seccomp: the profile of the calls the sensor saw, in the format asked for.
#include "host_files.hpp"
#include "passes.hpp"
#include "slim/seccomp/formats.hpp"
#include "slim/seccomp/generate.hpp"

#include <filesystem>

namespace slim::pipeline {

void seccomp_pass(Context& ctx) {
  seccomp::GenerateOptions options;
  options.baseline = seccomp::parse_baseline(ctx.opt.seccomp_baseline).value();
  options.action = seccomp::parse_default_action(ctx.opt.seccomp_action).value();
  const seccomp::ProfileFormat format =
      seccomp::parse_profile_format(ctx.opt.seccomp_format).value();
  // The sensor's argument values (the report's `syscall_args`) go into SeenCalls::args once
  // keep::SensorReport carries them; until then every call gets a name-only rule.
  seccomp::SeenCalls seen{ctx.report.syscalls, std::nullopt};
  auto profile = seccomp::make_seccomp_profile(seen, ctx.report.arch, options);
  for (const auto& w : profile.warnings) {
    ctx.warnings.push_back(w);
  }
  if (ctx.opt.seccomp_path.empty() && format == seccomp::ProfileFormat::kubernetes) {
    ctx.seccomp_path = std::filesystem::path(ctx.seccomp_path).replace_extension(".yaml").string();
  }
  // metadata.name of a SeccompProfile: the file's name without its extension.
  auto text = seccomp::render_profile(
      profile.profile, format,
      seccomp::spo_name(std::filesystem::path(ctx.seccomp_path).stem().string()));
  if (!text.ok()) {
    throw Error("cannot write the seccomp profile as " + std::string(seccomp::to_string(format)) +
                ": " + text.error());
  }
  ctx.seccomp_json = profile.json; // the verify run takes Docker's JSON whatever the format
  ctx.seccomp_added = profile.added_by_runtime;
  write_host_file(ctx.seccomp_path, text.value());
  ctx.seccomp_generated = std::move(profile);
}

} // namespace slim::pipeline
