#pragma once
// An outer image archive (docker-archive or OCI layout tar) described as a list of members
// whose bytes come from memory (small JSON documents) or from a file on disk (the layer), and
// produced as a byte stream on demand: for POST /images/load or a file, never held in memory.
// Headers are deterministic: ustar, mode 0644/0755, owner 0:0, mtime 0.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace slim::image {

class TarStream {
public:
  /// Adds a directory member `name` (relative, without trailing slash).
  void add_directory(std::string name);
  /// Adds a regular member holding `data`.
  void add_bytes(std::string name, std::string data);
  /// Adds a regular member holding `size` bytes of the file `path` from its start.
  void add_file(std::string name, std::filesystem::path path, std::uint64_t size);

  /// Total bytes of the stream.
  std::uint64_t size() const;
  /// A pull source over the whole stream: fills `buf` with up to `cap` bytes, 0 at the end.
  /// Each call of source() starts from the beginning. Throws slim::Error on read failures.
  std::function<std::size_t(char* buf, std::size_t cap)> source() const;
  /// Writes the stream to `out` (replaced if it exists). Throws slim::Error on failure.
  void write_to(const std::filesystem::path& out) const;

  struct Member {
    std::string name;
    bool directory = false;
    std::string data;              ///< in-memory bytes
    std::filesystem::path file;    ///< or a file's bytes
    std::uint64_t size = 0;
  };
  /// The members in order.
  const std::vector<Member>& members() const noexcept { return m_members; }

private:
  std::vector<Member> m_members;
};

/// A 512-byte ustar header for a member (base-256 size above 8 GiB, names up to 255 bytes
/// split at a slash); throws slim::Error for names that cannot be stored.
std::string ustar_header(const std::string& name, std::uint64_t size, bool directory);

} // namespace slim::image
