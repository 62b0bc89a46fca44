#include "slim/image/source_image.hpp"

#include "slim/util/error.hpp"
#include "slim/util/log.hpp"
#include "slim/util/sha256.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <optional>
#include <unistd.h>

namespace slim::image {

std::vector<LayerFile> SourceImage::layer_files() const {
  std::vector<LayerFile> out;
  out.reserve(layers.size());
  for (const auto& l : layers) {
    out.push_back(l.tar);
  }
  return out;
}

namespace {

constexpr std::uint64_t k_max_document = 64ULL << 20;

// A member of the outer archive: where its bytes are, or which member it links to.
struct Member {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::optional<std::string> link; ///< symlink or hard link target (member name)
};

// libarchive's message for the last failure; it sets none for some corrupt input.
std::string archive_message(struct archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown error";
}

std::string member_name(const char* raw) {
  std::string n = normalize_path(raw);
  return n == "/" ? std::string() : n.substr(1);
}

class OuterArchive {
public:
  explicit OuterArchive(std::filesystem::path path) : m_path(std::move(path)) { scan(); }

  bool has(const std::string& name) const { return lookup(name) != nullptr; }

  // The member `name` after following links, or throws "`name` is missing".
  const Member& get(const std::string& name) const {
    const Member* m = lookup(name);
    if (m == nullptr) {
      throw Error("image archive `" + m_path.string() + "` has no member `" + name + "`");
    }
    return *m;
  }

  std::string read(const std::string& name) const {
    const Member& m = get(name);
    if (m.size > k_max_document) {
      throw Error("member `" + name + "` of `" + m_path.string() + "` is too large for a document");
    }
    std::string out(m.size, '\0');
    int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw Error(errno_message("cannot open image archive", m_path.string(), errno));
    }
    ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(m.offset));
    int err = errno;
    ::close(fd);
    if (n < 0 || static_cast<std::uint64_t>(n) != m.size) {
      throw Error("cannot read member `" + name + "` of `" + m_path.string() +
                  "`: " + (n < 0 ? std::strerror(err) : "truncated"));
    }
    return out;
  }

  LayerFile file(const std::string& name) const {
    const Member& m = get(name);
    return LayerFile{m_path, m.offset, m.size};
  }

  const std::filesystem::path& path() const { return m_path; }

private:
  const Member* lookup(const std::string& name) const {
    std::string n = member_name(name.c_str());
    for (int hops = 0; hops < 16; ++hops) {
      auto it = m_members.find(n);
      if (it == m_members.end()) {
        return nullptr;
      }
      if (!it->second.link) {
        return &it->second;
      }
      n = *it->second.link;
    }
    return nullptr;
  }

  void scan() {
    std::error_code ec;
    auto file_size = std::filesystem::file_size(m_path, ec);
    if (ec) {
      throw Error("cannot read image archive `" + m_path.string() + "`: " + ec.message());
    }
    std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_read_new(),
                                                                archive_read_free);
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), m_path.c_str(), 1 << 20) != ARCHIVE_OK) {
      throw Error("cannot read image archive `" + m_path.string() +
                  "`: " + archive_message(a.get()));
    }
    struct archive_entry* e = nullptr;
    while (true) {
      int rc = archive_read_next_header(a.get(), &e);
      if (rc == ARCHIVE_EOF) {
        break;
      }
      if (rc < ARCHIVE_WARN) {
        throw Error("image archive `" + m_path.string() +
                    "` is malformed or truncated: " + archive_message(a.get()));
      }
      std::string name = member_name(archive_entry_pathname(e));
      Member m;
      if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
        m.link = member_name(hl);
      } else if (archive_entry_filetype(e) == AE_IFLNK) {
        std::string dir = parent_path("/" + name);
        m.link = member_name((dir + "/" + archive_entry_symlink(e)).c_str());
      } else if (archive_entry_filetype(e) == AE_IFREG) {
        m.offset = static_cast<std::uint64_t>(archive_filter_bytes(a.get(), 0));
        m.size = static_cast<std::uint64_t>(archive_entry_size(e));
        if (m.offset + m.size > file_size) {
          throw Error("image archive `" + m_path.string() + "` is truncated: member `" + name +
                      "` ends past the end of the file");
        }
      } else {
        continue;
      }
      m_members[name] = std::move(m);
    }
  }

  std::filesystem::path m_path;
  std::map<std::string, Member> m_members;
};

// The hex digest a member name promises: blobs/sha256/<hex> or <hex>.json.
std::optional<std::string> promised_hex(const std::string& name) {
  std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  if (base.size() == 69 && base.compare(64, 5, ".json") == 0) {
    base.resize(64);
  }
  if (base.size() != 64) {
    return std::nullopt;
  }
  for (char c : base) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return std::nullopt;
    }
  }
  return base;
}

void check_digest(const std::string& what, const std::string& expected_hex,
                  const std::string& actual_hex) {
  if (expected_hex != actual_hex) {
    throw Error("digest mismatch for `" + what + "`: expected sha256:" + expected_hex +
                ", got sha256:" + actual_hex);
  }
}

std::string blob_name(const std::string& digest) {
  return "blobs/sha256/" + digest_hex(digest);
}

// Reads one layer member: decompresses when needed, checks digests, applies it to the image.
void load_layer(SourceImage& img, const OuterArchive& ar, const std::string& member,
                std::optional<std::string> blob_hex, const std::filesystem::path& work_dir,
                const FlattenOptions& options) {
  std::uint32_t no = static_cast<std::uint32_t>(img.layers.size());
  if (no >= img.config.diff_ids.size()) {
    throw Error("image archive `" + ar.path().string() + "` has more layers than its config's " +
                "rootfs.diff_ids");
  }
  LayerInfo info;
  LayerFile blob = ar.file(member);
  info.blob_size = blob.size;
  unsigned char head[4] = {0, 0, 0, 0};
  {
    int fd = ::open(blob.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw Error(errno_message("cannot open image archive", blob.path.string(), errno));
    }
    ssize_t n =
        ::pread(fd, head, std::min<std::uint64_t>(4, blob.size), static_cast<off_t>(blob.offset));
    ::close(fd);
    info.compression = detect_compression(head, n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  std::string tar_hex;
  if (info.compression != Compression::none) {
    auto out = work_dir / ("layer-" + std::to_string(no) + ".tar");
    auto d = decompress_layer(blob, out);
    if (!d) {
      throw Error("cannot read layer `" + member + "` of `" + ar.path().string() +
                  "`: " + d.error());
    }
    if (blob_hex) {
      check_digest(member, *blob_hex, d.value().blob_sha256_hex);
    }
    info.tar = d.value().tar;
    info.digest = "sha256:" + d.value().blob_sha256_hex;
    tar_hex = d.value().tar_sha256_hex;
  } else {
    info.tar = blob;
  }
  auto contents = read_layer(info.tar, no);
  if (!contents) {
    throw Error("cannot read layer `" + member + "` of `" + ar.path().string() +
                "`: " + contents.error());
  }
  LayerContents& c = contents.value();
  if (info.compression == Compression::none) {
    tar_hex = c.sha256_hex;
    info.digest = "sha256:" + tar_hex;
    if (blob_hex) {
      check_digest(member, *blob_hex, tar_hex);
    }
  }
  check_digest(member + " (uncompressed, rootfs.diff_ids[" + std::to_string(no) + "])",
               digest_hex(img.config.diff_ids[no]), tar_hex);
  info.diff_id = "sha256:" + tar_hex;
  info.entries = c.entries.size();
  info.whiteouts = c.whiteouts.size();
  info.file_bytes = c.file_bytes;
  auto applied = apply_layer(img.index, std::move(c), &img.waste, options);
  if (!applied) {
    throw Error("cannot apply layer `" + member + "` of `" + ar.path().string() +
                "`: " + applied.error());
  }
  img.layers.push_back(std::move(info));
}

ImageConfig read_config(const OuterArchive& ar, const std::string& member, std::string& digest) {
  std::string text = ar.read(member);
  std::string hex = sha256_hex(text);
  if (auto promised = promised_hex(member)) {
    check_digest(member, *promised, hex);
  }
  digest = "sha256:" + hex;
  return parse_image_config(text, member);
}

// The image manifest an OCI index leads to (nested indexes followed, attestations skipped).
OciManifest pick_oci_manifest(const OuterArchive& ar, const OciIndex& index, int depth) {
  if (depth > 4) {
    throw Error("OCI index nesting too deep in `" + ar.path().string() + "`");
  }
  for (const auto& d : index.manifests) {
    auto ref = d.annotations.find("vnd.docker.reference.type");
    if (ref != d.annotations.end() && ref->second == "attestation-manifest") {
      continue;
    }
    if (d.platform_os && *d.platform_os == "unknown") {
      continue;
    }
    std::string name = blob_name(d.digest);
    std::string text = ar.read(name);
    check_digest(name, digest_hex(d.digest), sha256_hex(text));
    bool nested = d.media_type.find("index") != std::string::npos ||
                  d.media_type.find("manifest.list") != std::string::npos;
    if (nested) {
      return pick_oci_manifest(ar, parse_oci_index(text, name), depth + 1);
    }
    return parse_oci_manifest(text, name);
  }
  throw Error("OCI index of `" + ar.path().string() + "` names no image manifest");
}

void attach_history(SourceImage& img) {
  std::size_t layer = 0;
  for (const auto& h : img.config.history) {
    if (h.empty_layer) {
      continue;
    }
    if (layer < img.layers.size()) {
      img.layers[layer].created_by = h.created_by;
    }
    ++layer;
  }
}

} // namespace

SourceImage open_image_archive(const std::filesystem::path& archive,
                               const std::filesystem::path& work_dir,
                               const FlattenOptions& options) {
  OuterArchive ar(archive);
  SourceImage img;
  if (ar.has("manifest.json")) {
    img.format = ar.has("index.json") ? ArchiveFormat::oci : ArchiveFormat::docker;
    auto manifest = parse_docker_manifest(ar.read("manifest.json"));
    const DockerManifestEntry& m = manifest.front();
    img.repo_tags = m.repo_tags;
    img.config = read_config(ar, m.config, img.config_digest);
    if (m.layers.size() != img.config.diff_ids.size()) {
      throw Error("image archive `" + archive.string() + "` lists " +
                  std::to_string(m.layers.size()) + " layers but its config has " +
                  std::to_string(img.config.diff_ids.size()) + " diff_ids");
    }
    for (const auto& layer : m.layers) {
      load_layer(img, ar, layer, layer.rfind("blobs/", 0) == 0 ? promised_hex(layer) : std::nullopt,
                 work_dir, options);
    }
  } else if (ar.has("index.json")) {
    img.format = ArchiveFormat::oci;
    auto index = parse_oci_index(ar.read("index.json"), "index.json");
    for (const auto& d : index.manifests) {
      if (auto it = d.annotations.find("org.opencontainers.image.ref.name");
          it != d.annotations.end()) {
        auto name = d.annotations.find("io.containerd.image.name");
        img.repo_tags.push_back(name != d.annotations.end() ? name->second : it->second);
      }
    }
    OciManifest m = pick_oci_manifest(ar, index, 0);
    std::string config_member = blob_name(m.config.digest);
    img.config = read_config(ar, config_member, img.config_digest);
    if (m.layers.size() != img.config.diff_ids.size()) {
      throw Error("image archive `" + archive.string() + "` lists " +
                  std::to_string(m.layers.size()) + " layers but its config has " +
                  std::to_string(img.config.diff_ids.size()) + " diff_ids");
    }
    for (const auto& layer : m.layers) {
      load_layer(img, ar, blob_name(layer.digest), digest_hex(layer.digest), work_dir, options);
    }
  } else {
    throw Error("`" + archive.string() +
                "` is not an image archive: it has neither manifest.json nor index.json");
  }
  attach_history(img);
  SLIM_DEBUG("read image {} ({} layers, {} paths)", img.config_digest, img.layers.size(),
             img.index.size());
  return img;
}

} // namespace slim::image
