#include "slim/image/layer_writer.hpp"

#include "slim/util/cancel.hpp"
#include "slim/util/error.hpp"
#include "slim/util/sha256.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <unistd.h>

namespace slim::image {

namespace {

constexpr std::size_t k_block = 1 << 20;

struct Sink {
  int fd = -1;
  Sha256 hash;
  std::uint64_t bytes = 0;
  std::string error;

  static la_ssize_t write_cb(struct archive* a, void* self, const void* buf, std::size_t n) {
    auto* s = static_cast<Sink*>(self);
    const char* p = static_cast<const char*>(buf);
    for (std::size_t done = 0; done < n;) {
      ssize_t w = ::write(s->fd, p + done, n - done);
      if (w < 0) {
        if (errno == EINTR) {
          continue;
        }
        s->error = std::strerror(errno);
        archive_set_error(a, errno, "%s", s->error.c_str());
        return -1;
      }
      done += static_cast<std::size_t>(w);
    }
    s->hash.update(buf, n);
    s->bytes += n;
    return static_cast<la_ssize_t>(n);
  }
};

unsigned type_bits(EntryType t) {
  switch (t) {
  case EntryType::directory:
    return AE_IFDIR;
  case EntryType::symlink:
    return AE_IFLNK;
  case EntryType::char_device:
    return AE_IFCHR;
  case EntryType::block_device:
    return AE_IFBLK;
  case EntryType::fifo:
    return AE_IFIFO;
  default:
    return AE_IFREG;
  }
}

// Open file descriptors of the source layers, opened on first use.
class LayerFds {
public:
  explicit LayerFds(const std::vector<LayerFile>& layers) : m_layers(layers), m_fds(layers.size(), -1) {}
  ~LayerFds() {
    for (int fd : m_fds) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  LayerFds(const LayerFds&) = delete;
  LayerFds& operator=(const LayerFds&) = delete;

  int fd(std::uint32_t layer) {
    if (layer >= m_fds.size()) {
      throw Error("file data refers to layer " + std::to_string(layer) + ", which does not exist");
    }
    if (m_fds[layer] < 0) {
      m_fds[layer] = ::open(m_layers[layer].path.c_str(), O_RDONLY | O_CLOEXEC);
      if (m_fds[layer] < 0) {
        throw Error(errno_message("cannot open layer", m_layers[layer].path.string(), errno));
      }
    }
    return m_fds[layer];
  }
  std::uint64_t base(std::uint32_t layer) const { return m_layers[layer].offset; }
  const std::filesystem::path& path(std::uint32_t layer) const { return m_layers[layer].path; }

private:
  const std::vector<LayerFile>& m_layers;
  std::vector<int> m_fds;
};

template <typename Set>
LayerWriteResult write_layer_impl(const FileIndex& index, const std::vector<LayerFile>& layers,
                                  const Set& selection, const std::filesystem::path& out) {
  // The selection plus every parent directory, in path order (a parent sorts before its
  // children because it is their prefix).
  std::set<std::string> paths;
  for (const auto& p : selection) {
    if (index.find(p) == nullptr) {
      continue;
    }
    for (std::string cur = p; cur != "/" && paths.insert(cur).second;) {
      cur = parent_path(cur);
    }
  }
  Sink sink;
  sink.fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (sink.fd < 0) {
    throw Error(errno_message("cannot create layer", out.string(), errno));
  }
  std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_write_new(),
                                                               archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_per_block(a.get(), 10240);
  archive_write_set_bytes_in_last_block(a.get(), 1);
  auto fail = [&](const std::string& what) {
    ::close(sink.fd);
    const char* msg = archive_error_string(a.get());
    throw Error("cannot write layer `" + out.string() + "`: " + what +
                (msg != nullptr ? std::string(": ") + msg : std::string()));
  };
  if (archive_write_open(a.get(), &sink, nullptr, &Sink::write_cb, nullptr) != ARCHIVE_OK) {
    fail("open");
  }
  LayerFds fds(layers);
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::string> written_data;
  std::vector<char> buf(k_block);
  LayerWriteResult result;
  std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> ae(archive_entry_new(),
                                                                            archive_entry_free);
  for (const std::string& path : paths) {
    if (result.entries % 1024 == 0) {
      cancel::throw_if_requested();
    }
    const Entry* found = index.find(path);
    Entry synthetic;
    if (found == nullptr) { // a parent directory no layer mentioned
      synthetic.path = path;
      synthetic.type = EntryType::directory;
      synthetic.mode = 0755;
      found = &synthetic;
    }
    const Entry& e = *found;
    archive_entry_clear(ae.get());
    std::string rel = path.substr(1);
    archive_entry_set_pathname(ae.get(), rel.c_str());
    archive_entry_set_uid(ae.get(), e.uid);
    archive_entry_set_gid(ae.get(), e.gid);
    if (!e.uname.empty()) {
      archive_entry_set_uname(ae.get(), e.uname.c_str());
    }
    if (!e.gname.empty()) {
      archive_entry_set_gname(ae.get(), e.gname.c_str());
    }
    archive_entry_set_mtime(ae.get(), e.mtime, e.mtime_nsec);
    for (const auto& [name, value] : e.xattrs) {
      archive_entry_xattr_add_entry(ae.get(), name.c_str(), value.data(), value.size());
    }
    bool copy_data = false;
    if (e.type == EntryType::regular || e.type == EntryType::hardlink) {
      auto key = std::make_pair(e.data.layer, e.data.offset);
      auto [it, first] = written_data.emplace(key, rel);
      archive_entry_set_mode(ae.get(), AE_IFREG | (e.mode & 07777U));
      if (first) {
        archive_entry_set_size(ae.get(), e.size);
        copy_data = e.size > 0;
      } else {
        archive_entry_set_hardlink(ae.get(), it->second.c_str());
        archive_entry_set_size(ae.get(), 0);
      }
    } else {
      archive_entry_set_mode(ae.get(), type_bits(e.type) | (e.mode & 07777U));
      archive_entry_set_size(ae.get(), 0);
      if (e.type == EntryType::symlink) {
        archive_entry_set_symlink(ae.get(), e.link_target.c_str());
      } else if (e.type == EntryType::char_device || e.type == EntryType::block_device) {
        archive_entry_set_rdevmajor(ae.get(), e.dev_major);
        archive_entry_set_rdevminor(ae.get(), e.dev_minor);
      }
    }
    if (archive_write_header(a.get(), ae.get()) < ARCHIVE_WARN) {
      fail("header of `" + path + "`");
    }
    ++result.entries;
    if (copy_data) {
      int fd = fds.fd(e.data.layer);
      std::uint64_t pos = fds.base(e.data.layer) + e.data.offset;
      std::uint64_t left = static_cast<std::uint64_t>(e.size);
      while (left > 0) {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
        ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(pos));
        if (n <= 0) {
          ::close(sink.fd);
          throw Error("cannot read the bytes of `" + path + "` from `" +
                      fds.path(e.data.layer).string() + "`: " +
                      (n < 0 ? std::strerror(errno) : "layer ends early"));
        }
        if (archive_write_data(a.get(), buf.data(), static_cast<std::size_t>(n)) != n) {
          fail("data of `" + path + "`");
        }
        pos += static_cast<std::uint64_t>(n);
        left -= static_cast<std::uint64_t>(n);
      }
      result.file_bytes += static_cast<std::uint64_t>(e.size);
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    fail("close");
  }
  if (::close(sink.fd) != 0) {
    throw Error(errno_message("cannot write layer", out.string(), errno));
  }
  result.path = out;
  result.size = sink.bytes;
  result.diff_id = "sha256:" + sink.hash.hex_digest();
  return result;
}

} // namespace

std::set<std::string> all_paths(const FileIndex& index) {
  std::set<std::string> out;
  index.for_each([&out](const Entry& e) { out.insert(e.path); });
  return out;
}

LayerWriteResult write_layer(const FileIndex& index, const std::vector<LayerFile>& layers,
                             const std::set<std::string, std::less<>>& selection,
                             const std::filesystem::path& out) {
  return write_layer_impl(index, layers, selection, out);
}

LayerWriteResult write_layer(const FileIndex& index, const std::vector<LayerFile>& layers,
                             const std::set<std::string>& selection,
                             const std::filesystem::path& out) {
  return write_layer_impl(index, layers, selection, out);
}

} // namespace slim::image
