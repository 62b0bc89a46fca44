#include "common.hpp"

#include "slim/engine/context.hpp"

namespace slim::cli {

engine::Client connect_engine(const GlobalOptions& global) {
  engine::ClientOptions options;
  options.endpoint = engine::select_endpoint(global.host, global.context);
  if (const char* v = std::getenv("DOCKER_API_VERSION"); v != nullptr && *v != '\0') {
    options.api_version = v;
  }
  engine::Client client(std::move(options));
  client.connect();
  return client;
}

} // namespace slim::cli
