#include "slim/keep/elf_closure.hpp"

#include "slim/keep/glob.hpp"
#include "slim/util/strings.hpp"

#include <algorithm>
#include <deque>

namespace slim::keep {
namespace {

constexpr std::size_t k_first_read = 64 * 1024;
constexpr std::size_t k_conf_max_bytes = 1 << 20; // one ld.so.conf file
constexpr int k_conf_max_depth = 8;
constexpr std::size_t k_conf_max_files = 256;
constexpr std::size_t k_max_objects = 100000; // hostile images: bound the walk

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

// Replaces $NAME and ${NAME} with each of `values`; returns one string per value.
std::vector<std::string> substitute(const std::vector<std::string>& in, std::string_view name,
                                    const std::vector<std::string>& values) {
  std::vector<std::string> out;
  const std::string plain = "$" + std::string(name);
  const std::string braced = "${" + std::string(name) + "}";
  for (const auto& s : in) {
    if (s.find(plain) == std::string::npos && s.find(braced) == std::string::npos) {
      out.push_back(s);
      continue;
    }
    for (const auto& v : values) {
      std::string t = s;
      replace_all(t, braced, v);
      replace_all(t, plain, v); // after braced so "${LIB}" is not split
      out.push_back(std::move(t));
    }
  }
  return out;
}

std::string platform_name(std::uint16_t machine) {
  switch (machine) {
  case k_em_x86_64:
    return "x86_64";
  case k_em_386:
    return "i686";
  case k_em_aarch64:
    return "aarch64";
  case k_em_arm:
    return "v7l";
  default:
    return "";
  }
}

std::string musl_arch(std::uint16_t machine) {
  switch (machine) {
  case k_em_x86_64:
    return "x86_64";
  case k_em_386:
    return "i386";
  case k_em_aarch64:
    return "aarch64";
  case k_em_arm:
    return "armhf";
  default:
    return "";
  }
}

bool is_musl_interp(std::string_view interp) {
  return interp.find("ld-musl-") != std::string::npos;
}

} // namespace

std::string multiarch_triplet(std::uint16_t machine, bool is_64) {
  switch (machine) {
  case k_em_x86_64:
    return is_64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
  case k_em_386:
    return "i386-linux-gnu";
  case k_em_aarch64:
    return "aarch64-linux-gnu";
  case k_em_arm:
    return "arm-linux-gnueabihf";
  default:
    return "";
  }
}

ElfClosure::ElfClosure(const image::FileIndex& index, ReadFile read, ElfClosureOptions options)
    : m_index(index), m_read(std::move(read)), m_options(std::move(options)) {
  read_ld_so_conf();
  for (const auto* e : m_index.children("/lib")) {
    auto name = e->path.substr(e->path.rfind('/') + 1);
    if (name.rfind("ld-musl-", 0) == 0) {
      m_image_is_musl = true;
    }
  }
  if (auto lib = m_index.resolve("/lib"); lib && *lib != "/lib") {
    for (const auto* e : m_index.children(*lib)) {
      if (e->path.find("/ld-musl-") != std::string::npos) {
        m_image_is_musl = true;
      }
    }
  }
}

const image::Entry* ElfClosure::data_entry(std::string_view resolved) const {
  const image::Entry* e = m_index.find(resolved);
  for (int hops = 0; e != nullptr && e->type == image::EntryType::hardlink && hops < 8; ++hops) {
    e = m_index.find(image::normalize_path(e->link_target));
  }
  return e != nullptr && e->type == image::EntryType::regular ? e : nullptr;
}

std::optional<std::string> ElfClosure::read_text(const std::string& path, std::size_t max) {
  auto resolved = m_index.resolve(path);
  if (!resolved) {
    return std::nullopt;
  }
  const image::Entry* e = data_entry(*resolved);
  if (e == nullptr || !m_read) {
    return std::nullopt;
  }
  return m_read(*e, max);
}

bool ElfClosure::is_elf_file(std::string_view path) {
  auto resolved = m_index.resolve(path);
  if (!resolved) {
    return false;
  }
  const image::Entry* e = data_entry(*resolved);
  if (e == nullptr || e->size < 4 || !m_read) {
    return false;
  }
  auto bytes = m_read(*e, 4);
  return bytes && is_elf(*bytes);
}

std::optional<ElfInfo> ElfClosure::load(const std::string& resolved) {
  if (auto it = m_parsed.find(resolved); it != m_parsed.end()) {
    return it->second.info;
  }
  Loaded& slot = m_parsed[resolved];
  const image::Entry* e = data_entry(resolved);
  if (e == nullptr || !m_read) {
    return std::nullopt;
  }
  std::size_t cap = m_options.max_read_bytes;
  if (e->size > 0 && static_cast<std::uint64_t>(e->size) < cap) {
    cap = static_cast<std::size_t>(e->size);
  }
  std::size_t want = std::min(cap, k_first_read);
  for (int attempt = 0; attempt < 6; ++attempt) {
    auto bytes = m_read(*e, want);
    if (!bytes) {
      m_warnings.push_back("cannot read `" + resolved + "` from the image");
      return std::nullopt;
    }
    if (!is_elf(*bytes)) {
      return std::nullopt;
    }
    std::uint64_t need = 0;
    auto info = parse_elf(*bytes, &need);
    if (info.ok()) {
      slot.info = info.value();
      return slot.info;
    }
    if (need <= bytes->size() || need > cap || bytes->size() < want) {
      m_warnings.push_back("malformed ELF file `" + resolved + "`: " + info.error());
      return std::nullopt;
    }
    want = static_cast<std::size_t>(
        std::max<std::uint64_t>(need, std::min<std::uint64_t>(cap, 2 * bytes->size())));
  }
  m_warnings.push_back("malformed ELF file `" + resolved + "`: headers spread too far");
  return std::nullopt;
}

std::vector<std::string> ElfClosure::expand(const std::string& list, const std::string& origin,
                                            const ElfInfo& info) const {
  std::vector<std::string> out;
  const std::string triplet = multiarch_triplet(info.machine, info.is_64);
  std::vector<std::string> libs;
  if (!triplet.empty()) {
    libs.push_back("lib/" + triplet);
  }
  libs.emplace_back(info.is_64 ? "lib64" : "lib32");
  libs.emplace_back("lib");
  const std::string platform = platform_name(info.machine);
  for (const auto& item : split_nonempty(list, ":")) {
    std::vector<std::string> v = substitute({item}, "ORIGIN", {origin});
    v = substitute(v, "LIB", libs);
    if (!platform.empty()) {
      v = substitute(v, "PLATFORM", {platform});
    }
    for (auto& dir : v) {
      if (dir.empty() || dir.front() != '/' || dir.find('$') != std::string::npos) {
        continue; // relative to the process's cwd, or an unknown token: ld.so would not help
      }
      out.push_back(image::normalize_path(dir));
    }
  }
  return out;
}

std::vector<std::string> ElfClosure::default_dirs(const ElfInfo& info, bool musl) {
  std::vector<std::string> out;
  if (musl) {
    const std::string arch = musl_arch(info.machine);
    if (!arch.empty()) {
      if (auto text = read_text("/etc/ld-musl-" + arch + ".path", k_conf_max_bytes)) {
        for (const auto& d : split_nonempty(*text, ":\n")) {
          if (!d.empty() && d.front() == '/') {
            out.push_back(image::normalize_path(d));
          }
        }
        return out;
      }
    }
    return {"/lib", "/usr/local/lib", "/usr/lib"};
  }
  out = m_conf_dirs;
  const std::string triplet = multiarch_triplet(info.machine, info.is_64);
  if (!triplet.empty()) {
    out.push_back("/lib/" + triplet);
    out.push_back("/usr/lib/" + triplet);
  }
  if (info.is_64) {
    out.emplace_back("/lib64");
    out.emplace_back("/usr/lib64");
  } else {
    out.emplace_back("/lib32");
    out.emplace_back("/usr/lib32");
  }
  out.emplace_back("/lib");
  out.emplace_back("/usr/lib");
  return out;
}

void ElfClosure::read_ld_so_conf() {
  std::set<std::string> seen;
  read_conf_file("/etc/ld.so.conf", 0, seen);
  std::vector<std::string> unique;
  std::set<std::string> have;
  for (auto& d : m_conf_dirs) {
    if (have.insert(d).second) {
      unique.push_back(d);
    }
  }
  m_conf_dirs = std::move(unique);
}

void ElfClosure::read_conf_file(const std::string& path, int depth, std::set<std::string>& seen) {
  if (depth > k_conf_max_depth || seen.size() >= k_conf_max_files || !seen.insert(path).second) {
    return;
  }
  auto text = read_text(path, k_conf_max_bytes);
  if (!text) {
    return;
  }
  for (const auto& raw : split_nonempty(*text, "\n")) {
    std::string line = raw.substr(0, raw.find('#'));
    auto words = split_nonempty(line, " \t\r");
    if (words.empty()) {
      continue;
    }
    if (words[0] == "include") {
      for (std::size_t i = 1; i < words.size(); ++i) {
        std::string pattern = words[i];
        if (pattern.front() != '/') {
          pattern = image::parent_path(path) + "/" + pattern;
        }
        pattern = image::normalize_path(pattern);
        std::vector<std::string> files;
        if (!has_glob_chars(pattern)) {
          files.push_back(pattern);
        } else {
          // Wildcards in the last component (the usual `ld.so.conf.d/*.conf`).
          std::string dir = image::parent_path(pattern);
          auto real_dir = m_index.resolve(dir);
          if (real_dir) {
            std::string base = pattern.substr(pattern.rfind('/') + 1);
            for (const auto* e : m_index.children(*real_dir)) {
              std::string name = e->path.substr(e->path.rfind('/') + 1);
              if (glob_match(base, name)) {
                files.push_back(dir + "/" + name);
              }
            }
          }
          std::sort(files.begin(), files.end());
        }
        for (const auto& f : files) {
          read_conf_file(f, depth + 1, seen);
        }
      }
      continue;
    }
    if (words[0] == "hwcap") {
      continue;
    }
    for (const auto& w : words) {
      for (auto d : split_nonempty(w, ":,")) {
        d = d.substr(0, d.find('='));
        if (!d.empty() && d.front() == '/') {
          m_conf_dirs.push_back(image::normalize_path(d));
        }
      }
    }
  }
}

void ElfClosure::keep_walk(const std::string& path, const std::string& needed_by,
                           const std::string& name, std::vector<ElfDependency>& out,
                           std::string* resolved_out) {
  std::vector<std::string> walked;
  auto resolved = m_index.resolve(path, &walked);
  if (!resolved) {
    m_warnings.push_back("`" + path + "` (" + name + " of `" + needed_by +
                         "`) is a symlink loop in the image");
    return;
  }
  for (const auto& w : walked) {
    if (m_reported.insert(w).second) {
      out.push_back({w, needed_by, name, true, *resolved});
    }
  }
  if (m_index.find(*resolved) != nullptr && m_reported.insert(*resolved).second) {
    out.push_back({*resolved, needed_by, name, false, {}});
  }
  if (resolved_out != nullptr) {
    *resolved_out = *resolved;
  }
}

std::optional<std::string> ElfClosure::search(const std::string& name, const ElfInfo& wanted,
                                              const std::vector<std::string>& dirs,
                                              std::string* loaded_as) {
  for (const auto& dir : dirs) {
    std::string candidate = image::normalize_path(dir + "/" + name);
    auto resolved = m_index.resolve(candidate);
    if (!resolved || data_entry(*resolved) == nullptr) {
      continue;
    }
    auto info = load(*resolved);
    if (!info || info->is_64 != wanted.is_64 || info->machine != wanted.machine ||
        info->little_endian != wanted.little_endian) {
      continue; // ld.so skips files of another class or machine and searches on
    }
    *loaded_as = candidate;
    return resolved;
  }
  return std::nullopt;
}

std::vector<ElfDependency> ElfClosure::add(std::string_view path) {
  std::vector<ElfDependency> out;
  auto root = m_index.resolve(path);
  if (!root || m_done.count(*root) != 0 || !load(*root)) {
    return out;
  }
  std::deque<Work> queue;
  queue.push_back({*root, image::parent_path(*root), {}, m_image_is_musl});
  while (!queue.empty() && m_done.size() < k_max_objects) {
    Work w = std::move(queue.front());
    queue.pop_front();
    if (!m_done.insert(w.path).second) {
      continue;
    }
    auto info = load(w.path);
    if (!info) {
      continue;
    }
    bool musl = w.musl;
    if (info->interp) {
      musl = is_musl_interp(*info->interp);
      std::string resolved;
      keep_walk(image::normalize_path(*info->interp), w.path, "PT_INTERP", out, &resolved);
      if (!resolved.empty() && data_entry(resolved) != nullptr) {
        queue.push_back({resolved, image::parent_path(resolved), {}, musl});
      } else {
        m_warnings.push_back("interpreter `" + *info->interp + "` of `" + w.path +
                             "` is not in the image");
      }
    }
    if (info->needed.empty()) {
      continue;
    }
    if (!musl && !m_cache_reported && m_index.resolve("/etc/ld.so.cache") &&
        data_entry(*m_index.resolve("/etc/ld.so.cache")) != nullptr) {
      m_cache_reported = true;
      keep_walk("/etc/ld.so.cache", w.path, "ld.so.cache", out, nullptr);
    }
    // The search order of ld.so (glibc); musl treats RPATH and RUNPATH alike.
    std::vector<std::string> own_rpath;
    if (info->rpath && (!info->runpath || musl)) {
      own_rpath = expand(*info->rpath, w.origin, *info);
    }
    std::vector<std::string> dirs = own_rpath;
    dirs.insert(dirs.end(), w.inherited.begin(), w.inherited.end());
    for (const auto& d : expand(m_options.ld_library_path, w.origin, *info)) {
      dirs.push_back(d);
    }
    if (info->runpath) {
      for (const auto& d : expand(*info->runpath, w.origin, *info)) {
        dirs.push_back(d);
      }
    }
    if ((info->flags_1 & k_df_1_nodeflib) == 0) {
      for (const auto& d : default_dirs(*info, musl)) {
        dirs.push_back(d);
      }
    }
    std::vector<std::string> child_inherited = own_rpath;
    child_inherited.insert(child_inherited.end(), w.inherited.begin(), w.inherited.end());
    for (const auto& name : info->needed) {
      std::string loaded_as;
      std::optional<std::string> found;
      if (name.find('/') != std::string::npos) {
        loaded_as = image::normalize_path(name);
        auto r = m_index.resolve(loaded_as);
        if (r && data_entry(*r) != nullptr) {
          found = r;
        }
      } else {
        found = search(name, *info, dirs, &loaded_as);
      }
      if (!found) {
        m_warnings.push_back("`" + name + "` needed by `" + w.path + "` is not in the image");
        continue;
      }
      keep_walk(loaded_as, w.path, name, out, nullptr);
      queue.push_back({*found, image::parent_path(loaded_as), child_inherited, musl});
    }
  }
  return out;
}

} // namespace slim::keep
