#pragma once
// Applying layers in order to a FileIndex, as overlayfs would stack them: whiteouts and opaque
// directories hide lower content, a non-directory replacing a directory hides its children,
// hard links get the bytes of their target (which may live in a lower layer). Also tracks,
// per path, the bytes every layer spent on it, for dive's efficiency score. Pure logic.

#include "slim/image/file_index.hpp"
#include "slim/image/layer_reader.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>

namespace slim::image {

/// Per-path byte accounting across layers, as dive computes its efficiency.
class WasteTracker {
public:
  /// Records that a layer spent `bytes` on `path` (a file, or a whiteout of `bytes` hidden).
  void add(const std::string& path, std::int64_t bytes);
  /// Sum over paths of every layer's bytes for them.
  std::int64_t total_bytes() const noexcept { return m_total; }
  /// Sum over paths of the smallest bytes any layer spent on them.
  std::int64_t minimum_bytes() const noexcept;
  /// Bytes of paths that more than one layer touched (dive's "potential wasted space").
  std::int64_t wasted_bytes() const noexcept;
  /// useful / all bytes; 1.0 for an image without files.
  double efficiency() const noexcept;

  struct PathCost {
    std::int64_t cumulative = 0;
    std::int64_t minimum = -1;
    std::uint32_t count = 0;
  };
  /// Paths that more than one layer touched, with their cost, largest cumulative first.
  std::vector<std::pair<std::string, PathCost>> inefficient(std::size_t limit) const;

private:
  std::unordered_map<std::string, PathCost> m_paths;
  std::int64_t m_total = 0;
};

/// How layers are applied.
struct FlattenOptions {
  /// Apply a layer the way the engine extracts it, so the index is what a container shows
  /// (`slim build` compares it with a container's file system): a directory that a layer has
  /// entries (or whiteouts) below but no entry for is made by the engine in that layer (0755,
  /// root, no xattrs) and hides the lower directory's metadata, not its children; a hard link's
  /// header sets the metadata of the inode all its names share (the last header wins, xattrs
  /// are added). Off: the layers' own headers (xray, squash).
  bool engine_view = false;
  /// The mtime of the directories the engine makes (their real one is the moment of the load).
  std::int64_t implicit_dir_mtime = 0;
};

/// Applies one layer on top of `index`. Hard links whose target cannot be found become an error.
/// `waste` (optional) gets the layer's files and whiteouts.
Result<bool> apply_layer(FileIndex& index, LayerContents layer, WasteTracker* waste,
                         const FlattenOptions& options = {});

} // namespace slim::image
