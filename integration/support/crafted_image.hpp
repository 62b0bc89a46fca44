#pragma once
// Crafting hostile images for integration tests: layer tars with any names, types, modes and
// xattrs (written by libarchive to files, so 100,000 entries never sit in memory), a
// docker-archive around them, `docker load` through the engine client, and a reader for the
// tars slim or the engine hand back.

#include "slim/engine/client.hpp"
#include "support/support.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace slim::it {

/// One member of a crafted layer tar. `path` is written exactly as given (`../x`, `/abs`, bytes
/// that are not UTF-8, newlines).
struct CraftedEntry {
  enum class Type { file, directory, symlink, hardlink, char_device, block_device, fifo };
  std::string path;
  Type type = Type::file;
  std::string content;     ///< files only
  unsigned mode = 0644;    ///< permission bits incl. setuid/setgid/sticky
  std::string link_target; ///< symlink target, or the hard link's target member name
  std::map<std::string, std::string> xattrs; ///< e.g. security.capability (raw bytes)
  unsigned dev_major = 0, dev_minor = 0;
  unsigned uid = 0, gid = 0;
  std::int64_t mtime = 1'700'000'000;
  unsigned mtime_nsec = 0;
};

/// Produces entries one by one into its argument; returns false when there are no more.
using EntryGenerator = std::function<bool(CraftedEntry&)>;

/// Writes a pax layer tar of the generated entries to `out`; returns its sha256 hex.
std::string write_layer_tar(const std::filesystem::path& out, const EntryGenerator& next);
/// write_layer_tar over a list.
std::string write_layer_tar(const std::filesystem::path& out,
                            const std::vector<CraftedEntry>& entries);

/// A docker-archive written to disk, and the image ID the engine will give it.
struct CraftedImage {
  std::filesystem::path archive;
  std::string id; ///< "sha256:" + sha256 of the config
  std::string tag;
};

/// Writes `dir/image.tar`: manifest.json tagged `tag`, a config with `container_config` (Cmd,
/// Entrypoint, Env...; the label io.slim.owner=test is added) and the layer tars in order.
CraftedImage write_docker_archive(const std::filesystem::path& dir, const std::string& tag,
                                  const std::vector<std::filesystem::path>& layers,
                                  nlohmann::json container_config = nlohmann::json::object());

/// `docker load`s the archive through the engine client; returns the ID the engine reported.
std::string load_archive(engine::Client& client, const std::filesystem::path& archive);

/// The static busybox binary of slim-fixture/busybox (read with the archive API).
std::string busybox_binary(engine::Client& client);
/// Entries for /bin/busybox plus /bin/sh, /bin/cat, ... symlinks and /etc/passwd, /etc/group.
std::vector<CraftedEntry> busybox_entries(const std::string& busybox);

/// One member of a tar as libarchive reads it (the independent view of a result).
struct TarMember {
  std::string path; ///< as stored
  char type = '-';  ///< '-' file, 'd', 'l' symlink, 'h' hard link, 'c', 'b', 'p'
  unsigned mode = 0;
  std::string link_target;
  std::map<std::string, std::string> xattrs;
  std::string content; ///< files only, up to 1 MiB
  unsigned dev_major = 0, dev_minor = 0;
  unsigned uid = 0, gid = 0;
  std::int64_t mtime = 0;
  long mtime_nsec = 0;
  bool operator==(const TarMember&) const = default;
};
/// Every member of the tar `tar` (bytes), in order, names without a trailing slash; throws
/// slim::Error when malformed.
std::vector<TarMember> read_tar_members(const std::string& tar);
/// Every member of the tar file `path`; throws slim::Error when malformed.
std::vector<TarMember> read_tar_file_members(const std::filesystem::path& path);

/// The layers of a docker-archive or OCI tar file `archive` (as slim --output-tar writes it),
/// merged by path in order (one-layer results: exactly that layer's members).
std::map<std::string, TarMember> archive_layer_members(const std::filesystem::path& archive);

/// A test's workspace for crafted images: a temp dir, a connected client, and guards that
/// remove every image it loaded or was told about (in reverse order), then the dir.
class CraftKit {
public:
  /// Makes /tmp/slim-it-hostile-<pid>-<name> and connects to the engine.
  explicit CraftKit(const std::string& name);
  ~CraftKit();
  CraftKit(const CraftKit&) = delete;
  CraftKit& operator=(const CraftKit&) = delete;

  engine::Client& client() { return m_client; }
  const std::filesystem::path& dir() const { return m_dir; }
  /// Writes the layers (layer0.tar, ...) and the docker-archive, without loading it.
  CraftedImage write(const std::string& tag, const std::vector<std::vector<CraftedEntry>>& layers,
                     nlohmann::json container_config = nlohmann::json::object());
  /// write() + load_archive(); throws slim::Error unless the engine reports the crafted ID.
  CraftedImage load(const std::string& tag, const std::vector<std::vector<CraftedEntry>>& layers,
                    nlohmann::json container_config = nlohmann::json::object());
  /// Removes `image` (name or ID) when the kit goes away.
  void guard(const std::string& image);
  /// The member at `path` of `image` as the engine hands it out from a created (never started)
  /// container through the archive API; throws slim::Error when absent.
  TarMember member_in_image(const std::string& image, const std::string& path);

private:
  std::filesystem::path m_dir;
  engine::Client m_client;
  std::vector<std::unique_ptr<ImageGuard>> m_guards;
};

} // namespace slim::it
