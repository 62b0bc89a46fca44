#pragma once
// Which engine to talk to, chosen the way the docker CLI chooses: --host, then DOCKER_HOST,
// then --context / DOCKER_CONTEXT, then the current context of the docker CLI's config
// (`currentContext` in $DOCKER_CONFIG/config.json, DOCKER_CONFIG defaulting to ~/.docker), then
// the default socket. A context's endpoint is in
// $DOCKER_CONFIG/contexts/meta/<sha256 of its name>/meta.json
// (`Endpoints.docker.Host`, `SkipTLSVerify`), its TLS files in
// $DOCKER_CONFIG/contexts/tls/<sha256 of its name>/docker/ (ca.pem, cert.pem, key.pem).
// Pure but for the file reads, which go through ReadText.

#include "slim/engine/client.hpp"

#include <functional>
#include <optional>
#include <string>

namespace slim::engine {

/// A file's whole text, or nullopt when it cannot be read (no such file).
using ReadText = std::function<std::optional<std::string>(const std::string& path)>;

/// $DOCKER_CONFIG, else $HOME/.docker.
std::string docker_config_dir(const EnvLookup& env);

/// The context in use: `flag`, else DOCKER_CONTEXT, else config.json's `currentContext`, else
/// "default". Throws slim::Error when config.json is not JSON.
std::string current_context(const std::optional<std::string>& flag, const EnvLookup& env,
                            const ReadText& read);

/// The endpoint of context `name` ("default": the default socket); throws slim::Error naming the
/// context when it does not exist or its meta.json is malformed.
Endpoint context_endpoint(const std::string& name, const std::string& config_dir,
                          const EnvLookup& env, const ReadText& read);

/// The whole rule (see the file comment). Giving both --host and --context is an error, as in
/// the docker CLI.
Endpoint select_endpoint(const std::optional<std::string>& host_flag,
                         const std::optional<std::string>& context_flag, const EnvLookup& env,
                         const ReadText& read);

/// select_endpoint with the process environment and the real file system.
Endpoint select_endpoint(const std::optional<std::string>& host_flag,
                         const std::optional<std::string>& context_flag);

} // namespace slim::engine
