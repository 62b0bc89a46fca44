#include "layer_builder.hpp"
#include "slim/image/source_image.hpp"
#include "slim/util/error.hpp"
#include "slim/util/temp_dir.hpp"

#include <gtest/gtest.h>

namespace slim::image {
namespace {

using testing::Filter;
using testing::make_tar;

std::vector<std::string> plain_layers() {
  return {
      make_tar({{.name = "etc/", .type = 'd', .mode = 0755},
                {.name = "etc/conf", .content = "v1"},
                {.name = "opt/", .type = 'd', .mode = 0755},
                {.name = "opt/old", .content = "old"},
                {.name = "bin/", .type = 'd', .mode = 0755},
                {.name = "bin/tool", .content = "tool", .mode = 0755}}),
      make_tar({{.name = "etc/conf", .content = "v2"},
                {.name = "opt/.wh..wh..opq"},
                {.name = "opt/new", .content = "new"},
                {.name = "bin/.wh.tool"},
                {.name = "bin/link", .type = 'h', .link = "etc/conf"}}),
  };
}

std::string content(const SourceImage& img, const std::string& path) {
  const Entry* e = img.index.find(path);
  if (e == nullptr) {
    return "<missing>";
  }
  const LayerFile& f = img.layers.at(e->data.layer).tar;
  std::string all = testing::read_file(f.path);
  return all.substr(f.offset + e->data.offset, static_cast<std::size_t>(e->size));
}

void expect_flattened(const SourceImage& img) {
  ASSERT_EQ(img.layers.size(), 2u);
  EXPECT_EQ(content(img, "/etc/conf"), "v2");
  EXPECT_EQ(content(img, "/opt/new"), "new");
  EXPECT_EQ(img.index.find("/opt/old"), nullptr);
  EXPECT_EQ(img.index.find("/bin/tool"), nullptr);
  EXPECT_EQ(content(img, "/bin/link"), "v2");
  EXPECT_EQ(img.layers[0].created_by, "step 0");
  EXPECT_EQ(img.layers[1].created_by, "step 1");
  EXPECT_EQ(img.config.config.cmd->at(0), "sh");
  EXPECT_EQ(img.repo_tags, std::vector<std::string>{"test/img:1"});
}

struct Archive {
  TempDir dir{"archive-test"};
  std::filesystem::path path;
  explicit Archive(const std::string& bytes) : path(dir.path() / "image.tar") {
    testing::write_file(path, bytes);
  }
  SourceImage open() const { return open_image_archive(path, dir.path()); }
};

std::string error_of(const Archive& a) {
  try {
    a.open();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(SourceImage, DockerArchiveWithPlainLayers) {
  auto plain = plain_layers();
  Archive a(testing::docker_archive(plain, plain));
  SourceImage img = a.open();
  EXPECT_EQ(img.format, ArchiveFormat::docker);
  expect_flattened(img);
  EXPECT_EQ(img.layers[0].compression, Compression::none);
  // Plain layers are read in place inside the archive.
  EXPECT_EQ(img.layers[0].tar.path, a.path);
}

TEST(SourceImage, DockerArchiveWithGzipAndZstdLayers) {
  auto plain = plain_layers();
  std::vector<std::string> stored = {
      make_tar({{.name = "etc/", .type = 'd', .mode = 0755},
                {.name = "etc/conf", .content = "v1"},
                {.name = "opt/", .type = 'd', .mode = 0755},
                {.name = "opt/old", .content = "old"},
                {.name = "bin/", .type = 'd', .mode = 0755},
                {.name = "bin/tool", .content = "tool", .mode = 0755}},
               Filter::gzip),
      make_tar({{.name = "etc/conf", .content = "v2"},
                {.name = "opt/.wh..wh..opq"},
                {.name = "opt/new", .content = "new"},
                {.name = "bin/.wh.tool"},
                {.name = "bin/link", .type = 'h', .link = "etc/conf"}},
               Filter::zstd)};
  Archive a(testing::docker_archive(plain, stored));
  SourceImage img = a.open();
  expect_flattened(img);
  EXPECT_EQ(img.layers[0].compression, Compression::gzip);
  EXPECT_EQ(img.layers[1].compression, Compression::zstd);
  EXPECT_EQ(img.layers[1].digest, "sha256:" + sha256_hex(stored[1]));
  EXPECT_EQ(img.layers[1].diff_id, "sha256:" + sha256_hex(plain[1]));
}

TEST(SourceImage, OciLayoutWithCompressedLayers) {
  auto plain = plain_layers();
  std::vector<std::string> stored = {
      make_tar({{.name = "etc/", .type = 'd', .mode = 0755},
                {.name = "etc/conf", .content = "v1"},
                {.name = "opt/", .type = 'd', .mode = 0755},
                {.name = "opt/old", .content = "old"},
                {.name = "bin/", .type = 'd', .mode = 0755},
                {.name = "bin/tool", .content = "tool", .mode = 0755}},
               Filter::zstd),
      plain[1]};
  Archive a(testing::oci_archive(plain, stored));
  SourceImage img = a.open();
  EXPECT_EQ(img.format, ArchiveFormat::oci);
  expect_flattened(img);
}

TEST(SourceImage, WrongLayerDigestIsAnError) {
  auto plain = plain_layers();
  auto other = plain;
  other[1] = make_tar({{.name = "etc/conf", .content = "tampered"}});
  Archive a(testing::docker_archive(plain, other));
  std::string err = error_of(a);
  EXPECT_NE(err.find("digest mismatch"), std::string::npos) << err;
  EXPECT_NE(err.find("layer.tar"), std::string::npos) << err;
}

TEST(SourceImage, WrongBlobDigestInOciIsAnError) {
  auto plain = plain_layers();
  std::string archive = testing::oci_archive(plain, plain);
  // Flip one byte of the file content "v1" inside the first layer blob.
  auto pos = archive.find("v1");
  ASSERT_NE(pos, std::string::npos);
  archive[pos + 1] = '9';
  Archive a(archive);
  std::string err = error_of(a);
  EXPECT_NE(err.find("digest mismatch"), std::string::npos) << err;
}

TEST(SourceImage, WrongConfigDigestIsAnError) {
  auto plain = plain_layers();
  std::string archive = testing::docker_archive(plain, plain);
  auto pos = archive.find("\"amd64\"");
  ASSERT_NE(pos, std::string::npos);
  archive[pos + 1] = 'A';
  Archive a(archive);
  EXPECT_NE(error_of(a).find("digest mismatch"), std::string::npos) << error_of(a);
}

TEST(SourceImage, MissingManifestIsAnError) {
  Archive a(testing::make_outer({{"something.json", "{}"}}));
  std::string err = error_of(a);
  EXPECT_NE(err.find("neither manifest.json nor index.json"), std::string::npos) << err;
}

TEST(SourceImage, MissingLayerMemberIsAnError) {
  auto plain = plain_layers();
  std::string config = testing::make_config(plain).dump();
  std::string chex = sha256_hex(config);
  nlohmann::json manifest = nlohmann::json::array(
      {{{"Config", chex + ".json"}, {"Layers", {"a/layer.tar", "b/layer.tar"}}}});
  Archive a(testing::make_outer({{chex + ".json", config}, {"manifest.json", manifest.dump()}}));
  EXPECT_NE(error_of(a).find("no member `a/layer.tar`"), std::string::npos) << error_of(a);
}

TEST(SourceImage, TruncatedArchiveIsAnError) {
  auto plain = plain_layers();
  std::string archive = testing::docker_archive(plain, plain);
  for (std::size_t cut : {archive.size() / 2, archive.size() - 1500}) {
    Archive a(archive.substr(0, cut));
    std::string err = error_of(a);
    EXPECT_NE(err, "<no error>") << "cut at " << cut;
  }
}

TEST(SourceImage, SymlinkedLayerMembersAreFollowed) {
  // docker save writes a duplicated layer as a symlink to the first copy.
  auto plain = plain_layers();
  std::string config = testing::make_config({plain[0], plain[0]}).dump();
  std::string chex = sha256_hex(config);
  nlohmann::json manifest = nlohmann::json::array(
      {{{"Config", chex + ".json"}, {"Layers", {"a/layer.tar", "b/layer.tar"}}}});
  std::string outer = make_tar({{.name = chex + ".json", .content = config},
                                {.name = "a/layer.tar", .content = plain[0]},
                                {.name = "b/layer.tar", .type = 'l', .link = "../a/layer.tar"},
                                {.name = "manifest.json", .content = manifest.dump()}});
  Archive a(outer);
  SourceImage img = a.open();
  EXPECT_EQ(img.layers.size(), 2u);
  EXPECT_EQ(content(img, "/bin/tool"), "tool");
}

} // namespace
} // namespace slim::image
