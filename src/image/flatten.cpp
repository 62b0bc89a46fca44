#include "slim/image/flatten.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace slim::image {

void WasteTracker::add(const std::string& path, std::int64_t bytes) {
  PathCost& c = m_paths[path];
  c.cumulative += bytes;
  if (c.minimum < 0 || bytes < c.minimum) {
    c.minimum = bytes;
  }
  ++c.count;
  m_total += bytes;
}

std::int64_t WasteTracker::minimum_bytes() const noexcept {
  std::int64_t sum = 0;
  for (const auto& [path, c] : m_paths) {
    sum += c.minimum;
  }
  return sum;
}

std::int64_t WasteTracker::wasted_bytes() const noexcept {
  std::int64_t sum = 0;
  for (const auto& [path, c] : m_paths) {
    if (c.count > 1) {
      sum += c.cumulative;
    }
  }
  return sum;
}

double WasteTracker::efficiency() const noexcept {
  if (m_total == 0) {
    return 1.0;
  }
  return static_cast<double>(minimum_bytes()) / static_cast<double>(m_total);
}

std::vector<std::pair<std::string, WasteTracker::PathCost>>
WasteTracker::inefficient(std::size_t limit) const {
  std::vector<std::pair<std::string, PathCost>> out;
  for (const auto& [path, c] : m_paths) {
    if (c.count > 1) {
      out.emplace_back(path, c);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second.cumulative != b.second.cumulative ? a.second.cumulative > b.second.cumulative
                                                      : a.first < b.first;
  });
  if (out.size() > limit) {
    out.resize(limit);
  }
  return out;
}

namespace {

// Bytes hidden by a whiteout of `path`: the file's size, or everything below a directory.
std::int64_t hidden_bytes(const FileIndex& index, const std::string& path) {
  const Entry* e = index.find(path);
  if (e == nullptr) {
    return 0;
  }
  if (e->type != EntryType::directory) {
    return e->type == EntryType::regular ? e->size : 0;
  }
  std::int64_t sum = 0;
  for (const Entry* c : index.subtree(path)) {
    if (c->type == EntryType::regular) {
      sum += c->size;
    }
  }
  return sum;
}

// The directories the engine makes while it extracts `layer`: parents of its entries and
// whiteouts that the layer has no entry for (an opaque marker's directory too).
std::set<std::string> implicit_dirs(const LayerContents& layer) {
  std::set<std::string> named;
  for (const Entry& e : layer.entries) {
    if (e.type == EntryType::directory) {
      named.insert(e.path);
    }
  }
  std::set<std::string> out;
  auto need = [&](std::string dir) {
    for (; dir != "/"; dir = parent_path(dir)) {
      if (named.count(dir) != 0 || !out.insert(dir).second) {
        break; // its own parents are handled where it is named or was first needed
      }
    }
  };
  for (const Entry& e : layer.entries) {
    need(parent_path(e.path));
  }
  for (const Whiteout& w : layer.whiteouts) {
    need(w.opaque ? w.path : parent_path(w.path));
  }
  return out;
}

// What one hard link's header sets on the inode its names share.
struct LinkHeader {
  DataRef data;
  std::uint32_t mode = 0, uid = 0, gid = 0;
  std::int64_t mtime = 0;
  std::uint32_t mtime_nsec = 0;
  std::map<std::string, std::string> xattrs;
};

// Gives every name of each linked inode the metadata of its last header, as extraction does.
void apply_link_headers(FileIndex& index, const std::vector<LinkHeader>& links) {
  std::map<DataRef, std::vector<std::string>> names;
  index.for_each([&names](const Entry& e) {
    if (e.type == EntryType::regular || e.type == EntryType::hardlink) {
      names[e.data].push_back(e.path);
    }
  });
  for (const LinkHeader& h : links) {
    // The inode holds every xattr any of its headers set; this header's values win.
    std::map<std::string, std::string> xattrs = h.xattrs;
    for (const std::string& path : names[h.data]) {
      const Entry* e = index.find(path);
      xattrs.insert(e->xattrs.begin(), e->xattrs.end());
    }
    for (const std::string& path : names[h.data]) {
      Entry* e = index.find_mutable(path);
      e->mode = h.mode;
      e->uid = h.uid;
      e->gid = h.gid;
      e->mtime = h.mtime;
      e->mtime_nsec = h.mtime_nsec;
      e->xattrs = xattrs;
    }
  }
}

} // namespace

Result<bool> apply_layer(FileIndex& index, LayerContents layer, WasteTracker* waste,
                         const FlattenOptions& options) {
  std::set<std::string> made;
  if (options.engine_view) {
    made = implicit_dirs(layer);
  }
  // Whiteouts first: they hide lower layers only, never entries of this same layer.
  for (const Whiteout& w : layer.whiteouts) {
    if (w.opaque) {
      index.erase_children(w.path);
      continue;
    }
    if (waste != nullptr) {
      waste->add(w.path, hidden_bytes(index, w.path));
    }
    index.erase_children(w.path);
    index.erase(w.path);
  }
  // Regular files of this layer by path, for hard links to targets in the same layer.
  std::unordered_map<std::string, std::size_t> here;
  for (std::size_t i = 0; i < layer.entries.size(); ++i) {
    Entry& e = layer.entries[i];
    if (e.type == EntryType::hardlink) {
      const Entry* target = nullptr;
      if (auto it = here.find(e.link_target); it != here.end()) {
        target = &layer.entries[it->second];
      } else {
        target = index.find(e.link_target);
      }
      if (target == nullptr ||
          (target->type != EntryType::regular && target->type != EntryType::hardlink)) {
        return Result<bool>::fail("hard link `" + e.path + "` points to `" + e.link_target +
                                  "`, which is not a file in this or a lower layer");
      }
      e.size = target->size;
      e.data = target->data;
    }
    if (waste != nullptr && e.type != EntryType::directory) {
      waste->add(e.path, e.type == EntryType::regular ? e.size : 0);
    }
    if (e.type != EntryType::directory) {
      if (const Entry* old = index.find(e.path);
          old != nullptr && old->type == EntryType::directory) {
        index.erase_children(e.path);
      }
    }
    if (e.type == EntryType::regular || e.type == EntryType::hardlink) {
      here[e.path] = i;
    }
  }
  for (const std::string& dir : made) {
    // A directory of this layer over a lower non-directory hides it; over a lower directory it
    // shows its own metadata and the lower children.
    if (const Entry* old = index.find(dir); old != nullptr && old->type != EntryType::directory) {
      index.erase(dir);
    }
    Entry d;
    d.path = dir;
    d.type = EntryType::directory;
    d.mode = 0755;
    d.mtime = options.implicit_dir_mtime;
    index.put(std::move(d));
  }
  std::vector<LinkHeader> links;
  if (options.engine_view) {
    for (const Entry& e : layer.entries) {
      if (e.type == EntryType::hardlink) {
        links.push_back({e.data, e.mode, e.uid, e.gid, e.mtime, e.mtime_nsec, e.xattrs});
      }
    }
  }
  for (Entry& e : layer.entries) {
    index.put(std::move(e));
  }
  if (!links.empty()) {
    apply_link_headers(index, links);
  }
  return true;
}

} // namespace slim::image
