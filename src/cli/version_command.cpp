// `slim version`: the client's version and the engine's version and API version.
#include "common.hpp"

#include <cstdio>
#include <cstdlib>

namespace slim::cli {

void register_version(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto* cmd = app.add_subcommand("version", "show slim's version and the Docker engine's");
  cmd->callback([&global, &exit_code] {
    // Ask the engine first, so an unreachable engine gives exactly one line (the error).
    auto client = connect_engine(global);
    auto v = client.version();
    std::printf("slim:   %s\n", SLIM_VERSION);
    std::printf("engine: %s %s (API %s, minimum %s, %s/%s) at %s\n",
                engine::engine_name({.kind = client.engine().kind}).c_str(), v.version.c_str(),
                v.api_version.c_str(), v.min_api_version.c_str(), v.os.c_str(), v.arch.c_str(),
                client.endpoint().display.c_str());
    const char* forced = std::getenv("DOCKER_API_VERSION");
    bool overridden = forced != nullptr && *forced != '\0';
    std::printf("api:    %s (%s)\n", client.api_version().c_str(),
                overridden ? "from DOCKER_API_VERSION" : "negotiated");
    exit_code = 0;
  });
}

} // namespace slim::cli
