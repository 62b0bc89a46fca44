// Fuzz target: the layer reader and the flattener. The input is one or two layers separated by
// the line "\n--slim-fuzz-layer--\n"; a layer that starts with a gzip or zstd magic number is
// decompressed first, exactly as source_image does. The layers are read from a memfd at a
// non-zero offset (as they are read in place inside image.tar), applied in order to one
// FileIndex, and every path of the result is resolved. Checks: every regular file's bytes lie
// inside its layer's tar, resolution always ends.
#include "slim/image/file_index.hpp"
#include "slim/image/flatten.hpp"
#include "slim/image/layer_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr std::string_view k_separator = "\n--slim-fuzz-layer--\n";
constexpr std::string_view k_junk = "outer.tar"; // bytes before the layer in its file

// An anonymous in-memory file, closed on scope exit; `path()` opens it again by name.
struct MemFile {
  int fd = ::memfd_create("slim-fuzz", 0);
  MemFile() {
    if (fd < 0) {
      std::perror("memfd_create");
      std::abort();
    }
  }
  ~MemFile() { ::close(fd); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }
  void write_all(std::string_view bytes) const {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n <= 0) {
        std::perror("write memfd");
        std::abort();
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
};

// SLIM_FUZZ_VERBOSE=1 prints why an input was refused (to triage seeds and findings).
bool refused(const std::string& why) {
  static const bool verbose = std::getenv("SLIM_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "fuzz_layer: refused: %s\n", why.c_str());
  }
  return false;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_layer: invariant broken: %s\n", what);
    std::abort();
  }
}

// Reads one layer (decompressing it first when compressed) and applies it to `index`.
bool add_layer(slim::image::FileIndex& index, slim::image::WasteTracker& waste,
               std::string_view bytes, std::uint32_t number) {
  using namespace slim::image;
  MemFile blob;
  blob.write_all(k_junk);
  blob.write_all(bytes);
  LayerFile file{blob.path(), k_junk.size(), bytes.size()};
  MemFile plain;
  auto compression =
      detect_compression(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  if (compression != Compression::none) {
    auto d = decompress_layer(file, plain.path());
    if (!d) {
      return refused(d.error());
    }
    file = d.value().tar;
  }
  auto contents = read_layer(file, number);
  if (!contents) {
    return refused(contents.error());
  }
  for (const Entry& e : contents.value().entries) {
    check(!e.path.empty() && e.path.front() == '/', "entry path is absolute");
    if (e.type == EntryType::regular) {
      check(e.size >= 0, "file size is not negative");
      check(e.data.offset <= file.size &&
                static_cast<std::uint64_t>(e.size) <= file.size - e.data.offset,
            "file data lies inside the layer tar");
    }
  }
  auto applied = apply_layer(index, std::move(contents.value()), &waste);
  return applied ? true : refused(applied.error());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> layers;
  while (true) {
    auto pos = input.find(k_separator);
    layers.push_back(input.substr(0, pos));
    if (pos == std::string_view::npos || layers.size() == 3) {
      break;
    }
    input.remove_prefix(pos + k_separator.size());
  }
  slim::image::FileIndex index;
  slim::image::WasteTracker waste;
  for (std::uint32_t i = 0; i < layers.size(); ++i) {
    if (!add_layer(index, waste, layers[i], i)) {
      return 0;
    }
  }
  index.for_each([&index](const slim::image::Entry& e) {
    std::vector<std::string> walked;
    auto resolved = index.resolve(e.path, &walked);
    check(walked.size() <= 40, "resolution stops after 40 symlinks");
    if (resolved) {
      check(!resolved->empty() && resolved->front() == '/', "resolved path is absolute");
    }
    (void)index.children(slim::image::parent_path(e.path));
  });
  (void)waste.efficiency();
  (void)waste.inefficient(5);
  return 0;
}
