#include "sensor/paths.hpp"

#include <deque>

namespace slim::sensor {

namespace {

// Splits `path` into its non-empty components, keeping "." and ".." for the caller.
std::deque<std::string> split(std::string_view path) {
  std::deque<std::string> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') {
      ++i;
    }
    std::size_t j = i;
    while (j < path.size() && path[j] != '/') {
      ++j;
    }
    if (j > i) {
      parts.emplace_back(path.substr(i, j - i));
    }
    i = j;
  }
  return parts;
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

} // namespace

std::string join_path(std::string_view base, std::string_view path) {
  if (!path.empty() && path.front() == '/') {
    return std::string(path);
  }
  std::string out(base);
  if (out.empty() || out.back() != '/') {
    out += '/';
  }
  out += path;
  return out;
}

std::string normalize_path(std::string_view path) {
  std::vector<std::string> stack;
  for (auto& part : split(path)) {
    if (part == ".") {
      continue;
    }
    if (part == "..") {
      if (!stack.empty()) {
        stack.pop_back();
      }
      continue;
    }
    stack.push_back(std::move(part));
  }
  std::string out;
  for (const auto& part : stack) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

bool is_ignored_path(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return true;
  }
  for (std::string_view prefix : {"/.slim", "/proc", "/sys", "/dev"}) {
    if (path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
}

ResolvedPath resolve_path(std::string_view path, bool follow_final, const LinkLookup& lookup) {
  ResolvedPath out;
  std::deque<std::string> todo = split(path);
  std::string current; // resolved prefix, "" means "/"
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") {
      continue;
    }
    if (part == "..") {
      current = parent_of(current.empty() ? "/" : current);
      if (current == "/") {
        current.clear();
      }
      continue;
    }
    std::string candidate = current + "/" + part;
    bool last = todo.empty();
    std::optional<std::string> target;
    if ((!last || follow_final) && links < 40) {
      target = lookup(candidate);
    }
    if (!target) {
      current = std::move(candidate);
      continue;
    }
    ++links;
    out.symlinks.push_back(candidate);
    auto target_parts = split(*target);
    if (!target->empty() && target->front() == '/') {
      current.clear();
    }
    for (auto it = target_parts.rbegin(); it != target_parts.rend(); ++it) {
      todo.push_front(*it);
    }
  }
  out.path = current.empty() ? "/" : current;
  return out;
}

} // namespace slim::sensor
