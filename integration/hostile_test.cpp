// Hostile images crafted by the test and loaded into the real engine, through `slim xray` and
// `slim squash`: names that climb out (`../`, absolute), symlinks to the host's files and
// loops, very deep directories, 100,000 files, device nodes and fifos, names that are not
// UTF-8 or hold newlines. slim never extracts a layer, so nothing may appear on the host; the
// results must hold exactly the image's entries, with no path outside the root.
#include "slim/image/layer_writer.hpp"
#include "slim/image/source_image.hpp"
#include "support/crafted_image.hpp"
#include "support/support.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <sys/stat.h>

namespace slim::it {
namespace {

using T = CraftedEntry::Type;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string read_host_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A file outside every temp dir slim may use, whose bytes must never show up and whose
/// content and mtime must not change.
class Canary {
public:
  Canary() {
    m_dir = std::filesystem::path("/var/tmp") / ("slim-it-canary-" + std::to_string(::getpid()));
    std::filesystem::create_directories(m_dir);
    m_path = m_dir / "canary.txt";
    m_content = "HOST-CANARY-" + std::to_string(::getpid()) + "-do-not-read\n";
    std::ofstream(m_path) << m_content;
    struct stat st {};
    ::stat(m_path.c_str(), &st);
    m_mtime = st.st_mtim.tv_sec * 1'000'000'000L + st.st_mtim.tv_nsec;
  }
  ~Canary() {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }
  Canary(const Canary&) = delete;
  Canary& operator=(const Canary&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  const std::string& content() const { return m_content; }
  /// True when the file still has its bytes and mtime, and nothing was added beside it.
  bool untouched() const {
    struct stat st {};
    if (::stat(m_path.c_str(), &st) != 0) {
      return false;
    }
    long mtime = st.st_mtim.tv_sec * 1'000'000'000L + st.st_mtim.tv_nsec;
    auto count = std::distance(std::filesystem::directory_iterator(m_dir), {});
    return mtime == m_mtime && read_host_file(m_path) == m_content && count == 1;
  }

private:
  std::filesystem::path m_dir, m_path;
  std::string m_content;
  long m_mtime = 0;
};

CommandResult slim(const std::string& args,
                   std::chrono::seconds timeout = std::chrono::seconds(120)) {
  return run_command(slim_binary() + " " + args, timeout);
}

/// `slim squash --output-tar` of `image`; the members of its one layer, by path.
std::map<std::string, TarMember> squash_to_tar(CraftKit& kit, const std::string& image) {
  auto out = kit.dir() / "squashed.tar";
  auto r = slim("squash --log-level warn -t slim-test/hostile-squashed:latest --output-tar " +
                out.string() + " " + image);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) {
    return {};
  }
  return archive_layer_members(out);
}

/// No member escapes the root: relative names, no `..` component.
void expect_inside_root(const std::map<std::string, TarMember>& members) {
  for (const auto& [path, m] : members) {
    EXPECT_NE(path.front(), '/') << path;
    EXPECT_EQ(("/" + path + "/").find("/../"), std::string::npos) << path;
    if (m.type == 'h') {
      EXPECT_EQ(("/" + m.link_target + "/").find("/../"), std::string::npos) << m.link_target;
    }
  }
}

/// xray --json succeeds and prints one JSON document.
nlohmann::json xray_json(const std::string& image) {
  auto r = slim("xray --json " + image);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out.substr(0, 300);
  return j;
}

TEST(Hostile, SymlinksToTheHostAndLoopsStayInsideTheImage) {
  CraftKit kit("symlinks");
  Canary canary;
  std::string shadow = read_host_file("/etc/shadow");
  ASSERT_FALSE(shadow.empty()) << "the test runs as root and needs the host's /etc/shadow";
  std::string image_shadow = "root:x:0:0:image-shadow:/root:/bin/sh\n";
  auto img = kit.load(
      "slim-test/hostile-symlinks:latest",
      {{{.path = "etc", .type = T::directory, .mode = 0755},
        {.path = "etc/shadow", .content = image_shadow, .mode = 0640},
        {.path = "etc/passwd",
         .type = T::symlink,
         .mode = 0777,
         .link_target = "/../../../etc/shadow"},
        {.path = "loop1", .type = T::symlink, .mode = 0777, .link_target = "loop2"},
        {.path = "loop2", .type = T::symlink, .mode = 0777, .link_target = "/loop1"},
        {.path = "self", .type = T::symlink, .mode = 0777, .link_target = "self/x"},
        {.path = "up", .type = T::symlink, .mode = 0777, .link_target = "../../../../../.."},
        {.path = "canary", .type = T::symlink, .mode = 0777, .link_target = canary.path()},
        {.path = "climb",
         .type = T::symlink,
         .mode = 0777,
         .link_target = "../../../../../../../.." + canary.path().string()}}});
  auto xray = xray_json(img.tag);
  EXPECT_EQ(xray.dump().find(shadow.substr(0, shadow.find('\n'))), std::string::npos);
  auto members = squash_to_tar(kit, img.tag);
  ASSERT_FALSE(members.empty());
  expect_inside_root(members);
  ASSERT_TRUE(members.count("etc/passwd"));
  EXPECT_EQ(members["etc/passwd"].type, 'l');
  EXPECT_EQ(members["etc/passwd"].link_target, "/../../../etc/shadow");
  EXPECT_EQ(members["etc/shadow"].content, image_shadow);
  EXPECT_EQ(members["loop1"].link_target, "loop2");
  EXPECT_EQ(members["canary"].link_target, canary.path().string());
  for (const auto& [path, m] : members) {
    EXPECT_NE(m.content, shadow) << path;
    EXPECT_EQ(m.content.find(canary.content()), std::string::npos) << path;
  }
  EXPECT_TRUE(canary.untouched());
}

TEST(Hostile, AbsoluteMemberNames) {
  CraftKit kit("absolute");
  auto img = kit.load("slim-test/hostile-absolute:latest",
                      {{{.path = "/abs-dir/abs-file", .content = "absolute\n"},
                        {.path = "./c/./d", .content = "d\n"},
                        {.path = "/etc//x/", .type = T::directory, .mode = 0700}}});
  xray_json(img.tag);
  auto members = squash_to_tar(kit, img.tag);
  expect_inside_root(members);
  EXPECT_EQ(members["abs-dir/abs-file"].content, "absolute\n");
  EXPECT_EQ(members["c/d"].content, "d\n");
  EXPECT_EQ(members["etc/x"].mode, 0700u);
}

TEST(Hostile, DotDotMemberNames) {
  CraftKit kit("dotdot");
  const std::string escaped = "slim-hostile-escaped-" + std::to_string(::getpid());
  std::vector<CraftedEntry> layer = {{.path = "../../../" + escaped, .content = "dotdot\n"},
                                     {.path = "a/../../../b-file", .content = "b\n"},
                                     {.path = "../../../../../tmp/" + escaped + "-link",
                                      .type = T::symlink,
                                      .mode = 0777,
                                      .link_target = "/etc/shadow"}};
  // dockerd 20.10 loads this image but cannot export it again (its save answers "open
  // /var/lib/docker/<name>: no such file or directory"): slim must fail with that one line and
  // leave no temp files. slim's own reader and writer are then tested on the crafted archive.
  auto img = kit.load("slim-test/hostile-dotdot:latest", {layer});
  auto tmp = kit.dir() / "tmp";
  std::filesystem::create_directories(tmp);
  auto r = run_command("SLIM_TMPDIR=" + tmp.string() + " " + slim_binary() + " xray " + img.tag);
  std::printf("[ message ] exit %d: %s", r.exit_code, r.err.c_str());
  if (r.exit_code != 0) {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("slim: error: the engine could not export `" + img.tag + "`: ", 0), 0u)
        << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp));

  auto work = kit.dir() / "work";
  std::filesystem::create_directories(work);
  auto source = image::open_image_archive(img.archive, work);
  source.index.for_each([&](const image::Entry& e) {
    EXPECT_EQ(e.path.find("/.."), std::string::npos) << e.path;
    EXPECT_EQ(image::normalize_path(e.path), e.path);
  });
  ASSERT_NE(source.index.find("/" + escaped), nullptr);
  EXPECT_NE(source.index.find("/b-file"), nullptr);
  ASSERT_NE(source.index.find("/tmp/" + escaped + "-link"), nullptr);
  auto written = image::write_layer(source.index, source.layer_files(),
                                    image::all_paths(source.index), work / "out.tar");
  std::map<std::string, TarMember> out;
  for (auto& m : read_tar_file_members(written.path)) {
    out[m.path] = m;
  }
  expect_inside_root(out);
  EXPECT_EQ(out[escaped].content, "dotdot\n");
  EXPECT_EQ(out["b-file"].content, "b\n");
  EXPECT_EQ(out["tmp/" + escaped + "-link"].link_target, "/etc/shadow");
  // Nothing was written where a naive extraction would have put it.
  for (const auto& outside :
       {std::filesystem::path("/") / escaped, std::filesystem::path("/tmp") / escaped,
        std::filesystem::path("/tmp") / (escaped + "-link"),
        std::filesystem::path("/var/lib/docker") / escaped, kit.dir().parent_path() / escaped}) {
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(outside))) << outside;
  }
}

std::vector<CraftedEntry> deep_layer(int levels) {
  std::vector<CraftedEntry> layer;
  std::string path;
  for (int i = 0; i < levels; ++i) {
    path += (i == 0 ? "" : "/") + std::string("d");
    layer.push_back({.path = path, .type = T::directory, .mode = 0755});
  }
  layer.push_back({.path = path + "/bottom", .content = "deep\n"});
  return layer;
}

TEST(Hostile, DirectoryFiveThousandLevelsDeep) {
  CraftKit kit("deep");
  // dockerd refuses 5,000 levels ("file name too long": the path is 10,000 bytes), so that
  // depth goes through slim's reader and writer on the crafted archive; 1,500 levels (3,000
  // bytes) go through the engine, xray and squash.
  auto start = Clock::now();
  auto deep = kit.write("slim-test/hostile-deep5000:latest", {deep_layer(5000)});
  EXPECT_THROW(load_archive(kit.client(), deep.archive), engine::EngineError);
  kit.guard(deep.tag);
  auto work = kit.dir() / "work";
  std::filesystem::create_directories(work);
  auto source = image::open_image_archive(deep.archive, work);
  std::string bottom;
  for (int i = 0; i < 5000; ++i) {
    bottom += "/d";
  }
  bottom += "/bottom";
  ASSERT_NE(source.index.find(bottom), nullptr);
  EXPECT_EQ(source.index.resolve(bottom), bottom);
  auto written = image::write_layer(source.index, source.layer_files(),
                                    std::set<std::string>{bottom}, work / "out.tar");
  EXPECT_EQ(written.entries, 5001u);
  auto members = read_tar_file_members(written.path);
  ASSERT_EQ(members.size(), 5001u);
  EXPECT_EQ("/" + members.back().path, bottom);
  EXPECT_EQ(members.back().content, "deep\n");
  std::printf("[ timing ] 5,000 levels through the library: %.2f s\n", seconds_since(start));

  start = Clock::now();
  auto img = kit.load("slim-test/hostile-deep:latest", {deep_layer(1500)});
  xray_json(img.tag);
  auto squashed = squash_to_tar(kit, img.tag);
  expect_inside_root(squashed);
  EXPECT_EQ(squashed.size(), 1501u);
  std::string engine_bottom = bottom.substr(1, 1500 * 2 - 1) + "/bottom";
  EXPECT_EQ(squashed[engine_bottom].content, "deep\n");
  std::printf("[ timing ] 1,500 levels through the engine, xray, squash: %.2f s\n",
              seconds_since(start));
}

TEST(Hostile, HundredThousandSmallFiles) {
  auto kit_owner = std::make_unique<CraftKit>("many");
  CraftKit& kit = *kit_owner;
  constexpr int k_dirs = 100;
  constexpr int k_files = 1000;
  auto start = Clock::now();
  int d = 0;
  int f = -1;
  auto layer = kit.dir() / "layer0.tar";
  write_layer_tar(layer, [&](CraftedEntry& e) {
    if (d == k_dirs) {
      return false;
    }
    if (f < 0) {
      e = {.path = "many/d" + std::to_string(d), .type = T::directory, .mode = 0755};
    } else {
      e = {.path = "many/d" + std::to_string(d) + "/f" + std::to_string(f),
           .content = std::to_string(d * k_files + f) + "\n"};
    }
    if (++f == k_files) {
      f = -1;
      ++d;
    }
    return true;
  });
  auto img = write_docker_archive(kit.dir(), "slim-test/hostile-many:latest", {layer});
  kit.guard(img.tag);
  double craft = seconds_since(start);
  start = Clock::now();
  ASSERT_EQ(load_archive(kit.client(), img.archive), img.id);
  double load = seconds_since(start);
  start = Clock::now();
  auto xray = xray_json(img.tag);
  double xray_s = seconds_since(start);
  EXPECT_GE(xray.dump().size(), 10u);
  start = Clock::now();
  auto members = squash_to_tar(kit, img.tag);
  double squash = seconds_since(start);
  EXPECT_EQ(members.size(), std::size_t{k_dirs} * (k_files + 1) + 1); // + many/
  EXPECT_EQ(members["many/d42/f7"].content, "42007\n");
  expect_inside_root(members);
  start = Clock::now();
  members.clear();
  kit_owner.reset(); // docker rmi of 100,000 files and the temp dir
  std::printf("[ timing ] 100,000 files: craft %.1f s, docker load %.1f s, xray %.1f s, "
              "squash --output-tar %.1f s, clean-up %.1f s\n",
              craft, load, xray_s, squash, seconds_since(start));
}

TEST(Hostile, DeviceNodesAndFifosKeepTheirTypes) {
  CraftKit kit("devices");
  auto img = kit.load(
      "slim-test/hostile-devices:latest",
      {{{.path = "devs", .type = T::directory, .mode = 0755},
        {.path = "devs/null", .type = T::char_device, .mode = 0666, .dev_major = 1, .dev_minor = 3},
        {.path = "devs/loop9",
         .type = T::block_device,
         .mode = 0660,
         .dev_major = 7,
         .dev_minor = 9},
        {.path = "devs/pipe", .type = T::fifo, .mode = 0620}}});
  xray_json(img.tag);
  auto members = squash_to_tar(kit, img.tag);
  ASSERT_TRUE(members.count("devs/null"));
  EXPECT_EQ(members["devs/null"].type, 'c');
  EXPECT_EQ(members["devs/null"].dev_major, 1u);
  EXPECT_EQ(members["devs/null"].dev_minor, 3u);
  EXPECT_EQ(members["devs/null"].mode, 0666u);
  EXPECT_EQ(members["devs/loop9"].type, 'b');
  EXPECT_EQ(members["devs/loop9"].dev_major, 7u);
  EXPECT_EQ(members["devs/loop9"].dev_minor, 9u);
  EXPECT_EQ(members["devs/pipe"].type, 'p');
  EXPECT_EQ(members["devs/pipe"].mode, 0620u);
}

/// Names a file system allows but that break naive code: not UTF-8, newlines, control bytes.
std::vector<std::string> odd_names() {
  return {"new\nline",   "bad-\xff\xfe-utf8",  "utf8-\xc3\xa9\xe2\x82\xac",
          "tab\tname",   "ctrl-\x01-\x1b[31m", " space ",
          "-dash",       "back\\slash",        "quote\"'",
          "percent-%s%n"};
}

TEST(Hostile, NamesWithNewlinesAndInvalidUtf8) {
  CraftKit kit("names");
  std::vector<CraftedEntry> layer = {{.path = "odd", .type = T::directory, .mode = 0755}};
  for (const auto& n : odd_names()) {
    layer.push_back({.path = "odd/" + n, .content = "content of " + n});
  }
  layer.push_back({.path = "odd/link-\xff",
                   .type = T::symlink,
                   .mode = 0777,
                   .link_target = "bad-\xff\xfe-utf8"});
  auto img = kit.load("slim-test/hostile-names:latest", {layer});
  auto xray = xray_json(img.tag);
  EXPECT_TRUE(xray.is_object());
  auto text = slim("xray " + img.tag);
  EXPECT_EQ(text.exit_code, 0) << text.err;
  // Names are shown escaped: no terminal escape sequence or name-made line break reaches stdout.
  EXPECT_EQ(text.out.find('\x1b'), std::string::npos);
  EXPECT_NE(text.out.find("/odd/new\\nline"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("/odd/ctrl-\\x01-\\x1b[31m"), std::string::npos) << text.out;
  auto members = squash_to_tar(kit, img.tag);
  for (const auto& n : odd_names()) {
    ASSERT_TRUE(members.count("odd/" + n)) << n;
    EXPECT_EQ(members["odd/" + n].content, "content of " + n);
  }
  EXPECT_EQ(members["odd/link-\xff"].link_target, "bad-\xff\xfe-utf8");
}

} // namespace
} // namespace slim::it
