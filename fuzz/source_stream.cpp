// Fuzz target: the pristine container's streams (image/source_stream), which are untrusted
// input to slim: the image's files can be anything. The first byte picks the parser:
//   even: the index stream (`sensor source index`), fed to IndexStreamParser with small caps;
//   odd:  the read answers (`sensor source read`): the second byte is the number of requests
//         (0-15), then one byte per request gives its max (0-255 bytes), the rest is the stream.
// The next byte sets the size of the pieces the stream is fed in (a stream can be cut anywhere).
// Checks: index entries have absolute paths and no negative sizes, linked names share their
// data; the read answers come in order, one per request, never more bytes than announced or
// than asked; escape_field and unescape_field invert each other.
#include "slim/image/source_stream.hpp"

#include "slim/image/file_index.hpp"
#include "slim/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_source_stream: invariant broken: %s\n", what);
    std::abort();
  }
}

template <typename Feed> void feed_in_pieces(std::string_view stream, std::size_t piece, Feed f) {
  while (!stream.empty()) {
    std::size_t n = std::min(piece, stream.size());
    f(stream.data(), n);
    stream.remove_prefix(n);
  }
}

void index_stream(std::string_view stream, std::size_t piece) {
  using namespace slim::image;
  // Small caps, so the fuzzer reaches them.
  IndexStreamParser parser(IndexLimits{.max_line = 4096,
                                       .max_entries = 2000,
                                       .max_path = 1024,
                                       .max_xattrs = 8,
                                       .max_xattr_value = 256,
                                       .max_total = 1u << 20,
                                       .max_warnings = 4});
  try {
    feed_in_pieces(stream, piece, [&](const char* d, std::size_t n) { parser.feed(d, n); });
    parser.finish();
  } catch (const slim::Error&) {
    return;
  }
  check(parser.warnings().size() <= 4, "warnings are capped");
  const FileIndex& index = parser.index();
  index.for_each([&](const Entry& e) {
    check(!e.path.empty() && e.path.front() == '/', "entry path is absolute");
    check(e.path.size() <= 1024 + 1, "path cap");
    check(e.xattrs.size() <= 8, "xattr cap");
    if (e.type == EntryType::regular) {
      check(e.size >= 0, "file size is not negative");
    }
    std::vector<std::string> walked;
    (void)index.resolve(e.path, &walked);
    check(walked.size() <= 40, "resolution stops after 40 symlinks");
  });
}

void read_answers(std::string_view input, std::size_t piece) {
  using namespace slim::image;
  if (input.empty()) {
    return;
  }
  std::size_t count = static_cast<unsigned char>(input[0]) % 16;
  input.remove_prefix(1);
  std::vector<std::uint64_t> maxima;
  for (std::size_t i = 0; i < count && !input.empty(); ++i) {
    maxima.push_back(static_cast<unsigned char>(input[0]));
    input.remove_prefix(1);
  }
  std::vector<std::uint64_t> announced(maxima.size(), 0), got(maxima.size(), 0);
  std::vector<int> state(maxima.size(), 0); // 0 none, 1 begun, 2 done, 3 error
  std::size_t expected = 0;                 // the next request to be answered
  DataStreamParser parser(
      maxima, DataStreamParser::Handler{
                  .begin =
                      [&](std::size_t i, std::uint64_t n) {
                        check(i == expected && i < maxima.size(), "answers come in order");
                        check(n <= maxima[i], "never more bytes than asked");
                        announced[i] = n;
                        state[i] = 1;
                      },
                  .bytes =
                      [&](std::size_t i, const char*, std::size_t n) {
                        check(i == expected && state[i] == 1, "bytes belong to the answer begun");
                        got[i] += n;
                        check(got[i] <= announced[i], "never more bytes than announced");
                      },
                  .done =
                      [&](std::size_t i) {
                        check(i == expected && state[i] == 1 && got[i] == announced[i],
                              "an answer ends after the bytes it announced");
                        state[i] = 2;
                        ++expected;
                      },
                  .error =
                      [&](std::size_t i, const std::string&) {
                        check(i == expected && i < maxima.size() && state[i] == 0,
                              "an error answers a request not yet answered");
                        state[i] = 3;
                        ++expected;
                      }});
  try {
    feed_in_pieces(input, piece, [&](const char* d, std::size_t n) { parser.feed(d, n); });
    parser.finish();
  } catch (const slim::Error&) {
    return;
  }
  check(expected == maxima.size(), "finish() means every request was answered");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  std::string_view input(reinterpret_cast<const char*>(data), size);
  bool index = (static_cast<unsigned char>(input[0]) & 1) == 0;
  std::size_t piece = 1 + static_cast<unsigned char>(input[1]) % 64;
  input.remove_prefix(2);
  if (index) {
    index_stream(input, piece);
  } else {
    read_answers(input, piece);
  }
  // Escaping is reversible for any bytes, and an escaped field has no space or line break.
  std::string escaped = slim::image::escape_field(input.substr(0, 256));
  check(escaped.find_first_of(" \n\r\t") == std::string::npos, "escaped fields have no blanks");
  auto back = slim::image::unescape_field(escaped);
  check(back && back.value() == input.substr(0, 256), "unescape_field(escape_field(x)) == x");
  return 0;
}
