#pragma once
// The file system a container of an image shows, minus what the engine adds to every
// container, as one canonical FileIndex (pure). `slim build` keeps files from this view, and both
// of its sources end in it: the export (layers flattened with FlattenOptions::engine_view) and
// the pristine container (its walk). So the same image and the same report give the same layer
// whichever source was read. The rules, each for something one source cannot know:
//  - the engine's paths are dropped with everything below them (Docker's init layer shadows
//    them and mounts over them in every container): k_engine_paths; /etc keeps its children
//    but not its own entry (the init layer's /etc is what every container shows);
//  - "/" is one fixed directory (its metadata is the container's, and it is never written);
//  - no user or group names (layer tars carry the names of the host that built them; only the
//    numbers reach a container); symlinks are mode 0777 (as lstat shows every symlink);
//    `trusted.*` xattrs are dropped (no unprivileged process sees them), so are `user.*` ones
//    on anything but files and directories (Linux refuses them there);
//  - directories: a mtime later than the image's creation is clamped to it (the engine gives
//    the directories it makes itself the moment of the load), and at or below a VOLUME
//    directory it is the creation time (the engine copies a volume's contents at every start:
//    no container shows the image's own); a VOLUME directory the image lacks is made (0755,
//    root), with its missing parents, as the engine makes them;
//  - hard links: entries with the same DataRef are one inode; its first name in path order is
//    the file, the others link to it; a group is split at a volume's boundary (the volume's
//    copy is another file).

#include "slim/image/file_index.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace slim::image {

/// Paths the engine puts into every container, never the image's; dropped with their subtrees.
inline const std::vector<std::string> k_engine_paths = {
    "/.dockerenv", "/.slim",           "/dev",  "/etc/hostname", "/etc/hosts",
    "/etc/mtab",   "/etc/resolv.conf", "/proc", "/sys"};
/// Directories the engine's init layer makes in every container: their entry is dropped, their
/// children are the image's.
inline const std::vector<std::string> k_engine_dirs = {"/etc"};

/// What the view needs from the image's config.
struct ContainerViewInputs {
  std::int64_t created = 0;         ///< creation time of the image (created_seconds())
  std::vector<std::string> volumes; ///< the image's VOLUME directories, as the config names them
};

/// True when `path` is one of k_engine_paths or below one.
bool is_engine_path(const std::string& path);

/// The VOLUME directories resolved inside `index` (symlinks followed, as the engine does when it
/// mounts them), sorted and unique; ones that loop or land on an engine path are left out.
std::vector<std::string> resolved_volumes(const FileIndex& index,
                                          const std::vector<std::string>& volumes);

/// Rewrites `index` into the container view (the rules above).
void to_container_view(FileIndex& index, const ContainerViewInputs& inputs);

} // namespace slim::image
