// slim squash and slim xray against the real engine, on the multi-layer fixture
// (integration/fixtures/layered): one layer out, same files, same output, xray agrees with
// image inspect.
#include "slim/util/sha256.hpp"
#include "slim/util/temp_dir.hpp"
#include "support/support.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <string>

namespace slim::it {
namespace {

constexpr const char* k_layered = "slim-fixture/layered:latest";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

CommandResult slim(const std::string& args) {
  return run_command(shell_quote(slim_binary()) + " " + args, std::chrono::seconds(300));
}

// What a file-system entry looks like from outside: type, mode, owner, link, content hash.
struct Seen {
  std::string type;
  unsigned mode = 0;
  long uid = 0, gid = 0;
  std::string link;
  std::string sha256;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << s.type << " " << std::oct << s.mode << std::dec << " " << s.uid << ":" << s.gid
            << " -> " << s.link << " " << s.sha256.substr(0, 12);
}

// `docker export` of a (never started) container of `image`: path -> what is there.
std::map<std::string, Seen> exported_tree(engine::Client& client, const std::string& image) {
  ContainerGuard c(client, create_test_container(client, image, {"true"}));
  TempDir dir("it-export");
  auto tar = dir.path() / "fs.tar";
  auto r = run_command(engine_cli() + " export -o " + shell_quote(tar.string()) + " " + c.id());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, Seen> out;
  std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_read_new(),
                                                              archive_read_free);
  archive_read_support_format_tar(a.get());
  EXPECT_EQ(archive_read_open_filename(a.get(), tar.c_str(), 1 << 20), ARCHIVE_OK);
  struct archive_entry* e = nullptr;
  std::vector<char> buf(1 << 20);
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(e);
    while (!path.empty() && path.back() == '/') {
      path.pop_back();
    }
    Seen s;
    s.mode = static_cast<unsigned>(archive_entry_mode(e)) & 07777U;
    s.uid = archive_entry_uid(e);
    s.gid = archive_entry_gid(e);
    if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
      // Which name of a hard-linked file comes first may differ: compare the bytes.
      s.type = "file";
      s.sha256 = out[hl].sha256;
    } else if (archive_entry_filetype(e) == AE_IFREG) {
      s.type = "file";
      Sha256 h;
      la_ssize_t n = 0;
      while ((n = archive_read_data(a.get(), buf.data(), buf.size())) > 0) {
        h.update(buf.data(), static_cast<std::size_t>(n));
      }
      s.sha256 = h.hex_digest();
    } else if (archive_entry_filetype(e) == AE_IFLNK) {
      s.type = "symlink";
      s.link = archive_entry_symlink(e);
    } else if (archive_entry_filetype(e) == AE_IFDIR) {
      s.type = "dir";
    } else {
      s.type = "other" + std::to_string(archive_entry_filetype(e));
    }
    out[path] = s;
  }
  return out;
}

std::string run_and_log(engine::Client& client, const std::string& image) {
  ContainerGuard c(client, create_test_container(client, image, {}));
  client.start_container(c.id());
  EXPECT_EQ(client.wait_container(c.id(), std::chrono::seconds(60)), 0);
  std::string out;
  client.logs(c.id(), string_sink(out), string_sink(out));
  return out;
}

TEST(ImageSquash, OneLayerSameFilesSameOutput) {
  ensure_fixture("layered");
  auto client = connect_client();
  const std::string tag = "slim-test/layered-squashed:it";
  ImageGuard guard(client, tag);
  auto r = slim("squash " + std::string(k_layered) + " --tag " + tag);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Named as the engine names local images (Podman: localhost/slim-test/...).
  EXPECT_NE(r.out.find("into " + engine::local_image_name(client.engine(), tag)), std::string::npos)
      << r.out;

  auto original = client.inspect_image(k_layered);
  auto squashed = client.inspect_image(tag);
  EXPECT_GT(original["RootFS"]["Layers"].size(), 3u);
  EXPECT_EQ(squashed["RootFS"]["Layers"].size(), 1u);
  for (const char* key : {"Cmd", "Env", "WorkingDir", "Entrypoint", "User"}) {
    EXPECT_EQ(original["Config"][key], squashed["Config"][key]) << key;
  }

  auto before = exported_tree(client, k_layered);
  auto after = exported_tree(client, tag);
  ASSERT_GT(before.size(), 1000u);
  EXPECT_EQ(before.count("data/big.bin"), 0u);
  EXPECT_EQ(before.count("data/dir/a"), 0u);
  EXPECT_EQ(before.count("usr/share/doc"), 0u);
  EXPECT_EQ(before.at("data/suid").mode, 04755u);
  for (const auto& [path, seen] : before) {
    auto it = after.find(path);
    if (it == after.end()) {
      ADD_FAILURE() << "missing in the squashed image: " << path;
      continue;
    }
    EXPECT_EQ(seen, it->second) << path;
  }
  for (const auto& [path, seen] : after) {
    EXPECT_EQ(before.count(path), 1u) << "extra in the squashed image: " << path;
  }

  EXPECT_EQ(run_and_log(client, k_layered), run_and_log(client, tag));

  // Squashing the same image again gives the same image ID (deterministic writer).
  auto again = slim("squash " + std::string(k_layered) + " --tag " + tag);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(client.inspect_image(tag)["Id"], squashed["Id"]);
}

TEST(ImageSquash, OutputTarInBothFormats) {
  ensure_fixture("layered");
  TempDir dir("it-squash");
  for (const char* format : {"docker", "oci"}) {
    auto file = dir.path() / (std::string(format) + ".tar");
    auto r = slim("squash " + std::string(k_layered) + " --tag slim-test/out:" + format +
                  " --output-tar " + shell_quote(file.string()) + " --format " + format);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto list = run_command("tar -tf " + shell_quote(file.string()));
    ASSERT_EQ(list.exit_code, 0);
    EXPECT_NE(list.out.find("manifest.json"), std::string::npos);
    if (std::string(format) == "oci") {
      EXPECT_NE(list.out.find("oci-layout"), std::string::npos);
      EXPECT_NE(list.out.find("index.json"), std::string::npos);
    }
  }
}

TEST(ImageXray, AgreesWithInspect) {
  ensure_fixture("layered");
  auto client = connect_client();
  auto r = slim(std::string("xray --json ") + k_layered);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  auto inspect = client.inspect_image(k_layered);
  EXPECT_EQ(report["layers"].size(), inspect["RootFS"]["Layers"].size());
  EXPECT_EQ(report["size"].get<std::uint64_t>(), inspect["Size"].get<std::uint64_t>());
  for (std::size_t i = 0; i < report["layers"].size(); ++i) {
    EXPECT_EQ(report["layers"][i]["diff_id"], inspect["RootFS"]["Layers"][i]);
  }
  // big.bin (3 MB) was written and deleted: wasted, efficiency below 1.
  EXPECT_GE(report["wasted_bytes"].get<std::uint64_t>(), 3000000u);
  EXPECT_LT(report["efficiency"].get<double>(), 1.0);
  bool suid = false;
  for (const auto& f : report["setuid_setgid_files"]) {
    suid = suid || f["path"] == "/data/suid";
  }
  EXPECT_TRUE(suid);
  auto text = slim(std::string("xray ") + k_layered);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("efficiency"), std::string::npos);
}

TEST(ImageXray, UnknownImageIsAClearError) {
  auto r = slim("xray slim-test/does-not-exist:nope");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("slim: error:"), std::string::npos) << r.err;
}

} // namespace
} // namespace slim::it
