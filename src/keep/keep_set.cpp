#include "slim/keep/keep_set.hpp"

#include "slim/keep/glob.hpp"
#include "slim/util/error.hpp"
#include "slim/util/strings.hpp"

#include <deque>
#include <set>

namespace slim::keep {
namespace {

constexpr std::size_t k_max_excluded_listed = 1000;
constexpr std::size_t k_head_bytes = 256; // enough for the ELF magic and a `#!` line
const char* const k_default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool is_under(std::string_view path, std::string_view dir) {
  if (dir == "/") {
    return path != "/";
  }
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) {
    out += out.empty() ? "" : sep;
    out += s;
  }
  return out;
}

class Builder {
public:
  Builder(const image::FileIndex& index, const KeepInputs& options, const ReadFile& read)
      : m_index(index), m_options(options), m_read(read), m_exclude(options.exclude_patterns),
        m_closure(index, read,
                  {.ld_library_path = !options.ld_library_path.empty()
                                          ? options.ld_library_path
                                          : env_value(options.env, "LD_LIBRARY_PATH")}) {
    m_path_env = !options.path_env.empty() ? options.path_env : env_value(options.env, "PATH");
    for (const auto& m : options.mount_points) {
      m_mounts.push_back(image::normalize_path(m));
    }
  }

  KeepSet run(const std::vector<ReportFile>& files) {
    for (const auto& f : files) {
      add_report_file(f);
    }
    for (const auto& p : m_options.include_paths) {
      add_include_path(p);
    }
    for (const auto& name : m_options.include_exes) {
      std::string p = which(name);
      if (p.empty() || add_resolved(p, {KeepKind::include_bin, "--include-exe " + name}).empty()) {
        warn("--include-exe `" + name + "` is not on the image's PATH");
      }
    }
    for (const auto& [path, flag] : m_options.include_optional) {
      add_include_tree(path, flag);
    }
    for (const auto& b : m_options.include_bins) {
      if (add_resolved(b, {KeepKind::include_bin, b}).empty()) {
        warn("--include-bin `" + b + "` is not in the image");
      }
    }
    if (m_options.include_shell) {
      add_shell();
    }
    add_always();
    expand();
    add_parents();
    for (const auto& w : m_closure.warnings()) {
      m_out.warnings.push_back(w);
    }
    return std::move(m_out);
  }

private:
  void warn(std::string w) { m_out.warnings.push_back(std::move(w)); }

  // True when `path` (normalised) may never be kept.
  bool blocked(const std::string& path) const {
    if (path == "/.slim" || is_under(path, "/.slim") || is_under(path, "/proc") ||
        is_under(path, "/sys") || is_under(path, "/dev")) {
      return true;
    }
    for (const auto& m : m_mounts) {
      if (is_under(path, m)) {
        return true;
      }
      if (path == m) {
        const image::Entry* e = m_index.find(path);
        if (e == nullptr || e->type != image::EntryType::directory) {
          return true;
        }
      }
    }
    return false;
  }

  // Keeps one path that exists in the index. Returns false when it was not kept.
  bool keep(const std::string& path, KeepReason reason) {
    if (m_index.find(path) == nullptr || blocked(path)) {
      return false;
    }
    if (m_out.paths.count(path) != 0) {
      return true;
    }
    if (auto pattern = m_exclude.matching_pattern(path); !pattern.empty()) {
      if (m_excluded_seen.insert(path).second && m_out.excluded.size() < k_max_excluded_listed) {
        m_out.excluded.push_back(path);
      }
      return false;
    }
    if (m_out.paths.size() >= m_options.max_paths) {
      if (!m_full) {
        m_full = true;
        warn("the keep set reached its limit of " + std::to_string(m_options.max_paths) +
             " paths; the rest is left out");
      }
      return false;
    }
    m_out.paths.emplace(path, std::move(reason));
    m_pending.push_back(path);
    return true;
  }

  // Resolves `given` inside the image, keeps every symlink on the way and the final path with
  // `reason`. Returns the final path when it exists (kept or not), else "".
  std::string add_resolved(const std::string& given, const KeepReason& reason) {
    std::string path = image::normalize_path(given);
    if (blocked(path)) {
      return {};
    }
    std::vector<std::string> walked;
    auto resolved = m_index.resolve(path, &walked);
    if (!resolved || blocked(*resolved) || m_index.find(*resolved) == nullptr) {
      return {};
    }
    for (const auto& w : walked) {
      keep(w, {KeepKind::symlink_on_way, *resolved});
    }
    keep(*resolved, reason);
    return *resolved;
  }

  void add_report_file(const ReportFile& f) {
    std::string path = image::normalize_path(f.path);
    if (blocked(path)) {
      ++m_out.skipped_blocked;
      return;
    }
    std::string detail = join(file_op_names(f.ops), ",");
    if (f.from_exec) {
      detail += detail.empty() ? "by an exec command" : " by an exec command";
    }
    if (add_resolved(path, {KeepKind::accessed, detail}).empty()) {
      ++m_out.skipped_not_in_image;
      // The symlinks walked on the way to a missing file were still walked by the app.
      std::vector<std::string> walked;
      auto resolved = m_index.resolve(path, &walked);
      for (const auto& w : walked) {
        keep(w, {KeepKind::symlink_on_way, resolved.value_or(path)});
      }
      // The app made it at run time (nginx's mkdir of /var/lib/nginx/body): the directory it
      // was made in must still be there, so keep the nearest ancestor the image has.
      if (resolved) {
        for (std::string dir = image::parent_path(*resolved); !blocked(dir);
             dir = image::parent_path(dir)) {
          const image::Entry* e = m_index.find(dir);
          if (e != nullptr && e->type == image::EntryType::directory) {
            keep(dir, {KeepKind::parent, *resolved});
            break;
          }
          if (dir == "/") {
            break;
          }
        }
      }
    }
  }

  void add_include_path(const std::string& given) {
    if (!add_include_tree(given, given)) {
      warn("--include-path `" + given + "` is not in the image");
    }
  }

  // Keeps `given` (resolved) and, for a directory, its whole tree, as an include_path with
  // `detail`; false when the image has no such path.
  bool add_include_tree(const std::string& given, const std::string& detail) {
    std::string root = add_resolved(given, {KeepKind::include_path, detail});
    if (root.empty()) {
      return false;
    }
    const image::Entry* e = m_index.find(root);
    if (e == nullptr || e->type != image::EntryType::directory) {
      return true;
    }
    for (const image::Entry* child : m_index.subtree(root)) {
      keep(child->path, {KeepKind::include_path, detail});
      if (child->type == image::EntryType::symlink) {
        // A link out of the tree must not dangle: keep where it leads (not its subtree).
        add_resolved(child->path, {KeepKind::include_path, detail});
      }
    }
    return true;
  }

  std::vector<std::string> path_dirs() const {
    return split_nonempty(m_path_env.empty() ? k_default_path : m_path_env, ":");
  }

  // The first PATH directory that has `name`, as a path to resolve; "" when none.
  std::string which(const std::string& name) const {
    for (const auto& dir : path_dirs()) {
      std::string candidate = image::normalize_path(dir + "/" + name);
      auto resolved = m_index.resolve(candidate);
      if (resolved && m_index.find(*resolved) != nullptr) {
        return candidate;
      }
    }
    return {};
  }

  void add_shell() {
    if (add_resolved("/bin/sh", {KeepKind::include_shell, "/bin/sh"}).empty()) {
      warn("--include-shell: the image has no /bin/sh");
    }
    for (const auto& tool : k_shell_tools) {
      if (std::string p = which(tool); !p.empty()) {
        add_resolved(p, {KeepKind::include_shell, tool});
      }
    }
  }

  void add_always() {
    add_resolved("/etc/passwd", {KeepKind::always, "user database"});
    add_resolved("/etc/group", {KeepKind::always, "group database"});
    add_resolved("/etc/nsswitch.conf", {KeepKind::always, "name service switch"});
    if (!m_options.working_dir.empty()) {
      add_resolved(m_options.working_dir, {KeepKind::working_dir, m_options.working_dir});
    }
    for (const auto& v : m_options.volumes) {
      add_resolved(v, {KeepKind::volume, v});
    }
    for (const char* dir : {"/tmp", "/var/tmp", "/run", "/var/run"}) {
      add_resolved(dir, {KeepKind::always, "temporary and runtime directory"});
    }
  }

  // Hard link targets, ELF closures and script interpreters of everything kept, repeatedly.
  void expand() {
    while (!m_pending.empty()) {
      std::string path = std::move(m_pending.front());
      m_pending.pop_front();
      const image::Entry* e = m_index.find(path);
      if (e == nullptr) {
        continue;
      }
      if (e->type == image::EntryType::hardlink) {
        // A target a later layer whited out is gone, but the link keeps its bytes (the
        // flattened entry carries them) and is written as a regular file: nothing to warn.
        keep(image::normalize_path(e->link_target), {KeepKind::hardlink_target, path});
        continue;
      }
      if (e->type != image::EntryType::regular || e->size < 4 || !m_read) {
        continue;
      }
      auto head = m_read(*e, k_head_bytes);
      if (!head) {
        continue;
      }
      if (is_elf(*head)) {
        for (const auto& dep : m_closure.add(path)) {
          if (dep.symlink) {
            keep(dep.path, {KeepKind::symlink_on_way, dep.target});
          } else {
            keep(dep.path, {KeepKind::elf_dependency, dep.needed_by});
          }
        }
      } else if (head->rfind("#!", 0) == 0) {
        add_interpreter(path, *head);
      }
    }
  }

  void add_interpreter(const std::string& script, const std::string& head) {
    std::string line = head.substr(2, head.find('\n') == std::string::npos ? std::string::npos
                                                                           : head.find('\n') - 2);
    std::vector<std::string> words = split_nonempty(line, " \t");
    if (words.empty() || words[0].front() != '/') {
      return;
    }
    add_resolved(words[0], {KeepKind::interpreter, script});
    // `#!/usr/bin/env [-S] NAME`: NAME through the image's PATH.
    std::string base = words[0].substr(words[0].rfind('/') + 1);
    if (base == "env") {
      for (std::size_t i = 1; i < words.size(); ++i) {
        if (words[i].front() == '-' || words[i].find('=') != std::string::npos) {
          continue;
        }
        if (std::string p = which(words[i]); !p.empty()) {
          add_resolved(p, {KeepKind::interpreter, script});
        }
        break;
      }
    }
  }

  void add_parents() {
    std::vector<std::string> kept;
    kept.reserve(m_out.paths.size());
    for (const auto& [p, r] : m_out.paths) {
      kept.push_back(p);
    }
    for (const auto& p : kept) {
      std::string child = p;
      while (child != "/") {
        std::string parent = image::parent_path(child);
        if (m_out.paths.count(parent) != 0) {
          break; // its own parents were handled when it was kept
        }
        if (m_index.find(parent) != nullptr) {
          m_out.paths.emplace(parent, KeepReason{KeepKind::parent, p});
        }
        child = parent;
      }
    }
  }

  const image::FileIndex& m_index;
  const KeepInputs& m_options;
  const ReadFile& m_read;
  ExcludeSet m_exclude;
  ElfClosure m_closure;
  std::vector<std::string> m_mounts;
  std::string m_path_env;
  std::deque<std::string> m_pending;
  std::set<std::string> m_excluded_seen;
  bool m_full = false;
  KeepSet m_out;
};

} // namespace

std::string to_string(KeepKind kind) {
  switch (kind) {
  case KeepKind::accessed:
    return "accessed";
  case KeepKind::symlink_on_way:
    return "symlink_on_way";
  case KeepKind::parent:
    return "parent";
  case KeepKind::elf_dependency:
    return "elf_dependency";
  case KeepKind::interpreter:
    return "interpreter";
  case KeepKind::hardlink_target:
    return "hardlink_target";
  case KeepKind::always:
    return "always";
  case KeepKind::working_dir:
    return "working_dir";
  case KeepKind::volume:
    return "volume";
  case KeepKind::include_path:
    return "include_path";
  case KeepKind::include_bin:
    return "include_bin";
  case KeepKind::include_shell:
    return "include_shell";
  }
  return "unknown";
}

std::string describe(const KeepReason& r) {
  switch (r.kind) {
  case KeepKind::accessed:
    return r.detail.empty() ? "accessed by the app" : "accessed by the app (" + r.detail + ")";
  case KeepKind::symlink_on_way:
    return "symlink on the way to " + r.detail;
  case KeepKind::parent:
    return "parent of " + r.detail;
  case KeepKind::elf_dependency:
    return "ELF dependency of " + r.detail;
  case KeepKind::interpreter:
    return "interpreter of " + r.detail;
  case KeepKind::hardlink_target:
    return "target of hard link " + r.detail;
  case KeepKind::always:
    return "always kept (" + r.detail + ")";
  case KeepKind::working_dir:
    return "working directory";
  case KeepKind::volume:
    return "declared volume " + r.detail;
  case KeepKind::include_path:
    return "--include-path " + r.detail;
  case KeepKind::include_bin:
    return "--include-bin " + r.detail;
  case KeepKind::include_shell:
    return "--include-shell (" + r.detail + ")";
  }
  return r.detail;
}

KeepSet compute_keep_set(const image::FileIndex& index, const std::vector<ReportFile>& report_files,
                         const KeepInputs& options, const ReadFile& read) {
  return Builder(index, options, read).run(report_files);
}

KeepSet compute_keep_set(const image::FileIndex& index, const SensorReport& report,
                         const KeepInputs& options, const ReadFile& read) {
  return compute_keep_set(index, report.files, options, read);
}

KeepSet compute_keep_set_in_rounds(const image::FileIndex& index, const SensorReport& report,
                                   const KeepInputs& options, const ReadFile& read,
                                   const FetchMissing& fetch, int max_rounds, int* rounds) {
  for (int round = 1;; ++round) {
    KeepSet keep = compute_keep_set(index, report, options, read);
    if (!fetch()) {
      if (rounds != nullptr) {
        *rounds = round;
      }
      return keep;
    }
    if (round >= max_rounds) {
      throw Error("the keep set still lacked file bytes after " + std::to_string(max_rounds) +
                  " rounds of reading them");
    }
  }
}

std::string env_value(const std::vector<std::string>& env, std::string_view name) {
  std::string out;
  for (const auto& kv : env) {
    if (kv.size() > name.size() && kv.compare(0, name.size(), name) == 0 &&
        kv[name.size()] == '=') {
      out = kv.substr(name.size() + 1);
    }
  }
  return out;
}

KeepStats keep_stats(const image::FileIndex& index, const KeepSet& keep) {
  KeepStats s;
  for (const auto& [path, reason] : keep.paths) {
    const image::Entry* e = index.find(path);
    if (e == nullptr) {
      continue;
    }
    ++s.entries;
    switch (e->type) {
    case image::EntryType::regular:
      ++s.files;
      s.bytes += e->size > 0 ? static_cast<std::uint64_t>(e->size) : 0;
      break;
    case image::EntryType::directory:
      ++s.dirs;
      break;
    case image::EntryType::symlink:
      ++s.symlinks;
      break;
    default:
      ++s.others;
      break;
    }
  }
  return s;
}

} // namespace slim::keep
