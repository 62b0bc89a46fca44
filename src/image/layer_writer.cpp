#include "slim/image/layer_writer.hpp"

#include "slim/util/cancel.hpp"
#include "slim/util/error.hpp"
#include "slim/util/sha256.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <map>
#include <memory>
#include <set>
#include <unistd.h>
#include <utility>

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
  explicit LayerFds(const std::vector<LayerFile>& layers)
      : m_layers(layers), m_fds(layers.size(), -1) {}
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

// The members of a layer in writing order: the selection plus every parent directory (a parent
// sorts before its children because it is their prefix), each file's bytes written once.
struct Member {
  const Entry* entry = nullptr;
  std::string rel;     ///< name in the tar (no leading slash)
  std::string link_to; ///< a hard link to this earlier member (shares its bytes)
  bool data = false;   ///< its bytes follow its header
};

class Plan {
public:
  template <typename Set> Plan(const FileIndex& index, const Set& selection) {
    std::set<std::string> paths;
    for (const auto& p : selection) {
      if (index.find(p) == nullptr) {
        continue;
      }
      for (std::string cur = p; cur != "/" && paths.insert(cur).second;) {
        cur = parent_path(cur);
      }
    }
    std::map<DataRef, std::string> written_data;
    for (const std::string& path : paths) {
      const Entry* e = index.find(path);
      if (e == nullptr) { // a parent directory no layer mentioned
        Entry& d = m_synthetic.emplace_back();
        d.path = path;
        d.type = EntryType::directory;
        d.mode = 0755;
        e = &d;
      }
      Member m{.entry = e, .rel = path.substr(1)};
      if (e->type == EntryType::regular || e->type == EntryType::hardlink) {
        auto [it, first] = written_data.emplace(e->data, m.rel);
        if (first) {
          m.data = e->size > 0;
        } else {
          m.link_to = it->second;
        }
      }
      if (m.data) {
        m_files.push_back(e);
      }
      m_members.push_back(std::move(m));
    }
  }
  const std::vector<Member>& members() const { return m_members; }
  const std::vector<const Entry*>& files() const { return m_files; }

private:
  std::deque<Entry> m_synthetic;
  std::vector<Member> m_members;
  std::vector<const Entry*> m_files;
};

// Writes the planned members as their bytes arrive: headers up to each file with bytes, then
// exactly its size in bytes, the members after the last file when finished.
class TarWriter {
public:
  TarWriter(const Plan& plan, const std::filesystem::path& out)
      : m_plan(plan), m_out(out), m_a(archive_write_new(), archive_write_free),
        m_ae(archive_entry_new(), archive_entry_free) {
    m_sink.fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (m_sink.fd < 0) {
      throw Error(errno_message("cannot create layer", out.string(), errno));
    }
    archive_write_set_format_pax_restricted(m_a.get());
    archive_write_set_bytes_per_block(m_a.get(), 10240);
    archive_write_set_bytes_in_last_block(m_a.get(), 1);
    if (archive_write_open(m_a.get(), &m_sink, nullptr, &Sink::write_cb, nullptr) != ARCHIVE_OK) {
      fail("open");
    }
  }
  ~TarWriter() {
    if (m_sink.fd >= 0) {
      ::close(m_sink.fd);
    }
  }
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void bytes(const char* data, std::size_t size) {
    while (size > 0) {
      if (m_left == 0 && !next_file()) {
        throw Error("cannot write layer `" + m_out.string() +
                    "`: the content holds more bytes than the files it was asked for");
      }
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, m_left));
      if (archive_write_data(m_a.get(), data, n) != static_cast<la_ssize_t>(n)) {
        fail("data of `/" + m_plan.members()[m_pos - 1].rel + "`");
      }
      data += n;
      size -= n;
      m_left -= n;
      m_result.file_bytes += n;
    }
  }

  LayerWriteResult finish() {
    if (m_left > 0) {
      throw Error("cannot write layer `" + m_out.string() + "`: the bytes of `/" +
                  m_plan.members()[m_pos - 1].rel + "` ended " + std::to_string(m_left) +
                  " bytes early");
    }
    if (next_file()) {
      throw Error("cannot write layer `" + m_out.string() + "`: no bytes came for `/" +
                  m_plan.members()[m_pos - 1].rel + "`");
    }
    if (archive_write_close(m_a.get()) != ARCHIVE_OK) {
      fail("close");
    }
    int fd = std::exchange(m_sink.fd, -1);
    if (::close(fd) != 0) {
      throw Error(errno_message("cannot write layer", m_out.string(), errno));
    }
    m_result.path = m_out;
    m_result.size = m_sink.bytes;
    m_result.diff_id = "sha256:" + m_sink.hash.hex_digest();
    return m_result;
  }

private:
  [[noreturn]] void fail(const std::string& what) {
    const char* msg = archive_error_string(m_a.get());
    throw Error("cannot write layer `" + m_out.string() + "`: " + what +
                (msg != nullptr ? std::string(": ") + msg : std::string()));
  }

  // Writes headers up to and including the next member with bytes; false at the end.
  bool next_file() {
    while (m_pos < m_plan.members().size()) {
      const Member& m = m_plan.members()[m_pos++];
      header(m);
      if (m.data) {
        m_left = static_cast<std::uint64_t>(m.entry->size);
        return true;
      }
    }
    return false;
  }

  void header(const Member& m) {
    if (m_result.entries % 1024 == 0) {
      cancel::throw_if_requested();
    }
    const Entry& e = *m.entry;
    struct archive_entry* ae = m_ae.get();
    archive_entry_clear(ae);
    archive_entry_set_pathname(ae, m.rel.c_str());
    archive_entry_set_uid(ae, e.uid);
    archive_entry_set_gid(ae, e.gid);
    if (!e.uname.empty()) {
      archive_entry_set_uname(ae, e.uname.c_str());
    }
    if (!e.gname.empty()) {
      archive_entry_set_gname(ae, e.gname.c_str());
    }
    archive_entry_set_mtime(ae, e.mtime, e.mtime_nsec);
    for (const auto& [name, value] : e.xattrs) {
      archive_entry_xattr_add_entry(ae, name.c_str(), value.data(), value.size());
    }
    if (e.type == EntryType::regular || e.type == EntryType::hardlink) {
      archive_entry_set_mode(ae, AE_IFREG | (e.mode & 07777U));
      if (m.link_to.empty()) {
        archive_entry_set_size(ae, e.size);
      } else {
        archive_entry_set_hardlink(ae, m.link_to.c_str());
        archive_entry_set_size(ae, 0);
      }
    } else {
      archive_entry_set_mode(ae, type_bits(e.type) | (e.mode & 07777U));
      archive_entry_set_size(ae, 0);
      if (e.type == EntryType::symlink) {
        archive_entry_set_symlink(ae, e.link_target.c_str());
      } else if (e.type == EntryType::char_device || e.type == EntryType::block_device) {
        archive_entry_set_rdevmajor(ae, e.dev_major);
        archive_entry_set_rdevminor(ae, e.dev_minor);
      }
    }
    if (archive_write_header(m_a.get(), ae) < ARCHIVE_WARN) {
      fail("header of `/" + m.rel + "`");
    }
    ++m_result.entries;
  }

  const Plan& m_plan;
  std::filesystem::path m_out;
  Sink m_sink;
  std::unique_ptr<struct archive, int (*)(struct archive*)> m_a;
  std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> m_ae;
  std::size_t m_pos = 0;    ///< next member whose header is to be written
  std::uint64_t m_left = 0; ///< bytes the current file still needs
  LayerWriteResult m_result;
};

template <typename Set>
LayerWriteResult write_layer_impl(const FileIndex& index, const Set& selection,
                                  const ContentSource& content, const std::filesystem::path& out) {
  Plan plan(index, selection);
  TarWriter writer(plan, out);
  if (!plan.files().empty()) {
    content(plan.files(),
            [&writer](const char* data, std::size_t size) { writer.bytes(data, size); });
  }
  return writer.finish();
}

} // namespace

std::set<std::string> all_paths(const FileIndex& index) {
  std::set<std::string> out;
  index.for_each([&out](const Entry& e) { out.insert(e.path); });
  return out;
}

ContentSource layer_tar_content(const std::vector<LayerFile>& layers) {
  return [&layers](const std::vector<const Entry*>& files, const ContentSink& sink) {
    LayerFds fds(layers);
    std::vector<char> buf(k_block);
    for (const Entry* e : files) {
      int fd = fds.fd(e->data.layer);
      std::uint64_t pos = fds.base(e->data.layer) + e->data.offset;
      auto left = static_cast<std::uint64_t>(e->size);
      while (left > 0) {
        std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
        ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(pos));
        if (n <= 0) {
          throw Error("cannot read the bytes of `" + e->path + "` from `" +
                      fds.path(e->data.layer).string() +
                      "`: " + (n < 0 ? std::strerror(errno) : "layer ends early"));
        }
        sink(buf.data(), static_cast<std::size_t>(n));
        pos += static_cast<std::uint64_t>(n);
        left -= static_cast<std::uint64_t>(n);
      }
    }
  };
}

LayerWriteResult write_layer(const FileIndex& index, const std::set<std::string>& selection,
                             const ContentSource& content, const std::filesystem::path& out) {
  return write_layer_impl(index, selection, content, out);
}

LayerWriteResult write_layer(const FileIndex& index, const std::vector<LayerFile>& layers,
                             const std::set<std::string, std::less<>>& selection,
                             const std::filesystem::path& out) {
  return write_layer_impl(index, selection, layer_tar_content(layers), out);
}

LayerWriteResult write_layer(const FileIndex& index, const std::vector<LayerFile>& layers,
                             const std::set<std::string>& selection,
                             const std::filesystem::path& out) {
  return write_layer_impl(index, selection, layer_tar_content(layers), out);
}

} // namespace slim::image
