#pragma once
// Typed client for the Docker Engine API. The transport (Boost.Asio/Beast over a Unix socket,
// TCP or TLS) lives behind a pimpl in src/engine, so including this header pulls in no Boost.
// Every call has a timeout and honours slim::cancel; engine errors become EngineError.

#include "slim/engine/engine_kind.hpp"
#include "slim/util/error.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::engine {

/// Label put on every container and image slim creates, so leftovers can be found.
inline constexpr std::string_view k_owner_label = "io.slim.owner";

/// Where the engine listens, from DOCKER_HOST / --host plus the TLS variables.
struct Endpoint {
  enum class Kind { unix_socket, tcp };
  Kind kind = Kind::unix_socket;
  std::string path = "/var/run/docker.sock"; ///< unix socket path
  std::string host;                          ///< tcp host name or address
  std::string port;                          ///< tcp port
  bool tls = false;                          ///< DOCKER_TLS_VERIFY set (or DOCKER_CERT_PATH given)
  bool tls_verify = true;                    ///< verify the server certificate against ca.pem
  std::string cert_path;                     ///< directory with ca.pem, cert.pem, key.pem
  std::string display;                       ///< the address as the user wrote it, for messages
};

/// Parses a DOCKER_HOST value (`unix:///path`, `tcp://host:port`, `host:port`); error text on
/// failure.
Result<Endpoint> parse_docker_host(std::string_view value);

/// The endpoint chosen by --host (if given) or DOCKER_HOST, with DOCKER_TLS_VERIFY and
/// DOCKER_CERT_PATH applied (default cert path ~/.docker); throws slim::Error when malformed.
Endpoint endpoint_from_environment(const std::optional<std::string>& host_flag);

/// Looks up an environment variable: its value, or nullptr when unset.
using EnvLookup = std::function<const char*(const char* name)>;
/// endpoint_from_environment with the environment given by `env` (for tests). A tcp endpoint
/// without a port gets 2376 with TLS, else 2375, as the docker CLI does.
Endpoint endpoint_from(const std::optional<std::string>& host_flag, const EnvLookup& env);

/// An error from the engine: `status` is the HTTP status (0 for transport failures) and the
/// message is the engine's own `message` field when it sent one.
class EngineError : public slim::Error {
public:
  EngineError(int status, std::string message)
      : slim::Error(std::move(message)), m_status(status) {}
  /// HTTP status, or 0 when the request never got an answer.
  int status() const noexcept { return m_status; }

private:
  int m_status;
};

/// Receives streamed bytes as they arrive.
using ByteSink = std::function<void(const char* data, std::size_t size)>;
/// Fills `buf` with up to `cap` bytes and returns how many; 0 means end of stream.
using ByteSource = std::function<std::size_t(char* buf, std::size_t cap)>;

struct ClientOptions {
  Endpoint endpoint;
  std::optional<std::string> api_version;            ///< DOCKER_API_VERSION-style override
  std::chrono::milliseconds connect_timeout{10'000}; ///< to open the connection
  std::chrono::milliseconds call_timeout{300'000};   ///< whole call, unless a call says otherwise
};

struct VersionInfo {
  std::string version;         ///< engine version, e.g. 20.10.24
  std::string api_version;     ///< highest API version the engine speaks
  std::string min_api_version; ///< lowest API version the engine accepts
  std::string os, arch, kernel_version;
};

struct LoadResult {
  std::string image_id;            ///< "sha256:..." when the engine reported an ID
  std::vector<std::string> loaded; ///< every "Loaded image..." line's subject (IDs or names)
};

struct ExecOptions {
  std::vector<std::string> env; ///< KEY=VALUE added to the container's environment
  std::string user;             ///< empty: the container's user
  std::string workdir;          ///< empty: the container's working directory
  bool attach_stdin = false;    ///< hijacked stdin (exec_start's `in` source is sent)
};

/// A path's stat as the engine's archive endpoint reports it.
struct PathStat {
  std::string name;
  std::int64_t size = 0;
  std::uint32_t mode = 0;  ///< Go's os.FileMode bits (type bits high, permissions low)
  std::string link_target; ///< for symlinks: where it leads, absolute, resolved by the engine
  bool is_dir() const noexcept { return (mode & (1u << 31)) != 0; }
  bool is_symlink() const noexcept { return (mode & (1u << 27)) != 0; }
  /// No type bit set (Go: dir, append, exclusive, temporary, symlink, device, pipe, socket,
  /// setuid..., char device, irregular share the high bits).
  bool is_regular() const noexcept { return (mode & 0x8F280000u) == 0 && !is_dir(); }
};

struct ExecResult {
  int exit_code = -1;
  std::string out; ///< everything the command wrote to stdout
  std::string err; ///< everything it wrote to stderr
};

/// One connection-per-call client. Construct, then connect() to negotiate the API version.
/// After connect(), calls may run from several threads at once (each has its own connection).
class Client {
public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  /// Pings the engine and picks the API version (override, else min(engine's, ours)); throws
  /// EngineError naming the address and the system's reason when the engine cannot be reached.
  void connect();
  /// The negotiated API version, e.g. "1.41" (empty before connect()).
  const std::string& api_version() const noexcept;
  const Endpoint& endpoint() const noexcept;
  /// Which engine answered (dockerd or Podman), from the `_ping` headers of connect().
  const EngineIdentity& engine() const noexcept;

  // -- system
  /// GET /_ping; returns the API-Version header and records the engine's identity.
  std::string ping();
  /// GET /version.
  VersionInfo version();

  // -- images
  /// GET /images/{name}/json (the whole inspect object).
  nlohmann::json inspect_image(const std::string& name);
  /// GET /images/get?names=...: streams the tar archive of the images into `sink`.
  void save_images(const std::vector<std::string>& names, const ByteSink& sink);
  /// POST /images/load with the archive read from `source` (never held in memory).
  LoadResult load_images(const ByteSource& source);
  /// POST /images/{image}/tag.
  void tag_image(const std::string& image, const std::string& repo, const std::string& tag);
  /// DELETE /images/{name}.
  void remove_image(const std::string& name, bool force = false);

  // -- containers
  /// POST /containers/create with `body` (the engine's create config); returns the ID.
  std::string create_container(const nlohmann::json& body, const std::string& name = {});
  void start_container(const std::string& id);
  /// POST /containers/{id}/wait; returns the exit status. Throws EngineError(0, ...) on timeout.
  int wait_container(const std::string& id, std::chrono::milliseconds timeout);
  void kill_container(const std::string& id, const std::string& signal = "SIGKILL");
  void stop_container(const std::string& id, int grace_seconds);
  nlohmann::json inspect_container(const std::string& id);
  /// GET /containers/{id}/logs, demultiplexed (or raw when the container has a TTY).
  void logs(const std::string& id, const ByteSink& out, const ByteSink& err, bool follow = false,
            std::optional<int> tail = std::nullopt);
  /// DELETE /containers/{id}?force=&v=true; a missing container is not an error.
  void remove_container(const std::string& id, bool force = true);
  /// GET /containers/json?all=true&filters={"label":[label]}: IDs of matching containers.
  std::vector<std::string> list_containers(const std::string& label_filter);
  /// PUT /containers/{id}/archive?path=dir: extracts the tar from `tar` into `dir`.
  void put_archive(const std::string& id, const std::string& dir, const ByteSource& tar);
  /// GET /containers/{id}/archive?path=path: streams a tar of `path` into `sink`.
  void get_archive(const std::string& id, const std::string& path, const ByteSink& sink);
  /// What the engine says about `path` in the container (its X-Docker-Container-Path-Stat: the
  /// path itself, not followed; `link_target` is the symlink's target resolved to an absolute
  /// path), or nullopt when there is no such path. Works on created, stopped and running
  /// containers.
  std::optional<PathStat> stat_path(const std::string& id, const std::string& path);

  // -- exec
  /// POST /containers/{id}/exec; returns the exec ID.
  std::string exec_create(const std::string& id, const std::vector<std::string>& cmd,
                          const ExecOptions& options = {});
  /// POST /exec/{id}/start: streams demultiplexed output until the command ends.
  void exec_start(const std::string& exec_id, const ByteSink& out, const ByteSink& err,
                  const ByteSource& in = {});
  /// GET /exec/{id}/json.
  nlohmann::json exec_inspect(const std::string& exec_id);
  /// create + start + inspect: runs `cmd` in the container and collects output and exit code.
  ExecResult exec(const std::string& id, const std::vector<std::string>& cmd,
                  const ExecOptions& options = {});

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace slim::engine
