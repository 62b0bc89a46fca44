// Inputs the fuzzers (fuzz/layer.cpp) found that broke the layer reader; each must now fail
// with a one-line message instead of throwing or crashing.
#include "layer_builder.hpp"
#include "slim/image/layer_reader.hpp"
#include "slim/util/temp_dir.hpp"

#include <gtest/gtest.h>

namespace slim::image {
namespace {

// A gzip stream whose deflate data is corrupt: libarchive fails to open it without setting an
// error message, and decompress_layer built a std::string from the null message (logic_error).
constexpr unsigned char k_corrupt_gzip[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0x98, 0xc1, 0x6e,
    0x84, 0x20, 0x10, 0x86, 0x39, 0xf7, 0x29, 0x78, 0x02, 0x61, 0x58, 0x1c, 0x92, 0xbd,
    0xb7, 0xa7, 0xbe, 0x04, 0x5a, 0xd3, 0x35, 0x35, 0xab, 0x11, 0xdc, 0x6e, 0x4f, 0xfb,
    0xea, 0x8b, 0x6e, 0x2f, 0x35, 0x4d, 0x53, 0x0f, 0xa0, 0x89, 0xf3, 0x19, 0x41, 0x13,
    0x13, 0x0f, 0x3f, 0xf3, 0xff, 0x03, 0x45, 0x7d, 0x16, 0x2c, 0x32, 0x32, 0x60, 0xf2,
    0x70, 0x61, 0x73, 0x73, 0x77, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00};

TEST(LayerReaderRegression, CorruptGzipWithoutLibarchiveMessageFailsCleanly) {
  TempDir dir("layer-regression");
  std::string blob(reinterpret_cast<const char*>(k_corrupt_gzip), sizeof(k_corrupt_gzip));
  LayerFile file{dir.path() / "layer.gz", 0, blob.size()};
  testing::write_file(file.path, blob);
  ASSERT_EQ(detect_compression(k_corrupt_gzip, sizeof(k_corrupt_gzip)), Compression::gzip);
  Result<Decompressed> d = Result<Decompressed>::fail("not run");
  ASSERT_NO_THROW(d = decompress_layer(file, dir.path() / "layer.tar"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().rfind("cannot decompress layer", 0), 0U) << d.error();
}

} // namespace
} // namespace slim::image
