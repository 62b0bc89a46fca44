#include "slim/util/small_tar.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <memory>

namespace slim {

namespace {
struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

int append_to_string(archive* /*a*/, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return 0;
}
ssize_t write_cb(archive* a, void* client, const void* buf, size_t n) {
  append_to_string(a, client, buf, n);
  return static_cast<ssize_t>(n);
}
} // namespace

std::string make_small_tar(const std::vector<SmallTarEntry>& entries) {
  std::string out;
  std::unique_ptr<archive, ArchiveWriteDeleter> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &out, nullptr, write_cb, nullptr) != ARCHIVE_OK) {
    throw Error(std::string("cannot build a tar: ") + archive_error_string(a.get()));
  }
  for (const auto& e : entries) {
    std::unique_ptr<archive_entry, EntryDeleter> ent(archive_entry_new());
    archive_entry_set_pathname(ent.get(), e.path.c_str());
    archive_entry_set_filetype(ent.get(), e.directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(ent.get(), e.mode);
    archive_entry_set_uid(ent.get(), 0);
    archive_entry_set_gid(ent.get(), 0);
    archive_entry_set_mtime(ent.get(), 0, 0);
    archive_entry_set_size(ent.get(), e.directory ? 0 : static_cast<la_int64_t>(e.content.size()));
    if (archive_write_header(a.get(), ent.get()) != ARCHIVE_OK) {
      throw Error("cannot add `" + e.path + "` to a tar: " + archive_error_string(a.get()));
    }
    if (!e.directory && !e.content.empty()) {
      archive_write_data(a.get(), e.content.data(), e.content.size());
    }
  }
  archive_write_close(a.get());
  return out;
}

Result<std::string> extract_from_small_tar(const std::string& tar, const std::string& name,
                                           std::uint64_t max_bytes) {
  std::unique_ptr<archive, ArchiveReadDeleter> a(archive_read_new());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK) {
    return Result<std::string>::fail(std::string("malformed tar: ") +
                                     archive_error_string(a.get()));
  }
  archive_entry* ent = nullptr;
  int rc = 0;
  while ((rc = archive_read_next_header(a.get(), &ent)) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(ent) != nullptr ? archive_entry_pathname(ent) : "";
    bool matches =
        path == name || (path.size() > name.size() &&
                         path.compare(path.size() - name.size(), name.size(), name) == 0 &&
                         path[path.size() - name.size() - 1] == '/');
    if (!matches || archive_entry_filetype(ent) != AE_IFREG) {
      continue;
    }
    if (archive_entry_size(ent) < 0 ||
        static_cast<std::uint64_t>(archive_entry_size(ent)) > max_bytes) {
      return Result<std::string>::fail("`" + name + "` is larger than the limit of " +
                                       std::to_string(max_bytes) + " bytes");
    }
    std::string out(static_cast<std::size_t>(archive_entry_size(ent)), '\0');
    la_ssize_t n = archive_read_data(a.get(), out.data(), out.size());
    if (n < 0 || static_cast<std::size_t>(n) != out.size()) {
      return Result<std::string>::fail("truncated tar member `" + path + "`");
    }
    return out;
  }
  if (rc != ARCHIVE_EOF) {
    return Result<std::string>::fail(std::string("malformed tar: ") +
                                     archive_error_string(a.get()));
  }
  return Result<std::string>::fail("no `" + name + "` in the archive");
}

} // namespace slim
