#include "slim/util/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <string>

namespace slim::log {

void init(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("slim") /* the export runs on its own thread */;
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  auto lvl = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; keep info in that case so errors are not hidden.
  if (lvl == spdlog::level::off && level != "off") {
    lvl = spdlog::level::info;
  }
  spdlog::set_level(lvl);
}

} // namespace slim::log
