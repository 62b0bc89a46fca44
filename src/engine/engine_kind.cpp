// Engine identification and what differs per engine (pure).
#include "slim/engine/engine_kind.hpp"

#include <algorithm>
#include <cctype>

namespace slim::engine {

namespace {

bool contains_nocase(std::string_view text, std::string_view word) {
  auto it = std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

} // namespace

EngineIdentity identify_engine(std::string_view server, std::string_view libpod_api_version) {
  EngineIdentity id;
  id.server = std::string(server);
  id.libpod_version = std::string(libpod_api_version);
  if (!libpod_api_version.empty() || contains_nocase(server, "libpod")) {
    id.kind = EngineKind::podman;
  }
  return id;
}

std::string engine_name(const EngineIdentity& engine) {
  if (engine.kind == EngineKind::docker) {
    return "dockerd";
  }
  if (!engine.libpod_version.empty()) {
    return "Podman " + engine.libpod_version;
  }
  return "Podman";
}

std::string local_image_name(const EngineIdentity& engine, std::string_view name) {
  if (engine.kind != EngineKind::podman || name.empty() || name.rfind("sha256:", 0) == 0) {
    return std::string(name);
  }
  // Docker's reference rule: the first component is a registry when it has a '.' or a ':' or
  // is `localhost`.
  auto slash = name.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = name.substr(0, slash);
    if (first == "localhost" || first.find_first_of(".:") != std::string_view::npos) {
      return std::string(name);
    }
  }
  return "localhost/" + std::string(name);
}

Result<SeccompDelivery> seccomp_delivery(const EngineIdentity& engine, bool local_socket,
                                         std::string_view address) {
  if (engine.kind == EngineKind::docker) {
    return SeccompDelivery::inline_json;
  }
  if (local_socket) {
    return SeccompDelivery::host_file;
  }
  return Result<SeccompDelivery>::fail(
      engine_name(engine) + " at `" + std::string(address) +
      "` reads a seccomp profile only from a file on its own host, which slim cannot write "
      "there: run slim on that host (DOCKER_HOST=unix:///run/podman/podman.sock), or skip the "
      "verification with --no-verify (the profile is still written) or --no-seccomp");
}

bool is_seccomp_file_error(std::string_view engine_message) {
  return contains_nocase(engine_message, "seccomp profile") &&
         (contains_nocase(engine_message, "no such file") ||
          contains_nocase(engine_message, "permission denied"));
}

} // namespace slim::engine
