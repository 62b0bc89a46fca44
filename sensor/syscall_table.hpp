#pragma once
// Which system calls take paths, where their path and dirfd arguments are, and which report
// op they mean (pure data over this architecture's syscall numbers), plus syscall names.

#include <cstdint>
#include <string>

namespace slim::sensor {

/// How a path-taking call's flags decide whether the final symlink is followed.
enum class FlagStyle : std::uint8_t {
  none,       ///< no flags: follows unless `follow` is false
  open_flags, ///< O_NOFOLLOW / O_ACCMODE / O_CREAT (adds write) / O_PATH
  at_flags,   ///< AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH
};

/// One path argument of a call.
struct PathArg {
  int dirfd = -1; ///< argument index of the dirfd, -1 for AT_FDCWD semantics
  int path = -1;  ///< argument index of the path pointer, -1 when the path comes from `dirfd` only
};

/// A path-taking call.
struct PathCall {
  std::uint16_t op = 0; ///< Op bits recorded for the path
  PathArg first;        ///< the main path
  PathArg second;       ///< a second path (rename, link), path == -1 when none
  int flags_arg = -1;   ///< argument index of the flags, -1 when none
  FlagStyle style = FlagStyle::none;
  bool follow = true; ///< follows a final symlink by default
};

/// The path call for syscall `nr` of the native architecture, or nullptr.
const PathCall* path_call(long nr);

/// The syscall's name for the native architecture (libseccomp), empty when unknown.
std::string syscall_name(long nr);

/// The native architecture's name as the report gives it ("x86_64", "aarch64").
const char* native_arch_name();

} // namespace slim::sensor
