#include "slim/engine/api_version.hpp"

#include <gtest/gtest.h>

namespace slim::engine {
namespace {

TEST(ApiVersion, ComparesNumerically) {
  EXPECT_LT(compare_api_versions("1.9", "1.41"), 0);
  EXPECT_GT(compare_api_versions("1.100", "1.47"), 0);
  EXPECT_EQ(compare_api_versions("1.41", "1.41"), 0);
  EXPECT_GT(compare_api_versions("2.0", "1.99"), 0);
}

TEST(ApiVersion, RecognisesWellFormedVersions) {
  EXPECT_TRUE(is_api_version("1.41"));
  EXPECT_FALSE(is_api_version("1"));
  EXPECT_FALSE(is_api_version("1.x"));
  EXPECT_FALSE(is_api_version(""));
  EXPECT_FALSE(is_api_version("1.41.2"));
}

TEST(ApiVersion, OlderEngineWins) {
  EXPECT_EQ(negotiate_api_version("1.41", std::nullopt).value(), "1.41");
  EXPECT_EQ(negotiate_api_version("1.24", std::nullopt).value(), "1.24");
}

TEST(ApiVersion, NewerEngineGetsOurHighest) {
  // Docker 25+ dropped old versions; a newer engine must still get a version it accepts.
  EXPECT_EQ(negotiate_api_version("1.45", std::nullopt).value(), "1.45");
  EXPECT_EQ(negotiate_api_version("1.52", std::nullopt).value(), std::string(k_client_api_version));
  EXPECT_EQ(negotiate_api_version("2.3", std::nullopt).value(), std::string(k_client_api_version));
}

TEST(ApiVersion, MissingHeaderFallsBack) {
  EXPECT_EQ(negotiate_api_version("", std::nullopt).value(), "1.24");
  EXPECT_EQ(negotiate_api_version("garbage", std::nullopt).value(), "1.24");
}

TEST(ApiVersion, OverrideWinsAndIsChecked) {
  EXPECT_EQ(negotiate_api_version("1.41", std::string("1.30")).value(), "1.30");
  EXPECT_EQ(negotiate_api_version("1.41", std::string("v1.40")).value(), "1.40");
  auto bad = negotiate_api_version("1.41", std::string("latest"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "invalid API version `latest` in DOCKER_API_VERSION (expected e.g. 1.41)");
}

} // namespace
} // namespace slim::engine
