#include "common.hpp"

namespace slim::cli {

engine::Client connect_engine(const GlobalOptions& global) {
  engine::ClientOptions options;
  options.endpoint = engine::endpoint_from_environment(global.host);
  if (const char* v = std::getenv("DOCKER_API_VERSION"); v != nullptr && *v != '\0') {
    options.api_version = v;
  }
  engine::Client client(std::move(options));
  client.connect();
  return client;
}

} // namespace slim::cli
