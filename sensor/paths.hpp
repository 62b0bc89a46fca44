#pragma once
// Pure path logic for the sensor: lexical joins, the paths it never reports, and the kernel's
// walk of a path through symlinks (given a lookup function, so tests need no file system).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::sensor {

/// Joins `path` to `base` (an absolute directory) unless `path` is absolute; no normalisation.
std::string join_path(std::string_view base, std::string_view path);

/// Collapses `//` and `.` components and resolves `..` lexically (never above `/`); input must
/// be absolute. Only correct when no component before a `..` is a symlink.
std::string normalize_path(std::string_view path);

/// True for paths the sensor never reports: /.slim, /proc, /sys, /dev and anything below them,
/// and anything that is not absolute (sockets, pipes, anon inodes as /proc/PID/fd shows them).
bool is_ignored_path(std::string_view path);

/// What a symlink lookup says: the link's target when `path` is a symlink, else nullopt
/// (a regular file, a directory, or nothing there).
using LinkLookup = std::function<std::optional<std::string>(const std::string& path)>;

/// The outcome of walking a path the way the kernel does.
struct ResolvedPath {
  std::string path;                  ///< the final path, every symlink on the way resolved
  std::vector<std::string> symlinks; ///< each symlink walked through, in order, absolute
};

/// Walks the absolute `path` component by component like the kernel: a symlink in the middle
/// (or at the end when `follow_final`) is replaced by its target (relative to its directory),
/// `..` applies to the resolved prefix. Stops expanding after 40 links (like ELOOP).
ResolvedPath resolve_path(std::string_view path, bool follow_final, const LinkLookup& lookup);

} // namespace slim::sensor
