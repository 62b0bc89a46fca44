#pragma once
// Which engine answers (pure): dockerd or Podman's Docker-compatible service, told apart by
// the headers of its `_ping` answer, and what follows from it for slim's calls.

#include "slim/util/error.hpp"

#include <string>
#include <string_view>

namespace slim::engine {

enum class EngineKind { docker, podman };

/// What the engine said about itself in its `_ping` answer.
struct EngineIdentity {
  EngineKind kind = EngineKind::docker;
  std::string server; ///< the Server header, e.g. "Libpod/4.3.1 (linux)" or "Docker/26.1.5 (linux)"
  std::string libpod_version; ///< Podman's Libpod-Api-Version header (empty for dockerd)
};

/// The engine from `_ping`'s Server and Libpod-Api-Version headers: Podman when either names
/// libpod, else dockerd (which older versions do not name at all).
EngineIdentity identify_engine(std::string_view server, std::string_view libpod_api_version);

/// "Podman 4.3.1" or "dockerd", for messages.
std::string engine_name(const EngineIdentity& engine);

/// The name `engine` gives a local image called `name`: Podman files a name without a registry
/// (`app:1`, `team/app:1`) under `localhost/`, as `podman tag` and `podman load` do (its compat
/// API would file a tag slim makes under docker.io/ instead); dockerd keeps names as they are.
std::string local_image_name(const EngineIdentity& engine, std::string_view name);

/// How a seccomp profile reaches the engine's runtime in HostConfig.SecurityOpt.
enum class SeccompDelivery {
  inline_json, ///< `seccomp=<the JSON text>` (dockerd reads the profile itself)
  host_file,   ///< `seccomp=<path>` of a file on the engine's host (Podman reads a path)
};

/// The delivery for `engine` reached at `address`: dockerd takes the JSON inline anywhere;
/// Podman takes a path on its own host, which slim can write only when the engine is local (a
/// unix socket). For a remote Podman: the error line naming the limitation and the way out.
Result<SeccompDelivery> seccomp_delivery(const EngineIdentity& engine, bool local_socket,
                                         std::string_view address);

/// Whether an engine's error about a seccomp profile means it could not open the file slim
/// named (a unix socket that leads to another machine, e.g. a VM's forwarded socket).
bool is_seccomp_file_error(std::string_view engine_message);

} // namespace slim::engine
