#include "support/crafted_image.hpp"

#include "slim/util/error.hpp"
#include "slim/util/sha256.hpp"
#include "support/support.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace slim::it {

namespace {

using WriteArchive = std::unique_ptr<archive, decltype(&archive_write_free)>;
using ReadArchive = std::unique_ptr<archive, decltype(&archive_read_free)>;
using ArchiveEntry = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

// Writes to a file descriptor, hashing every byte.
struct FileSink {
  int fd = -1;
  Sha256 hash;
  static la_ssize_t write_cb(archive*, void* self, const void* buf, std::size_t n) {
    auto* s = static_cast<FileSink*>(self);
    const char* p = static_cast<const char*>(buf);
    for (std::size_t done = 0; done < n;) {
      ssize_t w = ::write(s->fd, p + done, n - done);
      if (w < 0) {
        return -1;
      }
      done += static_cast<std::size_t>(w);
    }
    s->hash.update(buf, n);
    return static_cast<la_ssize_t>(n);
  }
};

unsigned filetype(CraftedEntry::Type t) {
  switch (t) {
  case CraftedEntry::Type::directory:
    return AE_IFDIR;
  case CraftedEntry::Type::symlink:
    return AE_IFLNK;
  case CraftedEntry::Type::char_device:
    return AE_IFCHR;
  case CraftedEntry::Type::block_device:
    return AE_IFBLK;
  case CraftedEntry::Type::fifo:
    return AE_IFIFO;
  default:
    return AE_IFREG;
  }
}

// Opens a libarchive writer on `out`; `sink` must outlive it.
WriteArchive open_writer(const std::filesystem::path& out, FileSink& sink) {
  sink.fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (sink.fd < 0) {
    throw Error(errno_message("cannot create", out.string(), errno));
  }
  WriteArchive a(archive_write_new(), &archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &sink, nullptr, &FileSink::write_cb, nullptr) != ARCHIVE_OK) {
    throw Error("cannot write `" + out.string() + "`: " + archive_error_string(a.get()));
  }
  return a;
}

void finish_writer(WriteArchive& a, FileSink& sink, const std::filesystem::path& out) {
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    throw Error("cannot finish `" + out.string() + "`: " + archive_error_string(a.get()));
  }
  ::close(sink.fd);
  sink.fd = -1;
}

void add_bytes(archive* a, const std::string& name, const std::string& bytes) {
  ArchiveEntry e(archive_entry_new(), &archive_entry_free);
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes.size()));
  if (archive_write_header(a, e.get()) != ARCHIVE_OK ||
      archive_write_data(a, bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size())) {
    throw Error("cannot add `" + name + "` to a tar: " + archive_error_string(a));
  }
}

void add_file(archive* a, const std::string& name, const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(errno_message("cannot open", path.string(), errno));
  }
  ArchiveEntry e(archive_entry_new(), &archive_entry_free);
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(std::filesystem::file_size(path)));
  if (archive_write_header(a, e.get()) != ARCHIVE_OK) {
    ::close(fd);
    throw Error("cannot add `" + name + "` to a tar: " + archive_error_string(a));
  }
  std::vector<char> buf(1 << 20);
  ssize_t n = 0;
  while ((n = ::read(fd, buf.data(), buf.size())) > 0) {
    if (archive_write_data(a, buf.data(), static_cast<std::size_t>(n)) != n) {
      ::close(fd);
      throw Error("cannot add `" + name + "` to a tar: " + archive_error_string(a));
    }
  }
  ::close(fd);
}

char type_char(archive_entry* e) {
  if (archive_entry_hardlink(e) != nullptr) {
    return 'h';
  }
  switch (archive_entry_filetype(e)) {
  case AE_IFDIR:
    return 'd';
  case AE_IFLNK:
    return 'l';
  case AE_IFCHR:
    return 'c';
  case AE_IFBLK:
    return 'b';
  case AE_IFIFO:
    return 'p';
  default:
    return '-';
  }
}

// Reads every member of an opened archive.
std::vector<TarMember> read_members(archive* a) {
  std::vector<TarMember> out;
  archive_entry* e = nullptr;
  int rc = 0;
  while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    TarMember m;
    m.path = archive_entry_pathname(e) != nullptr ? archive_entry_pathname(e) : "";
    while (m.path.size() > 1 && m.path.back() == '/') {
      m.path.pop_back(); // directories: "etc/x/" -> "etc/x"
    }
    m.type = type_char(e);
    m.mode = static_cast<unsigned>(archive_entry_perm(e));
    if (const char* h = archive_entry_hardlink(e); h != nullptr) {
      m.link_target = h;
    } else if (const char* s = archive_entry_symlink(e); s != nullptr) {
      m.link_target = s;
    }
    m.uid = static_cast<unsigned>(archive_entry_uid(e));
    m.gid = static_cast<unsigned>(archive_entry_gid(e));
    m.mtime = archive_entry_mtime(e);
    m.mtime_nsec = archive_entry_mtime_nsec(e);
    m.dev_major = static_cast<unsigned>(archive_entry_rdevmajor(e));
    m.dev_minor = static_cast<unsigned>(archive_entry_rdevminor(e));
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      m.xattrs[name] = std::string(static_cast<const char*>(value), size);
    }
    if (m.type == '-') {
      char buf[65536];
      la_ssize_t n = 0;
      while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
        if (m.content.size() < (1u << 20)) {
          m.content.append(buf, static_cast<std::size_t>(n));
        }
      }
      if (n < 0) {
        throw Error(std::string("cannot read a tar member: ") + archive_error_string(a));
      }
    }
    out.push_back(std::move(m));
  }
  if (rc != ARCHIVE_EOF) {
    throw Error(std::string("malformed tar: ") + archive_error_string(a));
  }
  return out;
}

// The next member's header (a warning is fine); false at the end or on an error.
bool next_header(archive* a, archive_entry** e) {
  int rc = archive_read_next_header(a, e);
  return rc == ARCHIVE_OK || rc == ARCHIVE_WARN;
}

ReadArchive new_reader() {
  ReadArchive a(archive_read_new(), &archive_read_free);
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  return a;
}

} // namespace

std::string write_layer_tar(const std::filesystem::path& out, const EntryGenerator& next) {
  FileSink sink;
  auto a = open_writer(out, sink);
  ArchiveEntry e(archive_entry_new(), &archive_entry_free);
  CraftedEntry c;
  while (next(c)) {
    archive_entry_clear(e.get());
    archive_entry_set_pathname(e.get(), c.path.c_str());
    archive_entry_set_mtime(e.get(), c.mtime, c.mtime_nsec);
    archive_entry_set_uid(e.get(), c.uid);
    archive_entry_set_gid(e.get(), c.gid);
    std::size_t size = 0;
    if (c.type == CraftedEntry::Type::hardlink) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_hardlink(e.get(), c.link_target.c_str());
    } else {
      archive_entry_set_filetype(e.get(), filetype(c.type));
    }
    archive_entry_set_perm(e.get(), c.mode);
    if (c.type == CraftedEntry::Type::file) {
      size = c.content.size();
    } else if (c.type == CraftedEntry::Type::symlink) {
      archive_entry_set_symlink(e.get(), c.link_target.c_str());
    } else if (c.type == CraftedEntry::Type::char_device ||
               c.type == CraftedEntry::Type::block_device) {
      archive_entry_set_rdevmajor(e.get(), c.dev_major);
      archive_entry_set_rdevminor(e.get(), c.dev_minor);
    }
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    for (const auto& [name, value] : c.xattrs) {
      archive_entry_xattr_add_entry(e.get(), name.c_str(), value.data(), value.size());
    }
    // ARCHIVE_WARN: a name that is not UTF-8 is stored as raw bytes (hdrcharset=BINARY).
    if (archive_write_header(a.get(), e.get()) < ARCHIVE_WARN) {
      throw Error("cannot write the tar header of `" + c.path +
                  "`: " + archive_error_string(a.get()));
    }
    if (size > 0 &&
        archive_write_data(a.get(), c.content.data(), size) != static_cast<la_ssize_t>(size)) {
      throw Error("cannot write `" + c.path + "`: " + archive_error_string(a.get()));
    }
    c = CraftedEntry{};
  }
  finish_writer(a, sink, out);
  return sink.hash.hex_digest();
}

std::string write_layer_tar(const std::filesystem::path& out,
                            const std::vector<CraftedEntry>& entries) {
  std::size_t i = 0;
  return write_layer_tar(out, [&](CraftedEntry& e) {
    if (i == entries.size()) {
      return false;
    }
    e = entries[i++];
    return true;
  });
}

CraftedImage write_docker_archive(const std::filesystem::path& dir, const std::string& tag,
                                  const std::vector<std::filesystem::path>& layers,
                                  nlohmann::json container_config) {
  nlohmann::json diff_ids = nlohmann::json::array();
  nlohmann::json names = nlohmann::json::array();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    int fd = ::open(layers[i].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw Error(errno_message("cannot open", layers[i].string(), errno));
    }
    Sha256 h;
    std::vector<char> buf(1 << 20);
    ssize_t n = 0;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0) {
      h.update(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    diff_ids.push_back("sha256:" + h.hex_digest());
    names.push_back("layer" + std::to_string(i) + "/layer.tar");
  }
  container_config["Labels"]["io.slim.owner"] = k_test_owner;
  nlohmann::json config = {{"architecture", "amd64"},
                           {"os", "linux"},
                           {"config", container_config},
                           {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  std::string config_text = config.dump();
  std::string config_hex = sha256_hex(config_text);
  nlohmann::json manifest = nlohmann::json::array(
      {{{"Config", config_hex + ".json"}, {"RepoTags", {tag}}, {"Layers", names}}});
  CraftedImage image;
  image.archive = dir / "image.tar";
  image.id = "sha256:" + config_hex;
  image.tag = tag;
  FileSink sink;
  auto a = open_writer(image.archive, sink);
  add_bytes(a.get(), config_hex + ".json", config_text);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    add_file(a.get(), names[i].get<std::string>(), layers[i]);
  }
  add_bytes(a.get(), "manifest.json", manifest.dump());
  finish_writer(a, sink, image.archive);
  return image;
}

std::string load_archive(engine::Client& client, const std::filesystem::path& archive) {
  int fd = ::open(archive.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(errno_message("cannot open", archive.string(), errno));
  }
  std::shared_ptr<int> guard(&fd, [](int* p) { ::close(*p); });
  auto result = client.load_images([fd](char* buf, std::size_t cap) -> std::size_t {
    ssize_t n = ::read(fd, buf, cap);
    if (n < 0) {
      throw Error(errno_message("cannot read", "archive", errno));
    }
    return static_cast<std::size_t>(n);
  });
  return result.image_id;
}

std::string busybox_binary(engine::Client& client) {
  std::string id = create_test_container(client, "slim-fixture/busybox:latest", {"true"});
  ContainerGuard guard(client, id);
  std::string tar;
  client.get_archive(id, "/bin/busybox", string_sink(tar));
  auto files = read_tar_files(tar);
  if (files.size() != 1) {
    throw Error("slim-fixture/busybox has no /bin/busybox (run scripts/fixtures.sh busybox)");
  }
  return files.begin()->second;
}

std::vector<CraftedEntry> busybox_entries(const std::string& busybox) {
  using T = CraftedEntry::Type;
  std::vector<CraftedEntry> out = {{.path = "bin", .type = T::directory, .mode = 0755},
                                   {.path = "bin/busybox", .content = busybox, .mode = 0755},
                                   {.path = "etc", .type = T::directory, .mode = 0755},
                                   {.path = "tmp", .type = T::directory, .mode = 01777}};
  for (const char* tool : {"sh", "cat", "ls", "stat", "echo", "test", "head", "true", "sleep"}) {
    out.push_back({.path = std::string("bin/") + tool,
                   .type = T::symlink,
                   .mode = 0777,
                   .link_target = "busybox"});
  }
  return out;
}

std::vector<TarMember> read_tar_members(const std::string& tar) {
  auto a = new_reader();
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK) {
    throw Error(std::string("cannot read a tar: ") + archive_error_string(a.get()));
  }
  return read_members(a.get());
}

std::vector<TarMember> read_tar_file_members(const std::filesystem::path& path) {
  auto a = new_reader();
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK) {
    throw Error("cannot read `" + path.string() + "`: " + archive_error_string(a.get()));
  }
  return read_members(a.get());
}

std::map<std::string, TarMember> archive_layer_members(const std::filesystem::path& archive_file) {
  // First the manifest (it may come after the layers), then each layer read from inside the
  // outer tar without extracting it.
  std::vector<std::string> layers;
  {
    auto a = new_reader();
    if (archive_read_open_filename(a.get(), archive_file.c_str(), 1 << 20) != ARCHIVE_OK) {
      throw Error("cannot read `" + archive_file.string() + "`: " + archive_error_string(a.get()));
    }
    archive_entry* e = nullptr;
    while (next_header(a.get(), &e)) {
      if (std::string(archive_entry_pathname(e)) != "manifest.json") {
        continue;
      }
      std::string text(static_cast<std::size_t>(archive_entry_size(e)), '\0');
      archive_read_data(a.get(), text.data(), text.size());
      auto manifest = nlohmann::json::parse(text);
      for (const auto& l : manifest.at(0).at("Layers")) {
        layers.push_back(l.get<std::string>());
      }
    }
  }
  std::map<std::string, TarMember> merged;
  for (const auto& layer : layers) {
    auto outer = new_reader();
    if (archive_read_open_filename(outer.get(), archive_file.c_str(), 1 << 20) != ARCHIVE_OK) {
      throw Error("cannot read `" + archive_file.string() + "`");
    }
    archive_entry* e = nullptr;
    while (next_header(outer.get(), &e)) {
      if (layer != archive_entry_pathname(e)) {
        continue;
      }
      struct Nested {
        archive* outer;
        std::vector<char> buf = std::vector<char>(1 << 20);
      } nested{outer.get()};
      auto inner = new_reader();
      auto read_cb = [](archive*, void* self, const void** out) -> la_ssize_t {
        auto* n = static_cast<Nested*>(self);
        *out = n->buf.data();
        return archive_read_data(n->outer, n->buf.data(), n->buf.size());
      };
      if (archive_read_open(inner.get(), &nested, nullptr, read_cb, nullptr) != ARCHIVE_OK) {
        throw Error("cannot read layer `" + layer + "`: " + archive_error_string(inner.get()));
      }
      for (auto& m : read_members(inner.get())) {
        std::string key = m.path;
        merged[key] = std::move(m);
      }
      break;
    }
  }
  return merged;
}

CraftKit::CraftKit(const std::string& name)
    : m_dir(std::filesystem::temp_directory_path() /
            ("slim-it-hostile-" + std::to_string(::getpid()) + "-" + name)),
      m_client(connect_client()) {
  std::filesystem::remove_all(m_dir);
  std::filesystem::create_directories(m_dir);
}

CraftKit::~CraftKit() {
  while (!m_guards.empty()) {
    m_guards.pop_back();
  }
  std::error_code ec;
  std::filesystem::remove_all(m_dir, ec);
}

CraftedImage CraftKit::write(const std::string& tag,
                             const std::vector<std::vector<CraftedEntry>>& layers,
                             nlohmann::json container_config) {
  std::vector<std::filesystem::path> files;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    files.push_back(m_dir / ("layer" + std::to_string(i) + ".tar"));
    write_layer_tar(files.back(), layers[i]);
  }
  return write_docker_archive(m_dir, tag, files, std::move(container_config));
}

CraftedImage CraftKit::load(const std::string& tag,
                            const std::vector<std::vector<CraftedEntry>>& layers,
                            nlohmann::json container_config) {
  CraftedImage image = write(tag, layers, std::move(container_config));
  guard(tag);
  std::string id = load_archive(m_client, image.archive);
  if (id != image.id) {
    throw Error("the engine loaded `" + tag + "` as `" + id + "`, not as `" + image.id + "`");
  }
  return image;
}

void CraftKit::guard(const std::string& image) {
  m_guards.push_back(std::make_unique<ImageGuard>(m_client, image));
}

TarMember CraftKit::member_in_image(const std::string& image, const std::string& path) {
  std::string id = create_test_container(m_client, image, {"/nonexistent"});
  ContainerGuard container(m_client, id);
  std::string tar;
  m_client.get_archive(id, path, string_sink(tar));
  auto members = read_tar_members(tar);
  if (members.empty()) {
    throw Error("`" + path + "` is not in `" + image + "`");
  }
  return members.front();
}

} // namespace slim::it
