#include "slim/image/layer_reader.hpp"

#include "slim/util/cancel.hpp"
#include "slim/util/sha256.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace slim::image {

namespace {

constexpr std::size_t k_block = 1 << 20;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<struct archive, ArchiveDeleter>;

// Serves a byte range of a file to libarchive, hashing every byte it hands out.
struct RangeReader {
  int fd = -1;
  std::uint64_t pos = 0;
  std::uint64_t end = 0;
  Sha256 hash;
  std::vector<char> buf = std::vector<char>(k_block);
  std::string error;

  // Reads the next block into buf; returns bytes read, 0 at the end of the range, -1 on error.
  ssize_t next() {
    if (pos >= end) {
      return 0;
    }
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(k_block, end - pos));
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(pos));
    if (n < 0) {
      error = std::strerror(errno);
      return -1;
    }
    if (n == 0) {
      error = "file ends before the layer does (truncated)";
      return -1;
    }
    pos += static_cast<std::uint64_t>(n);
    hash.update(buf.data(), static_cast<std::size_t>(n));
    return n;
  }

  // Hashes whatever libarchive did not read (end-of-archive padding).
  bool drain() {
    while (true) {
      ssize_t n = next();
      if (n < 0) {
        return false;
      }
      if (n == 0) {
        return true;
      }
    }
  }

  static la_ssize_t read_cb(struct archive* a, void* self, const void** out) {
    auto* r = static_cast<RangeReader*>(self);
    ssize_t n = r->next();
    if (n < 0) {
      archive_set_error(a, EIO, "%s", r->error.c_str());
      return -1;
    }
    *out = r->buf.data();
    return n;
  }
};

EntryType type_of(struct archive_entry* e) {
  switch (archive_entry_filetype(e)) {
  case AE_IFDIR:
    return EntryType::directory;
  case AE_IFLNK:
    return EntryType::symlink;
  case AE_IFCHR:
    return EntryType::char_device;
  case AE_IFBLK:
    return EntryType::block_device;
  case AE_IFIFO:
    return EntryType::fifo;
  default:
    return EntryType::regular;
  }
}

std::string base_name(const std::string& path) {
  auto pos = path.rfind('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// libarchive's message for the last failure; it sets none for some corrupt input (found by
// fuzz/layer.cpp: a std::string from nullptr threw).
std::string archive_message(struct archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown error";
}

} // namespace

Compression detect_compression(const unsigned char* head, std::size_t size) {
  if (size >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
    return Compression::gzip;
  }
  if (size >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) {
    return Compression::zstd;
  }
  return Compression::none;
}

Result<LayerContents> read_layer(const LayerFile& file, std::uint32_t layer) {
  using R = Result<LayerContents>;
  Fd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    return R::fail(errno_message("cannot open layer", file.path.string(), errno));
  }
  ::posix_fadvise(fd.fd, static_cast<off_t>(file.offset), static_cast<off_t>(file.size),
                  POSIX_FADV_SEQUENTIAL);
  RangeReader reader;
  reader.fd = fd.fd;
  reader.pos = file.offset;
  reader.end = file.offset + file.size;
  ReadArchive a(archive_read_new());
  archive_read_support_format_tar(a.get());
  if (archive_read_open(a.get(), &reader, nullptr, &RangeReader::read_cb, nullptr) != ARCHIVE_OK) {
    return R::fail("cannot read layer tar: " +
                   (!reader.error.empty() ? reader.error : archive_message(a.get())));
  }
  LayerContents out;
  struct archive_entry* ae = nullptr;
  while (true) {
    int rc = archive_read_next_header(a.get(), &ae);
    if (rc == ARCHIVE_EOF) {
      break;
    }
    if (rc < ARCHIVE_WARN) {
      const char* msg = archive_error_string(a.get());
      return R::fail(std::string("malformed or truncated layer tar: ") +
                     (!reader.error.empty() ? reader.error.c_str()
                                            : (msg != nullptr ? msg : "unknown error")));
    }
    if (out.entries.size() % 4096 == 0) {
      cancel::throw_if_requested();
    }
    const char* raw_name = archive_entry_pathname(ae);
    if (raw_name == nullptr) {
      return R::fail("layer tar member without a name");
    }
    std::string path = normalize_path(raw_name);
    if (archive_entry_sparse_count(ae) > 0) {
      return R::fail("layer tar member `" + path + "` is a sparse file (not supported)");
    }
    std::string name = base_name(path);
    if (name.rfind(".wh.", 0) == 0) {
      std::string dir = parent_path(path);
      if (name == ".wh..wh..opq") {
        out.whiteouts.push_back({dir, true});
      } else if (name.size() > 4) {
        out.whiteouts.push_back({join(dir, name.substr(4)), false});
      }
      continue;
    }
    if (archive_entry_filetype(ae) == AE_IFSOCK || path == "/") {
      continue; // sockets are not image content; the root's metadata is not ours to change
    }
    Entry e;
    e.path = std::move(path);
    e.type = type_of(ae);
    e.mode = static_cast<std::uint32_t>(archive_entry_mode(ae)) & 07777U;
    e.uid = static_cast<std::uint32_t>(archive_entry_uid(ae));
    e.gid = static_cast<std::uint32_t>(archive_entry_gid(ae));
    if (const char* u = archive_entry_uname(ae); u != nullptr) {
      e.uname = u;
    }
    if (const char* g = archive_entry_gname(ae); g != nullptr) {
      e.gname = g;
    }
    e.mtime = archive_entry_mtime(ae);
    e.mtime_nsec = static_cast<std::uint32_t>(archive_entry_mtime_nsec(ae));
    if (const char* hl = archive_entry_hardlink(ae); hl != nullptr) {
      e.type = EntryType::hardlink;
      e.link_target = normalize_path(hl);
    } else if (e.type == EntryType::symlink) {
      const char* t = archive_entry_symlink(ae);
      e.link_target = t != nullptr ? t : "";
    } else if (e.type == EntryType::regular) {
      e.size = archive_entry_size(ae);
      e.data = DataRef{layer, static_cast<std::uint64_t>(archive_filter_bytes(a.get(), 0))};
      out.file_bytes += static_cast<std::uint64_t>(e.size);
    } else if (e.type == EntryType::char_device || e.type == EntryType::block_device) {
      e.dev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(ae));
      e.dev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(ae));
    }
    archive_entry_xattr_reset(ae);
    const char* xname = nullptr;
    const void* xval = nullptr;
    std::size_t xsize = 0;
    while (archive_entry_xattr_next(ae, &xname, &xval, &xsize) == ARCHIVE_OK) {
      e.xattrs[xname] = std::string(static_cast<const char*>(xval), xsize);
    }
    out.entries.push_back(std::move(e));
  }
  // Every member's data must lie inside the range (libarchive skips the last one lazily).
  if (archive_read_close(a.get()) != ARCHIVE_OK) {
    return R::fail("malformed or truncated layer tar: " + archive_message(a.get()));
  }
  if (!reader.drain()) {
    return R::fail("cannot read layer tar: " + reader.error);
  }
  out.sha256_hex = reader.hash.hex_digest();
  return out;
}

Result<Decompressed> decompress_layer(const LayerFile& in, const std::filesystem::path& out_path) {
  using R = Result<Decompressed>;
  Fd fd(::open(in.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    return R::fail(errno_message("cannot open layer", in.path.string(), errno));
  }
  Fd out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (out.fd < 0) {
    return R::fail(errno_message("cannot create", out_path.string(), errno));
  }
  RangeReader reader;
  reader.fd = fd.fd;
  reader.pos = in.offset;
  reader.end = in.offset + in.size;
  ReadArchive a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open(a.get(), &reader, nullptr, &RangeReader::read_cb, nullptr) != ARCHIVE_OK) {
    return R::fail("cannot decompress layer: " + archive_message(a.get()));
  }
  struct archive_entry* ae = nullptr;
  if (archive_read_next_header(a.get(), &ae) != ARCHIVE_OK) {
    return R::fail("cannot decompress layer: " + archive_message(a.get()));
  }
  Sha256 tar_hash;
  std::vector<char> buf(k_block);
  std::uint64_t total = 0;
  while (true) {
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n < 0) {
      return R::fail("cannot decompress layer (corrupt or truncated): " + archive_message(a.get()));
    }
    if (n == 0) {
      break;
    }
    cancel::throw_if_requested();
    tar_hash.update(buf.data(), static_cast<std::size_t>(n));
    for (la_ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out.fd, buf.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0) {
        return R::fail(errno_message("cannot write", out_path.string(), errno));
      }
      done += w;
    }
    total += static_cast<std::uint64_t>(n);
  }
  if (!reader.drain()) {
    return R::fail("cannot read layer: " + reader.error);
  }
  Decompressed d;
  d.tar = LayerFile{out_path, 0, total};
  d.blob_sha256_hex = reader.hash.hex_digest();
  d.tar_sha256_hex = tar_hash.hex_digest();
  return d;
}

Result<std::string> hash_file_range(const std::filesystem::path& path, std::uint64_t offset,
                                    std::uint64_t size) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    return Result<std::string>::fail(errno_message("cannot open", path.string(), errno));
  }
  RangeReader reader;
  reader.fd = fd.fd;
  reader.pos = offset;
  reader.end = offset + size;
  if (!reader.drain()) {
    return Result<std::string>::fail("cannot read `" + path.string() + "`: " + reader.error);
  }
  return reader.hash.hex_digest();
}

} // namespace slim::image
