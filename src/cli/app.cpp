#include "slim/cli/app.hpp"

#include "common.hpp"
#include "slim/util/cancel.hpp"
#include "slim/util/error.hpp"
#include "slim/util/log.hpp"
#include "slim/util/temp_dir.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>

namespace slim::cli {

int run(int argc, char** argv) {
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
    return app.exit(e);
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
