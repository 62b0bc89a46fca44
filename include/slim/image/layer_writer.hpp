#pragma once
// Writing one layer tar from a selection of a FileIndex: original bytes (copied from the
// source layers with pread) and metadata, directories before their contents, sorted order,
// deterministic pax headers (no atime/ctime), sha256 computed while writing.

#include "slim/image/file_index.hpp"
#include "slim/image/layer_reader.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace slim::image {

/// What write_layer produced.
struct LayerWriteResult {
  std::filesystem::path path;   ///< the plain tar written
  std::string diff_id;          ///< "sha256:<hex>" of the tar
  std::uint64_t size = 0;       ///< bytes of the tar
  std::uint64_t entries = 0;    ///< members written
  std::uint64_t file_bytes = 0; ///< sum of regular file bytes written
};

/// Every path of `index` (for a squash): the selection that keeps everything.
std::set<std::string> all_paths(const FileIndex& index);

/// Receives file bytes as they come.
using ContentSink = std::function<void(const char* data, std::size_t size)>;
/// Supplies the bytes of a layer's files: called once with the entries whose bytes the layer
/// holds (regular files, each inode once, in writing order), it passes exactly each one's
/// `size` bytes to the sink, one file after the other. Throws slim::Error on failures.
using ContentSource =
    std::function<void(const std::vector<const Entry*>& files, const ContentSink& sink)>;

/// A ContentSource reading the files' bytes from the plain layer tars `layers` (indexed by
/// DataRef::layer) with pread. `layers` must outlive it.
ContentSource layer_tar_content(const std::vector<LayerFile>& layers);

/// write_layer with the files' bytes from `content` (streamed straight into the tar; the result
/// is the same bytes whatever the source).
LayerWriteResult write_layer(const FileIndex& index, const std::set<std::string>& selection,
                             const ContentSource& content, const std::filesystem::path& out);

/// Writes the selected paths of `index` (absolute, normalised; paths not in the index are
/// skipped) plus every parent directory of them to the plain tar `out`. File bytes are read
/// from `layers` (indexed by DataRef::layer). Entries that share bytes (hard links) are
/// written once and linked from the others. Same index + selection -> identical bytes.
/// Throws slim::Error on I/O failures.
LayerWriteResult write_layer(const FileIndex& index, const std::vector<LayerFile>& layers,
                             const std::set<std::string, std::less<>>& selection,
                             const std::filesystem::path& out);
/// write_layer with a plain std::set selection.
LayerWriteResult write_layer(const FileIndex& index, const std::vector<LayerFile>& layers,
                             const std::set<std::string>& selection,
                             const std::filesystem::path& out);

} // namespace slim::image
