#include "slim/image/container_view.hpp"

#include <algorithm>
#include <map>

namespace slim::image {

namespace {

bool at_or_under(const std::string& path, const std::string& dir) {
  if (dir == "/") {
    return true;
  }
  return path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

// The deepest volume `path` is at or below, as an index into `volumes`; -1 when none.
int volume_of(const std::string& path, const std::vector<std::string>& volumes) {
  int found = -1;
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    if (at_or_under(path, volumes[i]) &&
        (found < 0 || volumes[i].size() > volumes[static_cast<std::size_t>(found)].size())) {
      found = static_cast<int>(i);
    }
  }
  return found;
}

void drop_prefixed(std::map<std::string, std::string>& xattrs, const std::string& prefix) {
  for (auto it = xattrs.begin(); it != xattrs.end();) {
    it = it->first.compare(0, prefix.size(), prefix) == 0 ? xattrs.erase(it) : std::next(it);
  }
}

Entry directory(const std::string& path, std::int64_t mtime) {
  Entry d;
  d.path = path;
  d.type = EntryType::directory;
  d.mode = 0755;
  d.mtime = mtime;
  return d;
}

} // namespace

bool is_engine_path(const std::string& path) {
  return std::any_of(k_engine_paths.begin(), k_engine_paths.end(),
                     [&path](const std::string& p) { return at_or_under(path, p); });
}

std::vector<std::string> resolved_volumes(const FileIndex& index,
                                          const std::vector<std::string>& volumes) {
  std::vector<std::string> out;
  for (const auto& v : volumes) {
    auto resolved = index.resolve(normalize_path(v));
    if (resolved && *resolved != "/" && !is_engine_path(*resolved)) {
      out.push_back(*resolved);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void to_container_view(FileIndex& index, const ContainerViewInputs& inputs) {
  std::vector<std::string> volumes = resolved_volumes(index, inputs.volumes);
  for (const auto& p : k_engine_paths) {
    index.erase_children(p);
    index.erase(p);
  }
  for (const auto& p : k_engine_dirs) {
    index.erase(p);
  }
  index.put(directory("/", 0));
  for (const auto& v : volumes) {
    // The engine makes a missing VOLUME directory and its missing parents (MkdirAll, 0755).
    for (std::string d = v; d != "/" && index.find(d) == nullptr; d = parent_path(d)) {
      index.put(directory(d, inputs.created));
    }
  }
  std::map<DataRef, std::vector<Entry*>> inodes; // names in path order
  index.for_each_mutable([&](Entry& e) {
    e.uname.clear();
    e.gname.clear();
    drop_prefixed(e.xattrs, "trusted.");
    switch (e.type) {
    case EntryType::regular:
    case EntryType::hardlink:
      inodes[e.data].push_back(&e);
      break;
    case EntryType::directory:
      if (e.path == "/") {
        break;
      }
      if (volume_of(e.path, volumes) >= 0 || e.mtime > inputs.created ||
          (e.mtime == inputs.created && e.mtime_nsec > 0)) {
        e.mtime = inputs.created;
        e.mtime_nsec = 0;
      }
      break;
    case EntryType::symlink:
      e.mode = 0777;
      drop_prefixed(e.xattrs, "user.");
      break;
    default:
      drop_prefixed(e.xattrs, "user.");
      break;
    }
  });
  for (auto& [data, names] : inodes) {
    // One file per volume (or outside them) the names are in; the first name holds the bytes.
    std::map<int, std::pair<Entry*, std::uint32_t>> first; // volume -> first name, its copy
    for (Entry* e : names) {
      int vol = volume_of(e->path, volumes);
      auto copy = static_cast<std::uint32_t>(first.size());
      auto [it, is_first] = first.try_emplace(vol, e, copy);
      e->data.copy = it->second.second;
      if (is_first) {
        e->type = EntryType::regular;
        e->link_target.clear();
      } else {
        e->type = EntryType::hardlink;
        e->link_target = it->second.first->path;
      }
    }
  }
}

} // namespace slim::image
