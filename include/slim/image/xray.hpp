#pragma once
// `slim xray`: what is in an image, computed from a SourceImage (pure: no engine, no I/O):
// layers with their history lines, the largest files, bytes wasted on files that later layers
// overwrote or deleted and dive's efficiency score, sizes by top directory, setuid/setgid
// files and files with capabilities.

#include "slim/image/source_image.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::image {

struct XrayLayer {
  std::string digest;         ///< blob digest
  std::string diff_id;        ///< uncompressed digest
  std::uint64_t size = 0;     ///< bytes of the files the layer adds (as `docker history`)
  std::uint64_t tar_size = 0; ///< bytes of the uncompressed layer tar
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
  std::string image;            ///< the name the user gave
  std::string id;               ///< image ID (config digest)
  std::uint64_t size = 0;       ///< the engine's Size (0 when unknown)
  std::uint64_t files_size = 0; ///< sum of the final files' sizes
  std::uint64_t paths = 0;      ///< entries in the final file system
  std::vector<XrayLayer> layers;
  std::vector<XrayFile> largest;
  std::uint64_t wasted_bytes = 0;
  double efficiency = 1.0;
  std::vector<XrayWaste> wasted;
  std::vector<std::pair<std::string, std::uint64_t>> top_dirs; ///< largest first
  std::vector<XrayFile> setuid;                                ///< setuid or setgid files
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

/// dive's CI rules (`--ci`): each is off when unset.
struct XrayCiRules {
  std::optional<double> lowest_efficiency;           ///< fail below this (0..1)
  std::optional<std::uint64_t> highest_wasted_bytes; ///< fail above this
  std::optional<double> highest_wasted_percent;      ///< fail above this share of the size (0..1)
};

/// One rule's verdict, as dive prints it.
struct XrayCiResult {
  std::string rule; ///< "lowestEfficiency", "highestWastedBytes", "highestUserWastedPercent"
  bool passed = true;
  std::string detail; ///< "efficiency 0.85 < 0.90"
};

/// The rules that are set, judged on `report` (pure).
std::vector<XrayCiResult> check_ci(const XrayReport& report, const XrayCiRules& rules);

/// "20MB", "1.5 GB", "512kB", "1000" (bytes; k/M/G are powers of 1000, KiB/MiB/GiB of 1024);
/// nullopt when it is not a size.
std::optional<std::uint64_t> parse_size(std::string_view text);

} // namespace slim::image
