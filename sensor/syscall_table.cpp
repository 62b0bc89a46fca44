#include "sensor/syscall_table.hpp"

#include "sensor/recording.hpp"

#include <array>
#include <cstdlib>
#include <seccomp.h>
#include <sys/syscall.h>

namespace slim::sensor {

namespace {

struct Entry {
  long nr;
  PathCall call;
};

constexpr PathArg cwd_path(int path) {
  return {-1, path};
}
constexpr PathArg at_path(int dirfd, int path) {
  return {dirfd, path};
}
constexpr PathArg fd_only(int fd) {
  return {fd, -1};
}
constexpr PathArg no_path() {
  return {-1, -1};
}

const std::array k_entries = {
#ifdef SYS_open
    Entry{SYS_open, {op_open, cwd_path(0), no_path(), 1, FlagStyle::open_flags, true}},
#endif
#ifdef SYS_creat
    Entry{SYS_creat, {op_open | op_write, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
#endif
    Entry{SYS_openat, {op_open, at_path(0, 1), no_path(), 2, FlagStyle::open_flags, true}},
#ifdef SYS_openat2
    Entry{SYS_openat2, {op_open, at_path(0, 1), no_path(), -1, FlagStyle::none, true}},
#endif
#ifdef SYS_stat
    Entry{SYS_stat, {op_stat, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
#endif
#ifdef SYS_lstat
    Entry{SYS_lstat, {op_stat, cwd_path(0), no_path(), -1, FlagStyle::none, false}},
#endif
#ifdef SYS_newfstatat
    Entry{SYS_newfstatat, {op_stat, at_path(0, 1), no_path(), 3, FlagStyle::at_flags, true}},
#endif
#ifdef SYS_fstatat64
    Entry{SYS_fstatat64, {op_stat, at_path(0, 1), no_path(), 3, FlagStyle::at_flags, true}},
#endif
    Entry{SYS_statx, {op_stat, at_path(0, 1), no_path(), 2, FlagStyle::at_flags, true}},
    Entry{SYS_statfs, {op_stat, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
#ifdef SYS_access
    Entry{SYS_access, {op_access, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
#endif
    Entry{SYS_faccessat, {op_access, at_path(0, 1), no_path(), -1, FlagStyle::none, true}},
#ifdef SYS_faccessat2
    Entry{SYS_faccessat2, {op_access, at_path(0, 1), no_path(), 3, FlagStyle::at_flags, true}},
#endif
#ifdef SYS_readlink
    Entry{SYS_readlink, {op_readlink, cwd_path(0), no_path(), -1, FlagStyle::none, false}},
#endif
    Entry{SYS_readlinkat, {op_readlink, at_path(0, 1), no_path(), -1, FlagStyle::none, false}},
    Entry{SYS_execve, {op_exec, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
    Entry{SYS_execveat, {op_exec, at_path(0, 1), no_path(), 4, FlagStyle::at_flags, true}},
    Entry{SYS_chdir, {op_chdir, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
    Entry{SYS_fchdir, {op_chdir, fd_only(0), no_path(), -1, FlagStyle::none, true}},
    Entry{SYS_chroot, {op_chdir, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
#ifdef SYS_getdents
    Entry{SYS_getdents, {op_readdir, fd_only(0), no_path(), -1, FlagStyle::none, true}},
#endif
    Entry{SYS_getdents64, {op_readdir, fd_only(0), no_path(), -1, FlagStyle::none, true}},
    Entry{SYS_getxattr, {op_stat, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
    Entry{SYS_lgetxattr, {op_stat, cwd_path(0), no_path(), -1, FlagStyle::none, false}},
    Entry{SYS_listxattr, {op_stat, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
    Entry{SYS_llistxattr, {op_stat, cwd_path(0), no_path(), -1, FlagStyle::none, false}},
    Entry{SYS_truncate, {op_write, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
#ifdef SYS_mkdir
    Entry{SYS_mkdir, {op_write, cwd_path(0), no_path(), -1, FlagStyle::none, false}},
#endif
    Entry{SYS_mkdirat, {op_write, at_path(0, 1), no_path(), -1, FlagStyle::none, false}},
#ifdef SYS_mknod
    Entry{SYS_mknod, {op_write, cwd_path(0), no_path(), -1, FlagStyle::none, false}},
#endif
    Entry{SYS_mknodat, {op_write, at_path(0, 1), no_path(), -1, FlagStyle::none, false}},
#ifdef SYS_unlink
    Entry{SYS_unlink, {op_write, cwd_path(0), no_path(), -1, FlagStyle::none, false}},
#endif
    Entry{SYS_unlinkat, {op_write, at_path(0, 1), no_path(), -1, FlagStyle::none, false}},
#ifdef SYS_rmdir
    Entry{SYS_rmdir, {op_write, cwd_path(0), no_path(), -1, FlagStyle::none, false}},
#endif
#ifdef SYS_rename
    Entry{SYS_rename, {op_write, cwd_path(0), cwd_path(1), -1, FlagStyle::none, false}},
#endif
#ifdef SYS_renameat
    Entry{SYS_renameat, {op_write, at_path(0, 1), at_path(2, 3), -1, FlagStyle::none, false}},
#endif
    Entry{SYS_renameat2, {op_write, at_path(0, 1), at_path(2, 3), -1, FlagStyle::none, false}},
#ifdef SYS_link
    Entry{SYS_link, {op_write, cwd_path(0), cwd_path(1), -1, FlagStyle::none, false}},
#endif
    Entry{SYS_linkat, {op_write, at_path(0, 1), at_path(2, 3), -1, FlagStyle::none, false}},
#ifdef SYS_symlink
    Entry{SYS_symlink, {op_write, cwd_path(1), no_path(), -1, FlagStyle::none, false}},
#endif
    Entry{SYS_symlinkat, {op_write, at_path(1, 2), no_path(), -1, FlagStyle::none, false}},
#ifdef SYS_chmod
    Entry{SYS_chmod, {op_write, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
#endif
    Entry{SYS_fchmodat, {op_write, at_path(0, 1), no_path(), -1, FlagStyle::none, true}},
#ifdef SYS_chown
    Entry{SYS_chown, {op_write, cwd_path(0), no_path(), -1, FlagStyle::none, true}},
#endif
#ifdef SYS_lchown
    Entry{SYS_lchown, {op_write, cwd_path(0), no_path(), -1, FlagStyle::none, false}},
#endif
    Entry{SYS_fchownat, {op_write, at_path(0, 1), no_path(), 4, FlagStyle::at_flags, true}},
    Entry{SYS_utimensat, {op_write, at_path(0, 1), no_path(), 3, FlagStyle::at_flags, true}},
};

// Direct-indexed lookup built once.
struct Table {
  std::array<const PathCall*, k_max_syscalls> by_nr{};
  Table() {
    for (const auto& entry : k_entries) {
      if (entry.nr >= 0 && static_cast<std::size_t>(entry.nr) < k_max_syscalls) {
        by_nr[static_cast<std::size_t>(entry.nr)] = &entry.call;
      }
    }
  }
};

} // namespace

const PathCall* path_call(long nr) {
  static const Table table;
  if (nr < 0 || static_cast<std::size_t>(nr) >= k_max_syscalls) {
    return nullptr;
  }
  return table.by_nr[static_cast<std::size_t>(nr)];
}

std::string syscall_name(long nr) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, static_cast<int>(nr));
  if (name == nullptr) {
    return {};
  }
  std::string out = name;
  std::free(name); // NOLINT(cppcoreguidelines-no-malloc): libseccomp hands out malloc'd names
  return out;
}

const char* native_arch_name() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__i386__)
  return "x86";
#else
  return "unknown";
#endif
}

} // namespace slim::sensor
