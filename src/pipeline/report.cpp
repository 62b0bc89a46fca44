#include "slim/pipeline/report.hpp"

#include <algorithm>
#include <map>

namespace slim::pipeline {
namespace {

const char* type_name(image::EntryType t) {
  switch (t) {
  case image::EntryType::regular:
    return "file";
  case image::EntryType::directory:
    return "dir";
  case image::EntryType::symlink:
    return "symlink";
  case image::EntryType::hardlink:
    return "hardlink";
  case image::EntryType::char_device:
    return "char";
  case image::EntryType::block_device:
    return "block";
  case image::EntryType::fifo:
    return "fifo";
  }
  return "other";
}

// What the report says about the profile: enough to compare sizes before and after, to see
// what the baseline and the argument filters did, and for `slim seccomp merge` to redo it.
void add_seccomp(nlohmann::json& j, const seccomp::GeneratedProfile& g, const std::string& format) {
  nlohmann::json& s = j["seccomp"];
  s["format"] = format;
  s["default_action"] = g.profile.default_action;
  s["baseline"] = seccomp::to_string(g.baseline);
  s["architectures"] = g.profile.architectures;
  s["from_baseline"] = g.from_baseline;
  s["enosys"] = g.enosys;
  nlohmann::json filters = nlohmann::json::array();
  for (const auto& f : g.filtered) {
    nlohmann::json e = {{"name", f.name}, {"index", f.index}};
    e["op"] = f.mask == 0 ? "SCMP_CMP_EQ" : "SCMP_CMP_MASKED_EQ";
    if (f.mask != 0) {
      e["mask"] = f.mask;
    }
    e["values"] = f.allowed;
    filters.push_back(std::move(e));
  }
  s["arg_filters"] = std::move(filters);
  s["rules"] = g.profile.syscalls.size();
  s["names"] = g.profile.name_count();
  s["bpf_bytes"] = g.bpf_bytes;
  if (g.args_seen) {
    j["syscall_args"] = seccomp::syscall_args_to_json(*g.args_seen);
  }
}

// Bytes of regular files by directory, at most k_map_depth levels deep (a file deeper counts
// for its ancestor at that depth), total and kept: what the HTML report's treemap draws.
constexpr std::size_t k_map_depth = 3;

nlohmann::json directories(const image::FileIndex& index, const keep::KeepSet& keep) {
  struct Sizes {
    std::int64_t total = 0, kept = 0, files = 0, kept_files = 0;
  };
  std::map<std::string, Sizes> by_dir;
  index.for_each([&](const image::Entry& e) {
    if (e.type != image::EntryType::regular) {
      return;
    }
    std::string dir = image::parent_path(e.path);
    std::size_t depth = static_cast<std::size_t>(std::count(dir.begin(), dir.end(), '/'));
    if (dir != "/" && depth > k_map_depth) {
      std::size_t cut = 0;
      for (std::size_t k = 0; k <= k_map_depth; ++k) {
        cut = dir.find('/', cut + 1);
      }
      dir = dir.substr(0, cut);
    }
    Sizes& s = by_dir[dir];
    s.total += e.size;
    ++s.files;
    if (keep.contains(e.path)) {
      s.kept += e.size;
      ++s.kept_files;
    }
  });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [dir, s] : by_dir) {
    out.push_back({{"path", dir},
                   {"total", s.total},
                   {"kept", s.kept},
                   {"files", s.files},
                   {"kept_files", s.kept_files}});
  }
  return out;
}

} // namespace

std::optional<double> BuildReport::ratio() const {
  if (source_size > 0 && result_size > 0) {
    return static_cast<double>(source_size) / static_cast<double>(result_size);
  }
  return std::nullopt;
}

nlohmann::json to_json(const BuildReport& r) {
  using nlohmann::json;
  json j = json::object();
  j["version"] = k_build_report_version;
  j["slim_version"] = SLIM_VERSION;
  j["source"] = {{"image", r.source_image}, {"id", r.source_id}, {"size", r.source_size}};
  j["result"] = {{"tags", r.result_tags}, {"id", r.result_id}, {"size", r.result_size}};
  if (auto ratio = r.ratio()) {
    j["ratio"] = *ratio;
  } else {
    j["ratio"] = nullptr;
  }
  json paths = json::array();
  json excluded = json::array();
  if (r.keep != nullptr) {
    for (const auto& [path, reason] : r.keep->paths) {
      json p = {{"path", path},
                {"reason", to_string(reason.kind)},
                {"detail", reason.detail},
                {"why", describe(reason)}};
      if (r.index != nullptr) {
        if (const image::Entry* e = r.index->find(path)) {
          p["type"] = type_name(e->type);
          if (e->type == image::EntryType::regular) {
            p["size"] = e->size;
          }
        }
      }
      paths.push_back(std::move(p));
    }
    excluded = r.keep->excluded;
    json kept = {{"paths", r.keep->paths.size()},
                 {"skipped_not_in_image", r.keep->skipped_not_in_image},
                 {"skipped_blocked", r.keep->skipped_blocked}};
    if (r.index != nullptr) {
      keep::KeepStats s = keep::keep_stats(*r.index, *r.keep);
      kept["files"] = s.files;
      kept["dirs"] = s.dirs;
      kept["symlinks"] = s.symlinks;
      kept["others"] = s.others;
      kept["bytes"] = s.bytes;
      kept["source_paths"] = r.index->size();
      j["directories"] = directories(*r.index, *r.keep);
    }
    j["kept"] = std::move(kept);
  } else {
    j["kept"] = nullptr;
  }
  j["paths"] = std::move(paths);
  j["excluded"] = std::move(excluded);
  j["syscalls"] = r.syscalls;
  j["denied_while_profiling"] = r.denied_syscalls;
  j["probe_shell_syscalls"] = r.probe_shell_syscalls;
  j["seccomp"] = {{"profile", r.seccomp_profile}, {"added_by_runtime", r.seccomp_added_by_runtime}};
  if (r.seccomp != nullptr) {
    add_seccomp(j, *r.seccomp, r.seccomp_format);
  }
  json probes = json::object();
  probes["original"] = r.original != nullptr ? to_json(*r.original) : json(nullptr);
  probes["result"] = r.verified != nullptr ? to_json(*r.verified) : json(nullptr);
  j["probes"] = std::move(probes);
  json diffs = json::array();
  for (const auto& d : r.differences) {
    diffs.push_back(to_json(d));
  }
  j["differences"] = std::move(diffs);
  json drift = json::array();
  for (const auto& d : r.drift) {
    drift.push_back(to_json(d));
  }
  j["drift"] = std::move(drift);
  json timings = json::array();
  for (const auto& [pass, seconds] : r.timings) {
    timings.push_back({{"pass", pass}, {"seconds", seconds}});
  }
  j["timings"] = std::move(timings);
  j["warnings"] = r.warnings;
  return j;
}

} // namespace slim::pipeline
