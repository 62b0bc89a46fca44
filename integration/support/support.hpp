#pragma once
// Shared helpers for integration tests against the real dockerd: a connected client, RAII
// guards that remove what a test made (also when it fails), a shell runner, in-memory tars
// for the archive API, and the names of the fixture images.

#include "slim/engine/client.hpp"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace slim::it {

/// The fixture base image (debootstrap minbase bookworm) that scripts/setup.sh imports.
inline constexpr const char* k_base_image = "slim-fixture/base:bookworm";
/// Value of the io.slim.owner label on every container a test creates.
inline constexpr const char* k_test_owner = "test";

/// Path of the `slim` binary under test (SLIM_BINARY compile definition).
std::string slim_binary();
/// Path of the static `sensor` binary (SLIM_SENSOR_BINARY compile definition).
std::string sensor_binary();
/// The source tree's root (SLIM_SOURCE_DIR compile definition).
std::string source_dir();

/// A client connected to DOCKER_HOST (default unix:///var/run/docker.sock); throws slim::Error
/// saying how to start that engine when none answers, so a test fails with a clear message.
engine::Client connect_client();

/// The engine under test as the matrix names it: SLIM_TEST_ENGINE (docker, podman or trixie,
/// set by CTest for each engine's tests), default docker (DOCKER_HOST, else the default
/// socket). For the others the kit sets DOCKER_HOST to their socket before the first test.
/// Tests of an engine that SLIM_TEST_ENGINES (comma-separated, default all) does not list are
/// skipped.
std::string test_engine();
/// True when the engine at DOCKER_HOST is Podman (from its `_ping` headers, asked once).
bool engine_is_podman();
/// The command-line client for the engine under test, as a shell prefix: `docker` (which reads
/// DOCKER_HOST), or `podman --remote --url DOCKER_HOST` for Podman, because the docker CLI sends
/// a `--security-opt seccomp=FILE` profile inline and Podman reads that as a path.
std::string engine_cli();
/// The HostConfig.SecurityOpt entry that confines a container by the seccomp profile
/// `profile_json`, delivered as slim delivers it (engine::seccomp_delivery): inline for dockerd,
/// as a file on the engine's host (kept until the tests end) for Podman. "unconfined" stays.
std::string seccomp_option(const std::string& profile_json);

/// Makes sure fixture image slim-fixture/NAME:latest is on the engine under test: built on the
/// default dockerd by scripts/fixtures.sh, copied to another engine by scripts/engines.sh.
/// Fails the test (with the scripts' output) when that does not work.
void ensure_fixture(const std::string& name);

/// A container create body: `image`, `cmd`, network `none`, label io.slim.owner=test.
/// Add to it (HostConfig, Env, ...) before passing it to Client::create_container.
nlohmann::json container_config(const std::string& image, const std::vector<std::string>& cmd);

/// Creates a test container from container_config(); returns its ID.
std::string create_test_container(engine::Client& client, const std::string& image,
                                  const std::vector<std::string>& cmd);

/// Removes the container (force, with volumes) when it goes out of scope; errors are ignored.
class ContainerGuard {
public:
  ContainerGuard(engine::Client& client, std::string id) : m_client(&client), m_id(std::move(id)) {}
  ~ContainerGuard();
  ContainerGuard(const ContainerGuard&) = delete;
  ContainerGuard& operator=(const ContainerGuard&) = delete;
  /// The guarded container's ID.
  const std::string& id() const noexcept { return m_id; }
  /// Stops guarding (the container is kept).
  void release() noexcept { m_id.clear(); }

private:
  engine::Client* m_client;
  std::string m_id;
};

/// Removes the image (by name or ID, forced) when it goes out of scope; errors are ignored.
class ImageGuard {
public:
  ImageGuard(engine::Client& client, std::string name)
      : m_client(&client), m_name(std::move(name)) {}
  ~ImageGuard();
  ImageGuard(const ImageGuard&) = delete;
  ImageGuard& operator=(const ImageGuard&) = delete;
  /// The guarded image's name or ID.
  const std::string& name() const noexcept { return m_name; }
  /// Stops guarding (the image is kept).
  void release() noexcept { m_name.clear(); }

private:
  engine::Client* m_client;
  std::string m_name;
};

/// What a finished shell command produced.
struct CommandResult {
  int exit_code = -1; ///< exit status, or 128+signal when killed
  std::string out;    ///< everything written to stdout
  std::string err;    ///< everything written to stderr
};

/// Runs `sh -c command`, capturing stdout and stderr separately; killed after `timeout`
/// (exit_code 128+9 then).
CommandResult run_command(const std::string& command,
                          std::chrono::seconds timeout = std::chrono::seconds(120));

/// One entry of an in-memory tar.
struct TarEntry {
  enum class Type { file, directory, symlink };
  std::string path;     ///< relative path inside the archive, e.g. "etc/hello.txt"
  std::string content;  ///< file bytes (files only)
  unsigned mode = 0644; ///< permission bits
  Type type = Type::file;
  std::string link_target; ///< symlinks only
};

/// A ustar/pax archive holding `entries`, in order (libarchive).
std::string make_tar(const std::vector<TarEntry>& entries);
/// The regular files of a tar archive: path -> content (directories and links are skipped).
std::map<std::string, std::string> read_tar_files(const std::string& tar);

/// A docker-archive of a one-layer image holding /hello.txt, made in memory.
struct TinyImage {
  std::string archive; ///< the tar to pass to Client::load_images
  std::string id;      ///< "sha256:" + sha256 of its config: the ID the engine will report
};
/// A TinyImage tagged `tag` (labelled io.slim.owner=test); remove it with an ImageGuard on `id`.
TinyImage tiny_image(const std::string& tag);

/// A ByteSource that serves `data` (copied) in pieces, for uploads.
engine::ByteSource string_source(std::string data);
/// A ByteSink that appends to `out` (which must outlive the sink).
engine::ByteSink string_sink(std::string& out);

} // namespace slim::it
