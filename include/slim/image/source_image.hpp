#pragma once
// An image read from an archive on disk (docker-archive or OCI layout, as `docker save` or
// GET /images/{name}/get writes it): typed config, its layers (verified against their sha256
// digests), and the flattened file index. Layer tars stay on disk: plain layers are read in
// place inside the archive file, compressed ones are decompressed into the work directory.

#include "slim/image/config.hpp"
#include "slim/image/file_index.hpp"
#include "slim/image/flatten.hpp"
#include "slim/image/layer_reader.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace slim::image {

/// The two archive layouts engines write.
enum class ArchiveFormat { docker, oci };

/// One layer of a source image.
struct LayerInfo {
  std::string digest;  ///< blob digest as the archive names it ("sha256:...")
  std::string diff_id; ///< sha256 of the uncompressed tar ("sha256:...")
  Compression compression = Compression::none;
  std::uint64_t blob_size = 0;  ///< bytes of the blob as stored
  LayerFile tar;                ///< where the plain tar bytes are
  std::uint64_t entries = 0;    ///< files, directories, links in the layer
  std::uint64_t whiteouts = 0;  ///< whiteout and opaque markers
  std::uint64_t file_bytes = 0; ///< sum of regular file sizes in the layer
  std::string created_by;       ///< the history line that made the layer (may be empty)
};

/// An image read from an archive. Holds metadata only.
struct SourceImage {
  ArchiveFormat format = ArchiveFormat::docker;
  std::string config_digest; ///< "sha256:..." of the config blob: the image ID
  ImageConfig config;
  std::vector<std::string> repo_tags;
  std::vector<LayerInfo> layers;
  FileIndex index;
  WasteTracker waste;

  /// The plain tar of every layer, in layer order (for the writer's DataRefs).
  std::vector<LayerFile> layer_files() const;
};

/// Reads the archive file `archive`, checks every digest, and flattens its (first) image.
/// Compressed layers are decompressed into `work_dir`. Throws slim::Error naming the archive
/// and the reason: missing manifest, truncated tar, digest mismatch, malformed JSON. `options`
/// say how the layers are flattened.
SourceImage open_image_archive(const std::filesystem::path& archive,
                               const std::filesystem::path& work_dir,
                               const FlattenOptions& options = {});

} // namespace slim::image
