#pragma once
// `slim xray`: what is in an image, computed from a SourceImage (pure: no engine, no I/O):
// layers with their history lines, the largest files, bytes wasted on files that later layers
// overwrote or deleted and dive's efficiency score, sizes by top directory, setuid/setgid
// files and files with capabilities.

#include "slim/image/source_image.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace slim::image {

struct XrayLayer {
  std::string digest;           ///< blob digest
  std::string diff_id;          ///< uncompressed digest
  std::uint64_t size = 0;       ///< bytes of the files the layer adds (as `docker history`)
  std::uint64_t tar_size = 0;   ///< bytes of the uncompressed layer tar
  std::uint64_t entries = 0;
  std::uint64_t whiteouts = 0;
  std::string created_by;
};

struct XrayFile {
  std::string path;
  std::uint64_t size = 0;
  std::uint32_t mode = 0;
  std::uint32_t uid = 0, gid = 0;
};

struct XrayWaste {
  std::string path;
  std::uint64_t bytes = 0; ///< every layer's bytes for the path
  std::uint32_t count = 0; ///< how many layers touched it
};

struct XrayReport {
  std::string image;     ///< the name the user gave
  std::string id;        ///< image ID (config digest)
  std::uint64_t size = 0; ///< the engine's Size (0 when unknown)
  std::uint64_t files_size = 0; ///< sum of the final files' sizes
  std::uint64_t paths = 0;      ///< entries in the final file system
  std::vector<XrayLayer> layers;
  std::vector<XrayFile> largest;
  std::uint64_t wasted_bytes = 0;
  double efficiency = 1.0;
  std::vector<XrayWaste> wasted;
  std::vector<std::pair<std::string, std::uint64_t>> top_dirs; ///< largest first
  std::vector<XrayFile> setuid; ///< setuid or setgid files
  std::vector<XrayFile> capabilities;
};

/// Builds the report; `engine_size` is the engine's Size for the image; `top` bounds lists.
XrayReport xray(const SourceImage& image, const std::string& name, std::uint64_t engine_size,
                std::size_t top = 20);

/// The report as JSON (top-level `layers` array and `size`).
nlohmann::json to_json(const XrayReport& report);

/// The report as human-readable tables.
std::string to_text(const XrayReport& report);

/// "1.5 MB"-style size.
std::string human_size(std::uint64_t bytes);

} // namespace slim::image
