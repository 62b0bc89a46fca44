#pragma once
// Reading one layer: a plain tar (a byte range of a file on disk) streamed through libarchive
// into metadata-only entries, with the sha256 of the whole range computed on the way, and
// compressed layers (gzip, zstd) decompressed to a plain tar file first.

#include "slim/image/file_index.hpp"
#include "slim/util/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace slim::image {

/// A layer's plain (uncompressed) tar: `size` bytes at `offset` in the file `path`.
struct LayerFile {
  std::filesystem::path path;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

/// A whiteout found in a layer: `path` is hidden (`.wh.NAME`), or, when `opaque`, everything
/// below the directory `path` from lower layers is hidden (`.wh..wh..opq`).
struct Whiteout {
  std::string path;
  bool opaque = false;
};

/// One layer's contents in tar order. Hard links carry only their (normalised) target here;
/// apply_layer gives them the target's bytes.
struct LayerContents {
  std::vector<Entry> entries;
  std::vector<Whiteout> whiteouts;
  std::string sha256_hex;      ///< sha256 of the whole tar byte range (the diff_id's hex)
  std::uint64_t file_bytes = 0; ///< sum of regular file sizes
};

/// Compression of a layer blob, from its first bytes.
enum class Compression { none, gzip, zstd };

/// Detects gzip/zstd by magic number from the first bytes of a blob.
Compression detect_compression(const unsigned char* head, std::size_t size);

/// Reads the plain tar `file`; entries get DataRef{layer, offset of their data in the tar}.
/// Entry names are normalised (`../x` and `/abs` become paths inside the image). Fails on a
/// truncated or malformed tar, and on sparse members.
Result<LayerContents> read_layer(const LayerFile& file, std::uint32_t layer);

/// What decompress_layer produced.
struct Decompressed {
  LayerFile tar;               ///< the plain tar written to `out`
  std::string blob_sha256_hex; ///< sha256 of the compressed input range
  std::string tar_sha256_hex;  ///< sha256 of the decompressed bytes (the diff_id's hex)
};

/// Decompresses a gzip or zstd blob (`size` bytes at `offset` in `in`) to the file `out`.
Result<Decompressed> decompress_layer(const LayerFile& in, const std::filesystem::path& out);

/// sha256 hex of `size` bytes at `offset` in `path`, read in large blocks.
Result<std::string> hash_file_range(const std::filesystem::path& path, std::uint64_t offset,
                                    std::uint64_t size);

} // namespace slim::image
