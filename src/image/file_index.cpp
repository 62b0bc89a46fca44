#include "slim/image/file_index.hpp"

#include <algorithm>

namespace slim::image {

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    std::string_view part = path.substr(i, j - i);
    if (part.empty() || part == ".") {
      // skip
    } else if (part == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (auto p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

std::string parent_path(std::string_view path) {
  auto pos = path.rfind('/');
  if (pos == std::string_view::npos || pos == 0) {
    return "/";
  }
  return std::string(path.substr(0, pos));
}

void FileIndex::put(Entry entry) {
  std::string key = entry.path;
  m_entries.insert_or_assign(std::move(key), std::move(entry));
}

bool FileIndex::erase(std::string_view path) {
  auto it = m_entries.find(path);
  if (it == m_entries.end()) {
    return false;
  }
  m_entries.erase(it);
  return true;
}

namespace {
// The first key that can be below `dir` and the prefix such keys start with.
std::string child_prefix(std::string_view dir) {
  return dir == "/" ? std::string("/") : std::string(dir) + "/";
}
} // namespace

void FileIndex::erase_children(std::string_view dir) {
  std::string prefix = child_prefix(dir);
  auto it = m_entries.lower_bound(prefix);
  while (it != m_entries.end() && it->first.compare(0, prefix.size(), prefix) == 0) {
    if (it->first == "/") {
      ++it;
      continue;
    }
    it = m_entries.erase(it);
  }
}

const Entry* FileIndex::find(std::string_view path) const {
  auto it = m_entries.find(path);
  return it == m_entries.end() ? nullptr : &it->second;
}

Entry* FileIndex::find_mutable(std::string_view path) {
  auto it = m_entries.find(path);
  return it == m_entries.end() ? nullptr : &it->second;
}

std::vector<const Entry*> FileIndex::subtree(std::string_view dir) const {
  std::vector<const Entry*> out;
  std::string prefix = child_prefix(dir);
  for (auto it = m_entries.lower_bound(prefix);
       it != m_entries.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (it->first != "/") {
      out.push_back(&it->second);
    }
  }
  return out;
}

std::vector<const Entry*> FileIndex::children(std::string_view dir) const {
  std::vector<const Entry*> out;
  std::string prefix = child_prefix(dir);
  for (auto* e : subtree(dir)) {
    if (e->path.find('/', prefix.size()) == std::string::npos) {
      out.push_back(e);
    }
  }
  return out;
}

void FileIndex::for_each(const std::function<void(const Entry&)>& fn) const {
  for (const auto& [path, entry] : m_entries) {
    fn(entry);
  }
}

void FileIndex::for_each_mutable(const std::function<void(Entry&)>& fn) {
  for (auto& [path, entry] : m_entries) {
    fn(entry);
  }
}

std::optional<std::string> FileIndex::resolve(std::string_view path,
                                              std::vector<std::string>* walked) const {
  // Components still to walk, in order; `done` is the resolved prefix so far.
  std::vector<std::string> todo;
  auto push_components = [&todo](std::string_view p) {
    std::vector<std::string> parts;
    std::size_t i = 0;
    while (i <= p.size()) {
      std::size_t j = p.find('/', i);
      if (j == std::string_view::npos) {
        j = p.size();
      }
      if (j > i) {
        parts.emplace_back(p.substr(i, j - i));
      }
      i = j + 1;
    }
    todo.insert(todo.end(), parts.rbegin(), parts.rend()); // stack: next component at back
  };
  push_components(path);
  std::string done = "/";
  int hops = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.back());
    todo.pop_back();
    if (part == ".") {
      continue;
    }
    if (part == "..") {
      done = parent_path(done);
      continue;
    }
    std::string next = done == "/" ? "/" + part : done + "/" + part;
    const Entry* e = find(next);
    if (e != nullptr && e->type == EntryType::symlink) {
      if (++hops > 40) {
        return std::nullopt;
      }
      if (walked != nullptr) {
        walked->push_back(next);
      }
      const std::string& target = e->link_target;
      if (!target.empty() && target[0] == '/') {
        done = "/";
      }
      push_components(target);
      continue;
    }
    done = std::move(next);
  }
  return done;
}

} // namespace slim::image
