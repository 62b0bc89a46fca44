#pragma once
// The wire formats of `sensor source` (pure): index records about the image's files, the read
// requests slim sends and the answers' headers, and the container's mount table. The format
// is described in README.md ("source"); slim parses it in slim/image/source_stream.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::sensor {

/// %-escapes a stream field: bytes up to 0x20, 0x7f and `%` become %XX.
std::string escape_field(std::string_view raw);
/// Reverses escape_field; nullopt on a malformed escape or a raw control byte.
std::optional<std::string> unescape_field(std::string_view field);

/// What lstat says about one entry, in the index's terms.
struct IndexEntry {
  char kind = 'f'; ///< d f l c b p
  std::string path;
  std::uint32_t mode = 0; ///< permission bits (07777)
  std::uint32_t uid = 0, gid = 0;
  std::int64_t mtime = 0;
  std::uint32_t mtime_nsec = 0;
  std::uint64_t size = 0;             ///< regular files
  std::optional<std::string> inode;   ///< "DEV:INO" for files with more than one name
  std::string target;                 ///< symlinks
  std::uint32_t major = 0, minor = 0; ///< devices
  std::map<std::string, std::string> xattrs;
};

/// The index stream's first line.
inline constexpr std::string_view k_index_header = "slim-source-index 1\n";
/// The answer stream's first line.
inline constexpr std::string_view k_data_header = "slim-source-data 1\n";
/// The request stream's first line (without its line break).
inline constexpr std::string_view k_read_header = "slim-source-read 1";

/// The record of one entry: its line and one `x` line per xattr.
std::string index_record(const IndexEntry& entry);
/// A `w` line.
std::string warning_record(std::string_view text);

/// One request line `r MAX PATH`.
struct ReadLine {
  std::uint64_t max = 0;
  std::string path;
};
/// Parses a request line; nullopt unless it is `r MAX PATH` with an absolute path.
std::optional<ReadLine> parse_read_line(std::string_view line);

/// The mount points of /proc/self/mountinfo text (field 5, octal escapes undone), "/" left out.
std::vector<std::string> mount_points(std::string_view mountinfo);

} // namespace slim::sensor
