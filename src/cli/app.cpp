#include "slim/cli/app.hpp"

#include "common.hpp"
#include "slim/cli/plugin.hpp"
#include "slim/util/cancel.hpp"
#include "slim/util/error.hpp"
#include "slim/util/log.hpp"
#include "slim/util/temp_dir.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace slim::cli {

namespace {

// `docker slim ...`: answers the docker CLI's metadata question, or turns the plugin's argv
// into slim's and runs that. Returns nullopt when slim was not run as the plugin.
std::optional<int> run_as_plugin(int argc, char** argv) {
  if (argc < 1 || !invoked_as_plugin(argv[0])) {
    return std::nullopt;
  }
  auto call = plugin_call(std::vector<std::string>(argv + 1, argv + argc));
  if (!call) {
    std::fprintf(stderr, "slim: error: %s\n", call.error().c_str());
    return 1;
  }
  if (call.value().metadata) {
    std::printf("%s\n", plugin_metadata().c_str());
    return 0;
  }
  for (const auto& [name, value] : call.value().env) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<std::string> args = call.value().args;
  args.insert(args.begin(), "slim");
  std::vector<char*> cargv;
  for (auto& a : args) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  return run(static_cast<int>(args.size()), cargv.data());
}

} // namespace

int run(int argc, char** argv) {
  if (auto code = run_as_plugin(argc, argv)) {
    return *code;
  }
  CLI::App app{"slim: makes container images small and safe.\n"
               "Runs an image once with a sensor inside, keeps only the files it uses, and "
               "writes a seccomp profile of the system calls it makes.",
               "slim"};
  app.require_subcommand(1);
  app.fallthrough(); // global options may also follow the subcommand
  app.set_version_flag("--version", std::string("slim ") + SLIM_VERSION);
  GlobalOptions global;
  if (const char* lvl = std::getenv("SLIM_LOG_LEVEL"); lvl != nullptr && *lvl != '\0') {
    global.log_level = lvl;
  }
  app.add_option("-H,--host", global.host,
                 "Docker engine address (unix:///path, tcp://host:port); default: DOCKER_HOST, "
                 "else unix:///var/run/docker.sock")
      ->configurable(false);
  app.add_option("-c,--context", global.context,
                 "docker context to use (after --host and DOCKER_HOST; default: DOCKER_CONTEXT, "
                 "else the docker CLI's current context in $DOCKER_CONFIG/config.json)")
      ->configurable(false);
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--tmp-dir", global.tmp_dir,
                 "directory for temporary files (default: SLIM_TMPDIR, TMPDIR or /tmp)");

  int exit_code = 0;
  register_version(app, global, exit_code);
  register_squash(app, global, exit_code);
  register_xray(app, global, exit_code);
  register_build(app, global, exit_code);
  register_profile(app, global, exit_code);
  register_seccomp(app, global, exit_code);

  app.parse_complete_callback([&] {
    log::init(global.log_level);
    if (!global.tmp_dir.empty()) {
      TempDir::set_base(global.tmp_dir);
    }
    cancel::install_signal_handlers();
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      return app.exit(e); // --help, --version
    }
    // One line and exit 1, like every other error (CLI11's own codes are not documented ones).
    std::fprintf(stderr, "slim: error: %s (slim --help lists the options)\n", e.what());
    return 1;
  } catch (const Cancelled& e) {
    std::fprintf(stderr, "slim: error: %s\n", e.what());
    return cancel::signal_number() > 0 ? 128 + cancel::signal_number() : 130; // 130, 143, 129
  } catch (const Error& e) {
    std::fprintf(stderr, "slim: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "slim: error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}

} // namespace slim::cli
