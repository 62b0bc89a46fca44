// keep: which files of the source go into the slim image.
#include "passes.hpp"

#include <algorithm>

namespace slim::pipeline {

namespace {

// Enough for any real image (each round follows one more step of ELF dependencies or `#!`
// interpreters); a source that keeps lacking bytes is broken.
constexpr int k_max_keep_rounds = 64;

// "SRC:DST[:ro]" -> DST (as docker's -v takes it).
std::string mount_destination(const std::string& spec) {
  auto first = spec.find(':');
  if (first == std::string::npos) {
    return spec; // an anonymous volume: only a destination
  }
  auto second = spec.find(':', first + 1);
  return spec.substr(first + 1,
                     second == std::string::npos ? std::string::npos : second - first - 1);
}

// Where two keep sets part: the first path kept by one only or for another reason.
std::string first_difference(const keep::KeepSet& pristine, const keep::KeepSet& exported) {
  auto a = pristine.paths.begin();
  auto b = exported.paths.begin();
  for (; a != pristine.paths.end() && b != exported.paths.end(); ++a, ++b) {
    if (a->first != b->first) {
      return "`" + std::min(a->first, b->first) + "` is kept by " +
             (a->first < b->first ? "the pristine container's" : "the export's") + " only";
    }
    if (a->second != b->second) {
      return "`" + a->first + "` is kept as " + keep::describe(a->second) + " by one, as " +
             keep::describe(b->second) + " by the other";
    }
  }
  const auto& rest = a != pristine.paths.end() ? a->first : b->first;
  return "`" + rest + "` is kept by " +
         (a != pristine.paths.end() ? "the pristine container's" : "the export's") + " only";
}

} // namespace

void keep_pass(Context& ctx) {
  keep::KeepInputs in;
  in.include_paths = ctx.opt.include_paths;
  in.include_bins = ctx.opt.include_bins;
  in.include_exes = ctx.opt.include_exes;
  if (ctx.opt.include_cert_all) {
    for (const auto& p : keep::k_cert_paths) {
      in.include_optional.emplace_back(p, "--include-cert-all");
    }
  }
  if (ctx.opt.include_zoneinfo) {
    for (const auto& p : keep::k_zoneinfo_paths) {
      in.include_optional.emplace_back(p, "--include-zoneinfo");
    }
  }
  in.include_shell = ctx.opt.include_shell;
  in.exclude_patterns = ctx.opt.exclude_patterns;
  const auto& cfg = ctx.config.config;
  in.working_dir = ctx.opt.new_workdir.value_or(cfg.working_dir);
  in.volumes = cfg.volumes;
  in.env = cfg.env;
  for (const auto& m : ctx.opt.mounts) {
    in.mount_points.push_back(mount_destination(m));
  }
  // The keep set reads file heads (ELF headers, `#!` lines) through the source. A source that
  // lacks some answers "not at hand" and fetches them after the round; the round that lacks
  // nothing saw every byte it asked for, so its keep set is the one the whole image gives.
  FileSource& files = *ctx.files;
  int rounds = 0;
  ctx.keep = keep::compute_keep_set_in_rounds(
      files.index(), ctx.report, in,
      [&files](const image::Entry& e, std::size_t max) { return files.read(e, max); },
      [&files] { return files.fetch(); }, k_max_keep_rounds, &rounds);
  if (ctx.check_files) {
    keep::KeepSet other = keep::compute_keep_set_in_rounds(
        ctx.check_files->index(), ctx.report, in,
        [&ctx](const image::Entry& e, std::size_t max) { return ctx.check_files->read(e, max); },
        [&ctx] { return ctx.check_files->fetch(); }, k_max_keep_rounds);
    if (other.paths != ctx.keep.paths) {
      throw Error("--source compare: the pristine container and the export give different keep "
                  "sets: " +
                  first_difference(ctx.keep, other));
    }
  }
  for (const auto& w : ctx.keep.warnings) {
    ctx.warnings.push_back(w);
  }
  SLIM_INFO("keeping {} of {} paths ({} round{})", ctx.keep.paths.size(), files.index().size(),
            rounds, rounds == 1 ? "" : "s");
}

} // namespace slim::pipeline
