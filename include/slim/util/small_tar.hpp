#pragma once
// Small in-memory tars (libarchive underneath), for what slim puts into containers (the sensor)
// and takes out of them (the report). Not for image layers: those stream through slim/image.

#include "slim/util/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace slim {

struct SmallTarEntry {
  std::string path;          ///< relative path inside the tar, e.g. ".slim/sensor"
  std::string content;       ///< file bytes (ignored for directories)
  std::uint32_t mode = 0644; ///< permission bits
  bool directory = false;
};

/// A ustar/pax tar holding `entries` in the given order, owned by 0:0, mtime 0.
std::string make_small_tar(const std::vector<SmallTarEntry>& entries);

/// The bytes of the first regular file in `tar` whose name ends with `name` (the engine's
/// archive GET names the member after the basename); error if absent, malformed, or larger
/// than `max_bytes`.
Result<std::string> extract_from_small_tar(const std::string& tar, const std::string& name,
                                           std::uint64_t max_bytes);

} // namespace slim
