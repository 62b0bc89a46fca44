#pragma once
// What the sensor saw, in memory: one entry per path with its operations and who made them,
// the set of system call numbers, and the calls the app's policy refused. Also the line format an
// exec session uses to hand its recording to PID 1. Pure data, no I/O.

#include <bitset>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace slim::sensor {

/// One operation on a path, as a bit; a path's ops are an OR of these.
enum Op : std::uint16_t {
  op_open = 1 << 0,
  op_exec = 1 << 1,
  op_read = 1 << 2,
  op_write = 1 << 3,
  op_stat = 1 << 4,
  op_readlink = 1 << 5,
  op_readdir = 1 << 6,
  op_access = 1 << 7,
  op_chdir = 1 << 8,
  op_notfound = 1 << 9,
};

/// Ops bits as their report names, in the fixed report order (alphabetical).
std::vector<std::string> op_names(std::uint16_t ops);
/// The bit of an op name, or 0 when unknown.
std::uint16_t op_from_name(std::string_view name);

/// Who made an access: the app's process tree, a `sensor exec` command, or a process the
/// sensor cannot place (plain `docker exec`, or one gone before its fanotify event was read).
enum class Source : std::uint8_t { app, exec, other };

/// What is known about one path.
struct PathRecord {
  std::uint16_t ops = 0;
  bool by_app = false;  ///< the app (or an unplaced process) touched it
  bool by_exec = false; ///< a `sensor exec` command touched it
  /// True when only exec commands touched it (the report's `from_exec`).
  bool from_exec() const noexcept { return by_exec && !by_app; }
};

/// Largest syscall number the recording keeps.
inline constexpr std::size_t k_max_syscalls = 1024;

/// Paths and syscalls seen; not thread-safe (callers lock).
class Recording {
public:
  /// Adds `ops` to `path` (an absolute path; ignored paths are dropped) for `source`.
  void add_path(const std::string& path, std::uint16_t ops, Source source);
  /// Marks syscall `nr` as used (numbers >= k_max_syscalls are dropped).
  void add_syscall(long nr) {
    if (nr >= 0 && static_cast<std::size_t>(nr) < k_max_syscalls) {
      m_syscalls.set(static_cast<std::size_t>(nr));
    }
  }
  /// Marks syscall `nr` as attempted and refused by the app's policy (not used: it is not
  /// added to the syscalls).
  void add_denied(long nr) {
    if (nr >= 0 && static_cast<std::size_t>(nr) < k_max_syscalls) {
      m_denied.set(static_cast<std::size_t>(nr));
    }
  }
  /// Marks syscall `nr` as made by a probe tool under /.slim (the probe shell), not the app.
  void add_probe_syscall(long nr) {
    if (nr >= 0 && static_cast<std::size_t>(nr) < k_max_syscalls) {
      m_probe_syscalls.set(static_cast<std::size_t>(nr));
    }
  }
  /// Records a value of the one argument of `nr` the profile filters on (see arg_index());
  /// at most k_max_arg_values distinct values per call are kept (one more marks "many").
  void add_arg_value(long nr, std::uint64_t value);
  /// Merges everything from `other`; with `as` set, all its paths count as that source.
  void merge(const Recording& other, std::optional<Source> as = std::nullopt);
  /// Path -> record.
  const std::unordered_map<std::string, PathRecord>& files() const noexcept { return m_files; }
  /// Syscall numbers seen, ascending.
  std::vector<long> syscalls() const;
  /// Syscall numbers refused, ascending.
  std::vector<long> denied() const;
  /// Syscall numbers probe tools made, ascending (also those the app made).
  std::vector<long> probe_syscalls() const;
  /// Call -> the distinct values of its filtered argument.
  const std::map<long, std::set<std::uint64_t>>& arg_values() const noexcept {
    return m_arg_values;
  }
  /// True when nothing was recorded.
  bool empty() const noexcept {
    return m_files.empty() && m_syscalls.none() && m_denied.none() && m_probe_syscalls.none();
  }

private:
  std::unordered_map<std::string, PathRecord> m_files;
  std::bitset<k_max_syscalls> m_syscalls;
  std::bitset<k_max_syscalls> m_denied;
  std::bitset<k_max_syscalls> m_probe_syscalls;
  std::map<long, std::set<std::uint64_t>> m_arg_values;
};

/// Distinct argument values kept per call; the profile side makes a call with more name-only.
inline constexpr std::size_t k_max_arg_values = 64;

/// The index of the argument the generated profile filters `nr` on (socket: the address
/// family, clone and unshare: the flags, personality: the persona, prctl: the option), or -1
/// for every other call.
int arg_index(long nr);

/// Encodes a recording as lines: `F <ops> <escaped path>`, `S <nr>`, `D <nr>` (a refused
/// call), `P <nr>` (a probe tool's call) and `A <nr> <value>` (an argument value) (paths escape
/// `%`, newline and carriage return as %25, %0A, %0D).
std::string encode_recording(const Recording& recording);
/// Decodes encode_recording() output into `out` as `source`; false on a malformed line.
bool decode_recording(std::string_view text, Source source, Recording& out);

} // namespace slim::sensor
