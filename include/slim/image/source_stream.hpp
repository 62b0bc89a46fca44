#pragma once
// The streams of the pristine container (pure): what `sensor source index` writes about the
// image's file system, and the bytes `sensor source read` sends back for a list of requests.
// Both are untrusted input (the image's files can be anything): parsed incrementally, with
// size caps, every field checked. The wire format is in sensor/README.md ("source"):
//
//   slim-source-index 1                        slim-source-read 1      slim-source-data 1
//   d PATH MODE UID GID MTIME NSEC             r MAX PATH              D N\n<N bytes>
//   f PATH MODE UID GID MTIME NSEC SIZE INODE  ...                     E REASON
//   l PATH MODE UID GID MTIME NSEC TARGET      end                     ...
//   c|b PATH MODE UID GID MTIME NSEC MAJOR MINOR                       end COUNT
//   p PATH MODE UID GID MTIME NSEC
//   x NAME HEXVALUE      (an xattr of the entry before it)
//   w TEXT               (a warning of the walk)
//   end COUNT
//
// Strings are %-escaped (bytes up to 0x20, 0x7f and `%` as %XX); MODE is octal, the rest
// decimal; INODE is `-` for a file with one name, else `DEV:INO` (names of one inode share it).

#include "slim/image/file_index.hpp"
#include "slim/util/error.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace slim::image {

/// %-escapes `raw` for a stream field (never contains a space or a line break).
std::string escape_field(std::string_view raw);
/// Reverses escape_field; fails on a malformed escape.
Result<std::string> unescape_field(std::string_view field);

/// Caps on the index stream (hostile images: deep trees, huge names, many xattrs).
struct IndexLimits {
  std::size_t max_line = 1u << 20;         ///< bytes of one line
  std::uint64_t max_entries = 8'000'000;   ///< entries in the index
  std::size_t max_path = 64u << 10;        ///< bytes of a path or link target (decoded)
  std::size_t max_xattrs = 128;            ///< xattrs of one entry
  std::size_t max_xattr_value = 64u << 10; ///< bytes of one xattr value
  std::uint64_t max_total = 4ull << 30;    ///< bytes of the whole stream
  std::size_t max_warnings = 100;          ///< warnings kept (the rest counted)
};

/// Builds a FileIndex from the index stream as it arrives. Regular files get DataRef{0, N}, one
/// N per inode (names of one inode share it), in the order they came. Throws slim::Error
/// naming the line and the reason on anything malformed or over a cap.
class IndexStreamParser {
public:
  explicit IndexStreamParser(IndexLimits limits = {}) : m_limits(limits) {}
  /// Parses more of the stream (cut anywhere).
  void feed(const char* data, std::size_t size);
  void feed(std::string_view data) { feed(data.data(), data.size()); }
  /// Ends the stream: throws unless it ended with a complete `end COUNT` line.
  void finish();
  /// The entries so far (complete after finish()).
  FileIndex& index() noexcept { return m_index; }
  /// The walk's warnings (at most max_warnings) and how many more there were.
  const std::vector<std::string>& warnings() const noexcept { return m_warnings; }
  std::uint64_t more_warnings() const noexcept { return m_more_warnings; }

private:
  void line(std::string_view text);
  [[noreturn]] void fail(const std::string& why) const;

  IndexLimits m_limits;
  FileIndex m_index;
  std::string m_partial;
  std::uint64_t m_total = 0, m_line_no = 0, m_entries = 0;
  bool m_header = false, m_ended = false;
  Entry* m_last = nullptr;                       ///< the entry `x` lines belong to
  std::map<std::string, std::uint64_t> m_inodes; ///< "DEV:INO" -> DataRef offset
  std::uint64_t m_next_data = 0;
  std::vector<std::int64_t> m_sizes; ///< size per DataRef offset
  std::vector<std::string> m_warnings;
  std::uint64_t m_more_warnings = 0;
};

/// One request of `sensor source read`: up to `max` bytes of the regular file at `path`.
struct ReadRequest {
  std::string path;
  std::uint64_t max = 0;
};

/// The request stream for `sensor source read` (header, one `r` line each, `end`).
std::string encode_read_requests(const std::vector<ReadRequest>& requests);

/// Decodes the answer stream of `sensor source read` as it arrives, checking it against the
/// requests: exactly one answer per request, in order, never more bytes than asked. Throws
/// slim::Error on anything malformed.
class DataStreamParser {
public:
  /// Called for each answer: `bytes` with pieces of request `i`'s bytes (`n` in all, announced
  /// by `begin`), `done` at its end; `error` instead when the sensor could not read it.
  struct Handler {
    std::function<void(std::size_t i, std::uint64_t n)> begin;
    std::function<void(std::size_t i, const char* data, std::size_t size)> bytes;
    std::function<void(std::size_t i)> done;
    std::function<void(std::size_t i, const std::string& reason)> error;
  };
  DataStreamParser(std::vector<std::uint64_t> maxima, Handler handler)
      : m_maxima(std::move(maxima)), m_handler(std::move(handler)) {}
  void feed(const char* data, std::size_t size);
  /// Throws unless every request was answered and `end COUNT` came.
  void finish() const;

private:
  [[noreturn]] void fail(const std::string& why) const;
  void line(std::string_view text);

  std::vector<std::uint64_t> m_maxima;
  Handler m_handler;
  std::string m_partial;
  std::size_t m_next = 0;   ///< the next request to be answered
  std::uint64_t m_left = 0; ///< bytes still to come of the current answer
  bool m_in_data = false, m_header = false, m_ended = false;
};

} // namespace slim::image
