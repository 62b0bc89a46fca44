#include "layer_builder.hpp"
#include "slim/image/image_writer.hpp"
#include "slim/util/error.hpp"
#include "slim/util/temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace slim::image {
namespace {

using testing::make_tar;

std::string cap() {
  return std::string("\x01\x00\x00\x02\x00\x20\x00\x00", 8);
}

std::vector<std::string> layers() {
  return {
      make_tar({{.name = "bin/", .type = 'd', .mode = 0755},
                {.name = "bin/su", .content = "su-bytes", .mode = 04755},
                {.name = "bin/ping",
                 .content = "ping",
                 .mode = 0755,
                 .xattrs = {{"security.capability", cap()}}},
                {.name = "bin/sh", .type = 'l', .mode = 0777, .link = "dash"},
                {.name = "dev/", .type = 'd', .mode = 0755},
                {.name = "dev/null", .type = 'c', .mode = 0666, .major = 1, .minor = 3},
                {.name = "data/", .type = 'd', .mode = 0700, .uid = 1000, .gid = 1000},
                {.name = "data/shared", .content = "shared", .uid = 1000, .gid = 1000},
                {.name = "data/gone", .content = "gone"},
                {.name = "usr/share/" + std::string(200, 'q') + "/f", .content = "long"},
                {.name = "caf\xe9", .content = "latin1"},
                {.name = "tmp/", .type = 'd', .mode = 01777}}),
      make_tar({{.name = "data/.wh.gone"},
                {.name = "zz-link", .type = 'h', .link = "data/shared"},
                {.name = "a-link", .type = 'h', .link = "data/shared"},
                {.name = "bin/su", .content = "new-su", .mode = 04755}}),
  };
}

struct Fixture {
  TempDir dir{"writer-test"};
  SourceImage src;
  Fixture() {
    auto plain = layers();
    testing::write_file(dir.path() / "image.tar", testing::docker_archive(plain, plain));
    src = open_image_archive(dir.path() / "image.tar", dir.path());
  }
};

// Every entry of `a` is in `b` with the same metadata; `b` may add only the parent
// directories no layer mentioned (the writer makes them). Returns how many it added.
std::size_t expect_same_entries(const FileIndex& a, const FileIndex& b) {
  std::size_t found = 0;
  a.for_each([&](const Entry& x) {
    const Entry* py = b.find(x.path);
    if (py == nullptr) {
      ADD_FAILURE() << "missing after writing: " << x.path;
      return;
    }
    ++found;
    const Entry& y = *py;
    // Links between files that share bytes may flip direction; both are "a file with bytes".
    bool xfile = x.type == EntryType::regular || x.type == EntryType::hardlink;
    bool yfile = y.type == EntryType::regular || y.type == EntryType::hardlink;
    if (xfile || yfile) {
      EXPECT_TRUE(xfile && yfile) << x.path;
    } else {
      EXPECT_EQ(x.type, y.type) << x.path;
    }
    EXPECT_EQ(x.mode, y.mode) << x.path;
    EXPECT_EQ(x.uid, y.uid) << x.path;
    EXPECT_EQ(x.gid, y.gid) << x.path;
    EXPECT_EQ(x.size, y.size) << x.path;
    EXPECT_EQ(x.mtime, y.mtime) << x.path;
    EXPECT_EQ(x.xattrs, y.xattrs) << x.path;
    EXPECT_EQ(x.dev_major, y.dev_major) << x.path;
    EXPECT_EQ(x.dev_minor, y.dev_minor) << x.path;
    if (x.type == EntryType::symlink) {
      EXPECT_EQ(x.link_target, y.link_target);
    }
  });
  std::size_t added = 0;
  b.for_each([&](const Entry& y) {
    if (a.find(y.path) == nullptr) {
      EXPECT_EQ(y.type, EntryType::directory) << y.path;
      ++added;
    }
  });
  EXPECT_EQ(found + added, b.size());
  return added;
}

std::string bytes(const SourceImage& img, const std::string& path) {
  const Entry* e = img.index.find(path);
  if (e == nullptr) {
    return "<missing>";
  }
  const LayerFile& f = img.layers.at(e->data.layer).tar;
  return testing::read_file(f.path).substr(f.offset + e->data.offset,
                                           static_cast<std::size_t>(e->size));
}

TEST(ImageWriter, SquashIsDeterministicAndRoundTrips) {
  Fixture fx;
  TempDir w1("writer-out"), w2("writer-out");
  auto sel = all_paths(fx.src.index);
  NewImage a = write_image(fx.src, sel, {}, "slim squash test", w1.path());
  NewImage b = write_image(fx.src, sel, {}, "slim squash test", w2.path());
  EXPECT_EQ(testing::read_file(a.layer.path), testing::read_file(b.layer.path));
  EXPECT_EQ(a.image_id, b.image_id);
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.layer.diff_id, "sha256:" + sha256_hex(testing::read_file(a.layer.path)));
  docker_archive(a, {"out/img:1"}).write_to(w1.path() / "a.tar");
  docker_archive(b, {"out/img:1"}).write_to(w2.path() / "b.tar");
  EXPECT_EQ(testing::read_file(w1.path() / "a.tar"), testing::read_file(w2.path() / "b.tar"));

  // The archive reads back as a one-layer image with the same files, bytes and metadata.
  SourceImage back = open_image_archive(w1.path() / "a.tar", w1.path());
  ASSERT_EQ(back.layers.size(), 1u);
  EXPECT_EQ(back.config_digest, a.image_id);
  EXPECT_EQ(back.repo_tags, std::vector<std::string>{"out/img:1"});
  // /usr, /usr/share and /usr/share/qqq..: parents only the long name implied.
  EXPECT_EQ(expect_same_entries(fx.src.index, back.index), 3u);
  EXPECT_EQ(bytes(back, "/bin/su"), "new-su");
  EXPECT_EQ(bytes(back, "/zz-link"), "shared");
  EXPECT_EQ(bytes(back, "/a-link"), "shared");
  EXPECT_EQ(bytes(back, "/caf\xe9"), "latin1");
  EXPECT_EQ(bytes(back, "/usr/share/" + std::string(200, 'q') + "/f"), "long");
  EXPECT_EQ(back.index.find("/data/gone"), nullptr);
  EXPECT_EQ(back.index.find("/bin/ping")->xattrs.at("security.capability"), cap());
  EXPECT_EQ(back.config.config.cmd->at(0), "sh");
  ASSERT_EQ(back.config.history.size(), 1u);
  EXPECT_EQ(back.config.history[0].created_by, "slim squash test");
  // Three paths share one set of bytes: written once, linked twice.
  int links = 0;
  back.index.for_each([&](const Entry& e) { links += e.type == EntryType::hardlink ? 1 : 0; });
  EXPECT_EQ(links, 2);
  // No time from "now" leaks in: every member of the layer has an mtime from the source.
  back.index.for_each([](const Entry& e) { EXPECT_LE(e.mtime, 1700000000) << e.path; });
}

TEST(ImageWriter, StreamedContentGivesTheSameLayer) {
  // The bytes as a stream (the pristine container's), cut at odd places, into the same layer
  // as the bytes read from the layer tars.
  Fixture fx;
  TempDir w1("writer-out"), w2("writer-out");
  auto sel = all_paths(fx.src.index);
  auto layer_files = fx.src.layer_files();
  NewImage from_tars = write_image(fx.src, sel, {}, "t", w1.path());
  std::vector<std::string> asked;
  ContentSource streamed = [&](const std::vector<const Entry*>& files, const ContentSink& sink) {
    std::string all;
    layer_tar_content(layer_files)(files,
                                   [&all](const char* d, std::size_t n) { all.append(d, n); });
    for (const Entry* e : files) {
      asked.push_back(e->path);
    }
    for (std::size_t i = 0; i < all.size(); i += 3) {
      sink(all.data() + i, std::min<std::size_t>(3, all.size() - i));
    }
  };
  NewImage from_stream =
      write_image(fx.src.index, fx.src.config, sel, streamed, {}, "t", w2.path());
  EXPECT_EQ(testing::read_file(from_tars.layer.path), testing::read_file(from_stream.layer.path));
  EXPECT_EQ(from_tars.image_id, from_stream.image_id);
  // Each inode's bytes are asked for once, in writing order: /a-link holds the shared bytes.
  EXPECT_EQ(std::count(asked.begin(), asked.end(), "/zz-link"), 0);
  EXPECT_TRUE(std::is_sorted(asked.begin(), asked.end()));
}

TEST(ImageWriter, ContentOfTheWrongLengthIsAnError) {
  Fixture fx;
  TempDir w("writer-out");
  auto sel = all_paths(fx.src.index);
  auto short_by_one = [](const std::vector<const Entry*>& files, const ContentSink& sink) {
    std::int64_t total = 0;
    for (const Entry* e : files) {
      total += e->size;
    }
    sink(std::string(static_cast<std::size_t>(total - 1), 'x').data(),
         static_cast<std::size_t>(total - 1));
  };
  EXPECT_THROW(write_layer(fx.src.index, sel, short_by_one, w.path() / "a.tar"), Error);
  auto one_too_many = [](const std::vector<const Entry*>& files, const ContentSink& sink) {
    std::int64_t total = 1;
    for (const Entry* e : files) {
      total += e->size;
    }
    std::string bytes(static_cast<std::size_t>(total), 'x');
    sink(bytes.data(), bytes.size());
  };
  EXPECT_THROW(write_layer(fx.src.index, sel, one_too_many, w.path() / "b.tar"), Error);
}

TEST(ImageWriter, SelectionAddsParentsAndSkipsUnknownPaths) {
  Fixture fx;
  TempDir w("writer-out");
  std::set<std::string> sel = {"/usr/share/" + std::string(200, 'q') + "/f", "/bin/ping", "/nope"};
  NewImage img = write_image(fx.src, sel, {}, "keep", w.path());
  docker_archive(img, {}).write_to(w.path() / "a.tar");
  SourceImage back = open_image_archive(w.path() / "a.tar", w.path());
  std::vector<std::string> paths;
  back.index.for_each([&](const Entry& e) { paths.push_back(e.path); });
  std::vector<std::string> want = {"/bin",
                                   "/bin/ping",
                                   "/usr",
                                   "/usr/share",
                                   "/usr/share/" + std::string(200, 'q'),
                                   "/usr/share/" + std::string(200, 'q') + "/f"};
  EXPECT_EQ(paths, want);
  // Parents no layer mentioned are made as 0755 root directories.
  EXPECT_EQ(back.index.find("/usr")->mode, 0755u);
}

TEST(ImageWriter, OverridesChangeTheConfigAndTheId) {
  Fixture fx;
  TempDir w("writer-out");
  auto sel = all_paths(fx.src.index);
  NewImage plain = write_image(fx.src, sel, {}, "x", w.path());
  ConfigOverrides o;
  o.entrypoint = std::vector<std::string>{"/bin/su"};
  o.labels["io.slim.test"] = "1";
  NewImage changed = write_image(fx.src, sel, o, "x", w.path());
  EXPECT_NE(plain.image_id, changed.image_id);
  EXPECT_EQ(plain.layer.diff_id, changed.layer.diff_id);
  auto j = nlohmann::json::parse(changed.config);
  EXPECT_EQ(j["config"]["Entrypoint"][0], "/bin/su");
  EXPECT_EQ(j["config"]["Labels"]["io.slim.test"], "1");
}

TEST(ImageWriter, OciLayoutReadsBack) {
  Fixture fx;
  TempDir w("writer-out");
  NewImage img = write_image(fx.src, all_paths(fx.src.index), {}, "x", w.path());
  oci_archive(img, {"out/img"}).write_to(w.path() / "oci.tar");
  std::string outer = testing::read_file(w.path() / "oci.tar");
  EXPECT_NE(outer.find("oci-layout"), std::string::npos);
  SourceImage back = open_image_archive(w.path() / "oci.tar", w.path());
  EXPECT_EQ(back.config_digest, img.image_id);
  EXPECT_EQ(back.repo_tags, std::vector<std::string>{"out/img:latest"});
  EXPECT_EQ(expect_same_entries(fx.src.index, back.index), 3u);
}

TEST(TarStream, HeadersAndStreamingMatchTheFileWrite) {
  TempDir w("writer-out");
  testing::write_file(w.path() / "f", std::string(70000, 'f'));
  TarStream s;
  s.add_directory("d");
  s.add_bytes("d/a.json", "{}");
  s.add_file("d/f", w.path() / "f", 70000);
  s.write_to(w.path() / "out.tar");
  std::string whole = testing::read_file(w.path() / "out.tar");
  EXPECT_EQ(whole.size(), s.size());
  // Pulling in odd-sized pieces gives the same bytes.
  auto src = s.source();
  std::string pulled;
  char buf[777];
  while (std::size_t n = src(buf, sizeof buf)) {
    pulled.append(buf, n);
  }
  EXPECT_EQ(pulled, whole);
  // Base-256 size above 8 GiB, and long names split into prefix + name.
  std::string h = ustar_header("x", 9ULL << 30, false);
  EXPECT_EQ(static_cast<unsigned char>(h[124]), 0x80);
  std::string long_name = std::string(120, 'a') + "/" + std::string(90, 'b');
  EXPECT_EQ(ustar_header(long_name, 1, false).substr(345, 120), std::string(120, 'a'));
  EXPECT_THROW(ustar_header(std::string(300, 'c'), 1, false), Error);
}

} // namespace
} // namespace slim::image
