// keep: which files of the source go into the slim image.
#include "passes.hpp"

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>

namespace slim::pipeline {

namespace {

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

std::optional<std::string> read_entry_prefix(const image::SourceImage& src, const image::Entry& e,
                                             std::size_t max_bytes) {
  if (e.type != image::EntryType::regular || e.data.layer >= src.layers.size()) {
    return std::nullopt;
  }
  const auto& lf = src.layers[e.data.layer].tar;
  std::size_t n = static_cast<std::size_t>(
      std::min<std::int64_t>(e.size, static_cast<std::int64_t>(max_bytes)));
  std::string buf(n, '\0');
  int fd = ::open(lf.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  std::size_t got = 0;
  while (got < n) {
    ssize_t r =
        ::pread(fd, buf.data() + got, n - got, static_cast<off_t>(lf.offset + e.data.offset + got));
    if (r <= 0) {
      break;
    }
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  buf.resize(got);
  return buf;
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
  const auto& cfg = ctx.source.config.config;
  in.working_dir = ctx.opt.new_workdir.value_or(cfg.working_dir);
  in.volumes = cfg.volumes;
  in.env = cfg.env;
  for (const auto& m : ctx.opt.mounts) {
    in.mount_points.push_back(mount_destination(m));
  }
  ctx.keep = keep::compute_keep_set(ctx.source.index, ctx.report, in,
                                    [&ctx](const image::Entry& e, std::size_t max) {
                                      return read_entry_prefix(ctx.source, e, max);
                                    });
  for (const auto& w : ctx.keep.warnings) {
    ctx.warnings.push_back(w);
  }
  SLIM_INFO("keeping {} of {} paths", ctx.keep.paths.size(), ctx.source.index.size());
}

} // namespace slim::pipeline
