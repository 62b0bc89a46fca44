#pragma once
// Logging through one small header over spdlog. Messages go to stderr; the level comes from
// --log-level (or SLIM_LOG_LEVEL). Use SLIM_DEBUG/INFO/WARN/ERROR with fmt-style arguments.

#include <spdlog/spdlog.h>
#include <string_view>

namespace slim::log {

/// Sets up the stderr logger; level is one of trace, debug, info, warn, error, off.
void init(std::string_view level);

} // namespace slim::log

#define SLIM_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define SLIM_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define SLIM_INFO(...) ::spdlog::info(__VA_ARGS__)
#define SLIM_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define SLIM_ERROR(...) ::spdlog::error(__VA_ARGS__)
