#pragma once
// A one-layer image made from a source image and a selection of its paths: the layer tar, the
// derived config, and the outer archives (docker-archive for POST /images/load, OCI layout on
// request) built around them. Deterministic: same source + selection -> same bytes and ID.

#include "slim/image/config.hpp"
#include "slim/image/layer_writer.hpp"
#include "slim/image/source_image.hpp"
#include "slim/image/tar_stream.hpp"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace slim::image {

/// A written one-layer image (the layer is a file in the work directory).
struct NewImage {
  LayerWriteResult layer;
  std::string config;   ///< the config document's bytes
  std::string image_id; ///< "sha256:<hex>" of the config: the engine's image ID
};

/// Writes the layer of `selection` from `source` into `work_dir` and derives the config
/// (`overrides` applied, history entry `created_by`).
NewImage write_image(const SourceImage& source, const std::set<std::string>& selection,
                     const ConfigOverrides& overrides, const std::string& created_by,
                     const std::filesystem::path& work_dir);

/// write_image from any source of files: the selection of `index`, the bytes from `content`,
/// the config derived from `config`.
NewImage write_image(const FileIndex& index, const ImageConfig& config,
                     const std::set<std::string>& selection, const ContentSource& content,
                     const ConfigOverrides& overrides, const std::string& created_by,
                     const std::filesystem::path& work_dir);

/// The docker-archive of `image` (manifest.json, repositories, config, <hex>/layer.tar),
/// tagged with `tags` ("name:tag"; may be empty). The stream reads the layer file lazily.
TarStream docker_archive(const NewImage& image, const std::vector<std::string>& tags);

/// The OCI image layout tar of `image` (oci-layout, index.json, blobs/sha256/...), with a
/// docker-compatible manifest.json beside it so `docker load` accepts it too.
TarStream oci_archive(const NewImage& image, const std::vector<std::string>& tags);

/// "name:tag" with ":latest" added when the reference has no tag.
std::string normalize_tag(const std::string& reference);

} // namespace slim::image
