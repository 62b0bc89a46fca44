#pragma once
// The flattened view of an image: absolute path -> the final entry after all layers applied.
// Only metadata is held; an entry says where its bytes live (layer + offset), never the bytes.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::image {

enum class EntryType { regular, directory, symlink, hardlink, char_device, block_device, fifo };

/// Where a regular file's bytes are: in layer `layer` (index in the image's layer order), as a
/// tar member whose data starts at `offset` in that layer's *uncompressed* tar stream.
/// Entries with equal DataRefs share their bytes (hard links) and are written once. `copy` tells
/// apart files that have the same bytes but are not linked (a link group the container view
/// split at a volume's boundary); the bytes are still read from `layer` and `offset`.
struct DataRef {
  std::uint32_t layer = 0;
  std::uint64_t offset = 0;
  std::uint32_t copy = 0;
  bool operator==(const DataRef&) const = default;
  auto operator<=>(const DataRef&) const = default;
};

/// One file-system entry as the image's layers leave it.
struct Entry {
  std::string path; ///< absolute, normalised: "/", "/usr/bin/env" (no trailing slash)
  EntryType type = EntryType::regular;
  std::uint32_t mode = 0; ///< permission bits incl. setuid/setgid/sticky (07777)
  std::uint32_t uid = 0, gid = 0;
  std::string uname, gname;
  std::int64_t size = 0;  ///< bytes of a regular file
  std::int64_t mtime = 0; ///< seconds since the epoch
  std::uint32_t mtime_nsec = 0;
  std::string link_target; ///< symlink: target as stored; hardlink: absolute path of the target
  std::map<std::string, std::string> xattrs; ///< e.g. security.capability (raw bytes)
  std::uint32_t dev_major = 0, dev_minor = 0;
  DataRef data; ///< regular files only
};

/// Sorted map of entries with image-internal path resolution. Never touches the host.
class FileIndex {
public:
  /// Inserts or replaces the entry at entry.path.
  void put(Entry entry);
  /// Removes one path (not its children); returns whether it existed.
  bool erase(std::string_view path);
  /// Removes everything strictly below `dir` (opaque directories, replaced dirs).
  void erase_children(std::string_view dir);
  /// The entry at exactly `path` (no symlink following), or nullptr.
  const Entry* find(std::string_view path) const;
  /// find() for changing an entry in place (its path must stay the same), or nullptr.
  Entry* find_mutable(std::string_view path);
  /// Direct children of a directory, sorted by path.
  std::vector<const Entry*> children(std::string_view dir) const;
  /// Every entry below `dir` (recursively), sorted by path.
  std::vector<const Entry*> subtree(std::string_view dir) const;
  /// Calls `fn` for every entry in path order.
  void for_each(const std::function<void(const Entry&)>& fn) const;
  /// for_each() that may change entries in place (never their paths).
  void for_each_mutable(const std::function<void(Entry&)>& fn);
  std::size_t size() const noexcept { return m_entries.size(); }

  /// Resolves `path` inside the image as the kernel would (symlinks in every component,
  /// relative and absolute targets, `..`), with a hop limit of 40. Every symlink walked through
  /// is appended to `walked` if given. Returns the final path (which may not exist in the
  /// index), or nullopt on a loop / too many hops.
  std::optional<std::string> resolve(std::string_view path,
                                     std::vector<std::string>* walked = nullptr) const;

private:
  std::map<std::string, Entry, std::less<>> m_entries;
};

/// Normalises a path to the index form: absolute, no `.`/`..`/empty components (`..` at the
/// root stays at the root), no trailing slash. "usr//bin/./x" -> "/usr/bin/x".
std::string normalize_path(std::string_view path);
/// The parent of a normalised path ("/" for top-level entries and for "/").
std::string parent_path(std::string_view path);

} // namespace slim::image
