#include "sensor/commands.hpp"

#include <cstdio>
#include <exception>

#ifndef SLIM_VERSION
#define SLIM_VERSION "0.1.0"
#endif

namespace slim::sensor {

int sensor_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_command_line(args);
  if (!parsed) {
    std::fprintf(stderr, "sensor: error: %s\n%s", parsed.error().c_str(), usage_text().c_str());
    return 2;
  }
  const Command& cmd = parsed.value();
  try {
    switch (cmd.kind) {
    case Command::Kind::version:
      std::printf("slim-sensor %s\n", SLIM_VERSION);
      return 0;
    case Command::Kind::help:
      std::fputs(usage_text().c_str(), stdout);
      return 0;
    case Command::Kind::run:
      return run_command(cmd.run);
    case Command::Kind::ctl:
      return ctl_command(cmd.ctl);
    case Command::Kind::exec:
      return exec_command(cmd.exec);
    case Command::Kind::probe:
      return probe_command(cmd.probe);
    case Command::Kind::source:
      return source_command(cmd.source);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sensor: error: %s\n", e.what());
    return 125;
  }
  return 2;
}

} // namespace slim::sensor
