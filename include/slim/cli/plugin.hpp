#pragma once
// slim as a docker CLI plugin (`docker slim build IMAGE`): the docker CLI runs
// `docker-slim docker-cli-plugin-metadata` to learn about it, then
// `docker-slim [DOCKER GLOBAL OPTIONS] slim ARGS...`. This maps that onto slim's own command
// line. Pure, unit tested.

#include "slim/util/error.hpp"

#include <string>
#include <utility>
#include <vector>

namespace slim::cli {

/// The name the docker CLI knows the plugin by (`docker-slim` on disk).
inline constexpr const char* k_plugin_name = "slim";

/// The metadata JSON the docker CLI asks for (SchemaVersion, Vendor, Version,
/// ShortDescription, URL).
std::string plugin_metadata();

/// What to run for a plugin invocation.
struct PluginCall {
  bool metadata = false;                                ///< print plugin_metadata() and exit 0
  std::vector<std::string> args;                        ///< slim's argv without argv[0]
  std::vector<std::pair<std::string, std::string>> env; ///< to set first (DOCKER_CONFIG, ...)
};

/// True when argv[0] names the plugin binary (`docker-slim`, any directory).
bool invoked_as_plugin(const std::string& argv0);

/// Maps `args` (argv without argv[0]) of a plugin invocation. The docker CLI's global options
/// before `slim` become slim's: -H/--host, -c/--context, -l/--log-level (fatal -> error),
/// -D/--debug (log level debug), --config DIR (DOCKER_CONFIG), --tlsverify and --tls
/// (DOCKER_TLS_VERIFY), --tlscacert/--tlscert/--tlskey when they are ca.pem, cert.pem and
/// key.pem of one directory (DOCKER_CERT_PATH). Fails on an unknown global option or TLS files
/// slim cannot take.
Result<PluginCall> plugin_call(const std::vector<std::string>& args);

} // namespace slim::cli
