#include "slim/image/flatten.hpp"

#include <algorithm>
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

} // namespace

Result<bool> apply_layer(FileIndex& index, LayerContents layer, WasteTracker* waste) {
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
      if (const Entry* old = index.find(e.path); old != nullptr && old->type == EntryType::directory) {
        index.erase_children(e.path);
      }
    }
    if (e.type == EntryType::regular || e.type == EntryType::hardlink) {
      here[e.path] = i;
    }
  }
  for (Entry& e : layer.entries) {
    index.put(std::move(e));
  }
  return true;
}

} // namespace slim::image
