// Engine API version negotiation (pure).
#include "slim/engine/api_version.hpp"

#include <algorithm>
#include <charconv>

namespace slim::engine {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

long part(std::string_view v, int index) {
  auto dot = v.find('.');
  std::string_view s =
      index == 0 ? v.substr(0, dot)
                 : (dot == std::string_view::npos ? std::string_view{} : v.substr(dot + 1));
  long n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

} // namespace

bool is_api_version(std::string_view v) {
  auto dot = v.find('.');
  return dot != std::string_view::npos && all_digits(v.substr(0, dot)) &&
         all_digits(v.substr(dot + 1));
}

int compare_api_versions(std::string_view a, std::string_view b) {
  for (int i = 0; i < 2; ++i) {
    long x = part(a, i);
    long y = part(b, i);
    if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

Result<std::string> negotiate_api_version(std::string_view engine_version,
                                          const std::optional<std::string>& override) {
  if (override) {
    std::string_view v = *override;
    if (!v.empty() && v.front() == 'v') {
      v.remove_prefix(1);
    }
    if (!is_api_version(v)) {
      return Result<std::string>::fail("invalid API version `" + *override +
                                       "` in DOCKER_API_VERSION (expected e.g. 1.41)");
    }
    return std::string(v);
  }
  if (!is_api_version(engine_version)) {
    return std::string(k_fallback_api_version);
  }
  if (compare_api_versions(engine_version, k_client_api_version) < 0) {
    return std::string(engine_version);
  }
  return std::string(k_client_api_version);
}

} // namespace slim::engine
