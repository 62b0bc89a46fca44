#pragma once
// The ELF closure: for ELF files kept from an image, everything the dynamic loader would load,
// found the way ld.so searches *inside the image* (never on the host): PT_INTERP, then each
// DT_NEEDED name through DT_RPATH (only when there is no DT_RUNPATH, also inherited from the
// objects that loaded this one), LD_LIBRARY_PATH from the image config, DT_RUNPATH, the
// directories of /etc/ld.so.conf (with `include` globs), and the default directories. $ORIGIN,
// $LIB and $PLATFORM are expanded; candidates of another ELF class or machine are skipped as
// ld.so skips them. musl images use /etc/ld-musl-ARCH.path and musl's defaults instead.

#include "slim/image/file_index.hpp"
#include "slim/keep/elf_reader.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace slim::keep {

/// Reads up to `max_bytes` of a regular file's bytes from the image (fewer when the file is
/// shorter); nullopt when they cannot be read. Provided by the image reader.
using ReadFile =
    std::function<std::optional<std::string>(const image::Entry&, std::size_t max_bytes)>;

/// One path the closure adds, and why.
struct ElfDependency {
  std::string path;      ///< absolute path in the image (a symlink or the file itself)
  std::string needed_by; ///< the object that needs it ("/usr/bin/python3")
  std::string name;      ///< the DT_NEEDED name, or "PT_INTERP", or "ld.so.cache"
  bool symlink = false;  ///< true: a symlink walked through on the way to `target`
  std::string target;    ///< for symlinks: the resolved file they lead to
};

/// Settings that do not come from the image's files.
struct ElfClosureOptions {
  /// LD_LIBRARY_PATH from the image config's Env (colon-separated dirs), applied to every
  /// object that is not setuid. Empty: none.
  std::string ld_library_path;
  /// Reads stop at this many bytes per file (hostile images cannot make us read more).
  std::size_t max_read_bytes = std::size_t{256} << 20;
};

/// Walks the closure of ELF files inside one image. Stateful: each object is parsed once, so
/// add() may be called again and again as the keep set grows.
class ElfClosure {
public:
  /// Reads /etc/ld.so.conf (and its includes) through `read` once, here.
  ElfClosure(const image::FileIndex& index, ReadFile read, ElfClosureOptions options = {});

  /// Adds the closure of the ELF file at `path` (resolved inside the image first). Returns the
  /// paths newly found (every symlink on the way, every library, transitively), in discovery
  /// order; nothing when `path` is not an ELF file or was seen before. Never throws on bad
  /// input: problems become warnings().
  std::vector<ElfDependency> add(std::string_view path);

  /// True when the file at `path` (resolved) starts with the ELF magic (reads 4 bytes).
  bool is_elf_file(std::string_view path);

  /// Human-readable problems seen so far (unresolved DT_NEEDED, malformed ELF files...).
  const std::vector<std::string>& warnings() const noexcept { return m_warnings; }

  /// The directories ld.so.conf (and includes) name, in order; for tests and the report.
  const std::vector<std::string>& conf_dirs() const noexcept { return m_conf_dirs; }

private:
  struct Loaded {
    std::optional<ElfInfo> info;
  };
  struct Work {
    std::string path;                   ///< resolved path of the object
    std::string origin;                 ///< $ORIGIN: directory it was loaded from
    std::vector<std::string> inherited; ///< DT_RPATH dirs of the objects that loaded it
    bool musl = false;                  ///< loaded by musl's loader
  };
  const image::Entry* data_entry(std::string_view resolved) const;
  std::optional<ElfInfo> load(const std::string& resolved);
  std::vector<std::string> expand(const std::string& list, const std::string& origin,
                                  const ElfInfo& info) const;
  std::vector<std::string> default_dirs(const ElfInfo& info, bool musl);
  void read_ld_so_conf();
  void read_conf_file(const std::string& path, int depth, std::set<std::string>& seen);
  std::optional<std::string> read_text(const std::string& path, std::size_t max);
  void keep_walk(const std::string& path, const std::string& needed_by, const std::string& name,
                 std::vector<ElfDependency>& out, std::string* resolved_out);
  std::optional<std::string> search(const std::string& name, const ElfInfo& wanted,
                                    const std::vector<std::string>& dirs, std::string* loaded_as);

  const image::FileIndex& m_index;
  ReadFile m_read;
  ElfClosureOptions m_options;
  std::vector<std::string> m_conf_dirs;
  std::vector<std::string> m_warnings;
  std::map<std::string, Loaded, std::less<>> m_parsed; ///< resolved path -> parse result
  std::set<std::string, std::less<>> m_done;           ///< objects whose deps were walked
  std::set<std::string, std::less<>> m_reported;       ///< paths already returned
  bool m_cache_reported = false;
  bool m_image_is_musl = false; ///< /lib holds ld-musl-*: objects without PT_INTERP use musl
};

/// The Debian multiarch triplet for an ELF machine/class ("x86_64-linux-gnu"), or "" unknown.
std::string multiarch_triplet(std::uint16_t machine, bool is_64);

} // namespace slim::keep
