#pragma once
// Where `slim build` reads the source image's files from (private to src/pipeline): the index
// (the container view, image/container_view.hpp), the first bytes of files for the keep set,
// the kept files' bytes for the writer. Two sources give the same answers: the export
// (`--source export`: the whole image streamed out of the engine and flattened) and a pristine
// container of the image (the default: its sensor lists the files and sends only the bytes
// asked for, so the cost follows what is kept, not the image's size).

#include "slim/engine/client.hpp"
#include "slim/image/container_view.hpp"
#include "slim/image/layer_writer.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace slim::pipeline {

class FileSource {
public:
  virtual ~FileSource() = default;
  /// The image's files as a container shows them (the container view).
  virtual const image::FileIndex& index() const = 0;
  /// The first `max` bytes of the regular file `entry` (fewer when it is shorter) when they are
  /// at hand; else nullopt, and the read is remembered for fetch(). Also nullopt for a file
  /// that cannot be read.
  virtual std::optional<std::string> read(const image::Entry& entry, std::size_t max) = 0;
  /// Fetches what read() missed since the last call (one round trip); false when nothing was
  /// missed, so the last reads saw every byte they asked for.
  virtual bool fetch() = 0;
  /// The files' bytes for the layer writer.
  virtual image::ContentSource content() = 0;
  /// Warnings about what the source could not see.
  virtual std::vector<std::string> warnings() const { return {}; }
  /// Lets go of what the source holds in the engine (the pristine container); idempotent.
  virtual void release() {}
};

/// What both sources need to know.
struct SourceRequest {
  std::string image_id;            ///< the source image
  image::ContainerViewInputs view; ///< creation time and VOLUMEs (from the engine's inspect)
  std::filesystem::path work_dir;  ///< the build's temp dir
  std::string sensor_bytes;        ///< the static sensor (pristine only)
};

/// The export: GET /images/{id}/get into work_dir, flattened as the engine extracts layers
/// (FlattenOptions::engine_view), the container view applied. Uses a connection of its own.
std::unique_ptr<FileSource> export_files(const engine::Client& client,
                                         const SourceRequest& request);

/// The pristine container: made from the image with the sensor as PID 1 (`source serve`), no
/// capabilities beyond CAP_DAC_OVERRIDE (to read every file), no network, no healthcheck; its
/// index read with `sensor source index`. It stays until release() (or the destructor).
std::unique_ptr<FileSource> pristine_files(const engine::Client& client,
                                           const SourceRequest& request);

} // namespace slim::pipeline
