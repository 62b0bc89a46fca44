#pragma once
// Test helpers: synthetic layer tars and image archives built with libarchive, so the image
// module is tested without an engine.

#include "slim/util/sha256.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace slim::image::testing {

/// One member of a synthetic tar.
struct TEntry {
  std::string name;
  char type = 'f'; ///< f file, d dir, l symlink, h hardlink, c char dev, b block dev, p fifo
  std::string content;
  unsigned mode = 0644;
  std::string link; ///< symlink or hardlink target
  std::map<std::string, std::string> xattrs;
  unsigned major = 0, minor = 0;
  std::int64_t uid = 0, gid = 0;
  std::int64_t mtime = 1700000000;
};

enum class Filter { none, gzip, zstd };

inline la_ssize_t append_cb(struct archive*, void* self, const void* buf, std::size_t n) {
  static_cast<std::string*>(self)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

/// A tar (pax) of `entries`, optionally compressed.
inline std::string make_tar(const std::vector<TEntry>& entries, Filter filter = Filter::none) {
  std::string out;
  std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  if (filter == Filter::gzip) {
    archive_write_add_filter_gzip(a.get());
  } else if (filter == Filter::zstd) {
    archive_write_add_filter_zstd(a.get());
  }
  archive_write_set_bytes_in_last_block(a.get(), 1);
  archive_write_open(a.get(), &out, nullptr, append_cb, nullptr);
  for (const auto& t : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    unsigned type = AE_IFREG;
    switch (t.type) {
    case 'd': type = AE_IFDIR; break;
    case 'l': type = AE_IFLNK; break;
    case 'c': type = AE_IFCHR; break;
    case 'b': type = AE_IFBLK; break;
    case 'p': type = AE_IFIFO; break;
    default: break;
    }
    archive_entry_set_mode(e, type | t.mode);
    if (t.type == 'l') {
      archive_entry_set_symlink(e, t.link.c_str());
    }
    if (t.type == 'h') {
      archive_entry_set_hardlink(e, t.link.c_str());
    }
    if (t.type == 'c' || t.type == 'b') {
      archive_entry_set_rdevmajor(e, t.major);
      archive_entry_set_rdevminor(e, t.minor);
    }
    for (const auto& [k, v] : t.xattrs) {
      archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    }
    archive_entry_set_size(e, t.type == 'f' ? static_cast<la_int64_t>(t.content.size()) : 0);
    if (archive_write_header(a.get(), e) < ARCHIVE_WARN) {
      throw std::runtime_error(archive_error_string(a.get()));
    }
    if (t.type == 'f' && !t.content.empty()) {
      archive_write_data(a.get(), t.content.data(), t.content.size());
    }
    archive_entry_free(e);
  }
  archive_write_close(a.get());
  return out;
}

/// A plain tar whose members are given as (name, bytes) in order (outer archives).
inline std::string make_outer(const std::vector<std::pair<std::string, std::string>>& members) {
  std::vector<TEntry> entries;
  for (const auto& [name, data] : members) {
    entries.push_back(TEntry{.name = name, .content = data});
  }
  return make_tar(entries);
}

/// A config document for layers with these uncompressed tars.
inline nlohmann::json make_config(const std::vector<std::string>& plain_layers) {
  nlohmann::json diff_ids = nlohmann::json::array();
  nlohmann::json history = nlohmann::json::array();
  for (std::size_t i = 0; i < plain_layers.size(); ++i) {
    diff_ids.push_back("sha256:" + sha256_hex(plain_layers[i]));
    history.push_back({{"created", "2024-01-01T00:00:00Z"}, {"created_by", "step " + std::to_string(i)}});
  }
  history.push_back({{"created_by", "CMD [\"sh\"]"}, {"empty_layer", true}});
  return {{"architecture", "amd64"},
          {"os", "linux"},
          {"created", "2024-01-01T00:00:00Z"},
          {"config",
           {{"Env", {"PATH=/usr/bin:/bin"}},
            {"Cmd", {"sh"}},
            {"WorkingDir", "/"},
            {"Labels", {{"a", "1"}}},
            {"ExposedPorts", {{"80/tcp", nlohmann::json::object()}}}}},
          {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
          {"history", history}};
}

/// A docker-archive with these layers; `stored[i]` is the blob as stored (maybe compressed),
/// `plain[i]` its uncompressed tar.
inline std::string docker_archive(const std::vector<std::string>& plain,
                                  const std::vector<std::string>& stored) {
  std::string config = make_config(plain).dump();
  std::string config_hex = sha256_hex(config);
  std::vector<std::pair<std::string, std::string>> members;
  members.emplace_back(config_hex + ".json", config);
  nlohmann::json layers = nlohmann::json::array();
  for (std::size_t i = 0; i < stored.size(); ++i) {
    std::string dir = sha256_hex(stored[i] + std::to_string(i));
    members.emplace_back(dir + "/layer.tar", stored[i]);
    layers.push_back(dir + "/layer.tar");
  }
  nlohmann::json manifest = nlohmann::json::array(
      {{{"Config", config_hex + ".json"}, {"RepoTags", {"test/img:1"}}, {"Layers", layers}}});
  members.emplace_back("manifest.json", manifest.dump());
  return make_outer(members);
}

/// An OCI layout archive (index.json, blobs) with these layers (no manifest.json).
inline std::string oci_archive(const std::vector<std::string>& plain,
                               const std::vector<std::string>& stored) {
  std::string config = make_config(plain).dump();
  std::vector<std::pair<std::string, std::string>> members;
  members.emplace_back("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  members.emplace_back("blobs/sha256/" + sha256_hex(config), config);
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& s : stored) {
    members.emplace_back("blobs/sha256/" + sha256_hex(s), s);
    layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                      {"digest", "sha256:" + sha256_hex(s)},
                      {"size", s.size()}});
  }
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                  {"digest", "sha256:" + sha256_hex(config)},
                  {"size", config.size()}}},
      {"layers", layers}};
  std::string mtext = manifest.dump();
  members.emplace_back("blobs/sha256/" + sha256_hex(mtext), mtext);
  nlohmann::json index = {
      {"schemaVersion", 2},
      {"manifests",
       {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
         {"digest", "sha256:" + sha256_hex(mtext)},
         {"size", mtext.size()},
         {"annotations", {{"io.containerd.image.name", "test/img:1"},
                          {"org.opencontainers.image.ref.name", "1"}}}}}}};
  members.emplace_back("index.json", index.dump());
  return make_outer(members);
}

/// Writes `data` to `path`.
inline void write_file(const std::filesystem::path& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

/// Reads a whole file.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

} // namespace slim::image::testing
