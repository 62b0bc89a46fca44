#pragma once
// Engine API version negotiation (pure): the client speaks every version up to
// k_client_api_version and uses min(engine's, ours) unless DOCKER_API_VERSION overrides.

#include "slim/util/error.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace slim::engine {

/// The highest Engine API version this client knows.
inline constexpr std::string_view k_client_api_version = "1.47";
/// What to assume when the engine's /_ping sends no API-Version header (as the docker CLI does).
inline constexpr std::string_view k_fallback_api_version = "1.24";

/// Compares two "MAJOR.MINOR" versions numerically: <0, 0 or >0 (malformed parts count as 0).
int compare_api_versions(std::string_view a, std::string_view b);
/// True for "MAJOR.MINOR" with both parts decimal digits.
bool is_api_version(std::string_view v);
/// The version to use: `override` when given (error text if malformed), else
/// min(`engine_version`, k_client_api_version), else the fallback when the engine sent none.
Result<std::string> negotiate_api_version(std::string_view engine_version,
                                          const std::optional<std::string>& override);

} // namespace slim::engine
