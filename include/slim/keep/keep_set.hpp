#pragma once
// The keep set: which paths of the image go into the slim image, each with the reason it is
// kept. Pure logic over the image's FileIndex, the sensor's (untrusted) report and the
// user's flags; the image's bytes are only read through ReadFile (ELF headers, `#!` lines).
//
// Rules, in order of precedence (a path keeps the first reason it got):
//  1. every reported path that exists in the image, resolved inside the image: the symlinks on
//     the way are kept ("symlink on the way to X"), the final target "accessed";
//  2. --include-path (a file, or a directory with its whole tree), --include-bin (a binary),
//     --include-exe (a program by name, on the image's PATH), the optional trees of
//     --include-cert-all and --include-zoneinfo, --include-shell (/bin/sh, bash if present,
//     and k_shell_tools found on the PATH);
//  3. always: /etc/passwd, /etc/group, /etc/nsswitch.conf, the working directory, the VOLUME
//     directories, /tmp, /var/tmp, /run (and the /var/run symlink);
//  4. expansions, until nothing new appears: the target of every kept hard link, the ELF
//     closure of every kept ELF file, the interpreter of every kept `#!` script (through
//     `/usr/bin/env NAME` too);
//  5. the parent directories of every kept path.
// Never kept: /.slim and below, anything below /proc, /sys, /dev, anything below a mount
// destination (and a mount destination that is not a directory in the image), and paths
// matching an --exclude-pattern (or below a matching directory).

#include "slim/image/file_index.hpp"
#include "slim/keep/elf_closure.hpp"
#include "slim/keep/sensor_report.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace slim::keep {

/// Why a path is kept.
enum class KeepKind {
  accessed,        ///< the sensor saw the app use it; detail: the ops ("exec,open,read")
  symlink_on_way,  ///< a symlink walked through; detail: the path it leads to
  parent,          ///< a parent directory; detail: the kept child that needs it
  elf_dependency,  ///< PT_INTERP / DT_NEEDED; detail: the object that needs it
  interpreter,     ///< the `#!` interpreter of a kept script; detail: the script
  hardlink_target, ///< the target of a kept hard link; detail: the hard link
  always,          ///< kept in every image; detail: why
  working_dir,     ///< the image's WorkingDir
  volume,          ///< a declared VOLUME directory
  include_path,    ///< --include-path; detail: the flag's value
  include_bin,     ///< --include-bin; detail: the flag's value
  include_shell,   ///< --include-shell
};

/// A reason: the kind plus one path or word of detail.
struct KeepReason {
  KeepKind kind = KeepKind::accessed;
  std::string detail;
  bool operator==(const KeepReason&) const = default;
};

/// The kind as a stable snake_case word for the report ("symlink_on_way").
std::string to_string(KeepKind kind);
/// A short sentence for people: "ELF dependency of /usr/bin/x", "parent of /usr/bin/x".
std::string describe(const KeepReason& reason);

/// What --include-cert-all keeps when the image has it: the CA bundles and certificate
/// directories of Debian/Ubuntu, Alpine, RHEL/Fedora/CentOS, SUSE and OpenSSL's own directory.
inline const std::vector<std::string> k_cert_paths = {"/etc/ssl/certs",
                                                      "/etc/ssl/cert.pem",
                                                      "/etc/pki/tls/certs",
                                                      "/etc/pki/tls/cert.pem",
                                                      "/etc/pki/ca-trust",
                                                      "/etc/pki/ca-trust-source",
                                                      "/usr/share/ca-certificates",
                                                      "/usr/local/share/ca-certificates",
                                                      "/etc/ca-certificates",
                                                      "/etc/ca-certificates.conf",
                                                      "/usr/lib/ssl",
                                                      "/var/lib/ca-certificates",
                                                      "/usr/share/pki/trust"};

/// What --include-zoneinfo keeps when the image has it.
inline const std::vector<std::string> k_zoneinfo_paths = {"/usr/share/zoneinfo", "/etc/localtime",
                                                          "/etc/timezone"};

/// The utilities --include-shell adds when the image has them (as DockerSlim does).
inline const std::vector<std::string> k_shell_tools = {
    "sh",   "bash", "ls",  "cat", "env",   "pwd",  "ps",   "head", "tail",  "more",
    "grep", "find", "awk", "sed", "sleep", "echo", "test", "id",   "mkdir", "rm"};

/// Everything from the user and the image config that shapes the keep set.
struct KeepInputs {
  std::vector<std::string> include_paths; ///< --include-path
  std::vector<std::string> include_bins;  ///< --include-bin
  std::vector<std::string> include_exes;  ///< --include-exe: names found on the image's PATH
  /// Trees kept when the image has them, no warning when not: (path, the flag that asks).
  std::vector<std::pair<std::string, std::string>> include_optional;
  bool include_shell = false;                ///< --include-shell
  std::vector<std::string> exclude_patterns; ///< --exclude-pattern
  std::string working_dir;                   ///< the image's (or --workdir's) WorkingDir
  std::vector<std::string> volumes;          ///< the image's VOLUME directories
  std::vector<std::string> mount_points;     ///< destinations of --mount during profiling
  std::vector<std::string> env;              ///< the image's Env (KEY=VALUE): PATH, LD_LIBRARY_PATH
  std::string ld_library_path;               ///< overrides LD_LIBRARY_PATH from `env` when set
  std::string path_env;                      ///< overrides PATH from `env` ("" = Debian's default)
  std::size_t max_paths = 4'000'000;         ///< hostile inputs: stop growing past this
};

/// The result: path -> reason, sorted by path, plus what went wrong or was left out.
struct KeepSet {
  std::map<std::string, KeepReason> paths;
  std::vector<std::string> warnings;    ///< include paths not found, unresolved libraries...
  std::vector<std::string> excluded;    ///< wanted paths an --exclude-pattern dropped (<= 1000)
  std::size_t skipped_not_in_image = 0; ///< reported paths the image does not have
  std::size_t skipped_blocked = 0;      ///< reported paths under /.slim, mounts, /proc...
  /// True when `path` is kept.
  bool contains(std::string_view path) const { return paths.count(std::string(path)) != 0; }
};

/// Computes the keep set. `report_files` are the sensor's files (untrusted: normalised,
/// bounded). `read` gives file bytes from the image. Never throws on bad input.
KeepSet compute_keep_set(const image::FileIndex& index, const std::vector<ReportFile>& report_files,
                         const KeepInputs& options, const ReadFile& read);
/// The same for a whole sensor report (its files; its warnings are not copied).
KeepSet compute_keep_set(const image::FileIndex& index, const SensorReport& report,
                         const KeepInputs& options, const ReadFile& read);

/// Fetches what a ReadFile answered "not at hand" for since the last call; false when it
/// answered everything it was asked.
using FetchMissing = std::function<bool()>;

/// compute_keep_set over a source that may lack bytes: each round runs with `read`, then
/// `fetch` brings what it lacked; the round that lacked nothing is the result, the keep set the
/// whole image gives (nothing of a round that lacked bytes is kept). `*rounds` gets how many
/// rounds ran. Throws slim::Error when `max_rounds` rounds still lacked bytes.
KeepSet compute_keep_set_in_rounds(const image::FileIndex& index, const SensorReport& report,
                                   const KeepInputs& options, const ReadFile& read,
                                   const FetchMissing& fetch, int max_rounds = 64,
                                   int* rounds = nullptr);

/// The value of `name` in a KEY=VALUE list (the last one wins), or "" when absent.
std::string env_value(const std::vector<std::string>& env, std::string_view name);

/// Counts and sizes of what a keep set selects from an image.
struct KeepStats {
  std::size_t entries = 0, files = 0, dirs = 0, symlinks = 0, others = 0;
  std::uint64_t bytes = 0; ///< sum of the regular files' sizes
};

/// The counts for `keep` over `index` (paths not in the index are not counted).
KeepStats keep_stats(const image::FileIndex& index, const KeepSet& keep);

} // namespace slim::keep
