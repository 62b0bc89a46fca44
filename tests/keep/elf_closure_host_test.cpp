// The ELF closure over real Debian binaries: a FileIndex built from a few host directories
// stands in for an image (read-only lstat/read; skipped where the host lacks them).
#include "slim/keep/elf_closure.hpp"

#include <dirent.h>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace slim::keep {
namespace {

void put_host(image::FileIndex& idx, const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return;
  }
  image::Entry e{.path = path, .mode = st.st_mode & 07777u, .size = st.st_size};
  if (S_ISDIR(st.st_mode)) {
    e.type = image::EntryType::directory;
  } else if (S_ISLNK(st.st_mode)) {
    e.type = image::EntryType::symlink;
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    e.link_target.assign(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  } else if (S_ISREG(st.st_mode)) {
    e.type = image::EntryType::regular;
  } else {
    return;
  }
  idx.put(std::move(e));
}

void put_dir(image::FileIndex& idx, const std::string& dir) {
  put_host(idx, dir);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return;
  }
  while (dirent* ent = ::readdir(d)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") {
      put_host(idx, dir + "/" + name);
    }
  }
  ::closedir(d);
}

TEST(ElfClosureHost, ResolvesLsLikeTheLoader) {
  struct stat st {};
  if (::stat("/usr/bin/ls", &st) != 0 || ::stat("/usr/lib/x86_64-linux-gnu/libc.so.6", &st) != 0) {
    GTEST_SKIP() << "not a Debian x86_64 host";
  }
  image::FileIndex idx;
  for (const char* p : {"/", "/usr", "/usr/bin", "/usr/bin/ls", "/bin", "/lib", "/lib64", "/etc",
                        "/etc/ld.so.conf", "/etc/ld.so.cache", "/usr/lib"}) {
    put_host(idx, p);
  }
  put_dir(idx, "/etc/ld.so.conf.d");
  put_dir(idx, "/usr/lib/x86_64-linux-gnu");
  put_dir(idx, "/usr/lib64");
  ReadFile read = [](const image::Entry& e, std::size_t max) -> std::optional<std::string> {
    std::ifstream f(e.path, std::ios::binary);
    if (!f) {
      return std::nullopt;
    }
    std::string out(max, '\0');
    f.read(out.data(), static_cast<std::streamsize>(max));
    out.resize(static_cast<std::size_t>(f.gcount()));
    return out;
  };
  ElfClosure closure(idx, read);
  EXPECT_FALSE(closure.conf_dirs().empty()); // Debian lists the multiarch dirs there
  auto deps = closure.add("/bin/ls");
  std::set<std::string> paths;
  for (const auto& d : deps) {
    paths.insert(d.path);
  }
  EXPECT_TRUE(paths.count("/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_TRUE(paths.count("/usr/lib/x86_64-linux-gnu/libselinux.so.1"));
  EXPECT_TRUE(paths.count("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
  if (::lstat("/lib64", &st) == 0 && S_ISLNK(st.st_mode)) {
    EXPECT_TRUE(paths.count("/lib64")); // merged /usr: PT_INTERP walks through it
  }
  EXPECT_TRUE(closure.warnings().empty()) << closure.warnings().front();
}

} // namespace
} // namespace slim::keep
