#include "slim/probe/probe.hpp"

#include <gtest/gtest.h>

namespace slim::probe {
namespace {

TEST(Probe, UrlAndParse) {
  ProbeRequest r{.method = "POST", .path = "api", .port = 8080, .protocol = "https"};
  EXPECT_EQ(r.url(), "https://127.0.0.1:8080/api");
  auto ok = parse_probe_line(
      r, "noise\n{\"url\":\"x\",\"status\":201,\"size\":5,\"sha256\":\"ab\",\"time_ms\":1.5}\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok.status, 201);
  EXPECT_EQ(ok.size, 5);
  EXPECT_EQ(ok.sha256, "ab");
  auto err =
      parse_probe_line(r, "{\"url\":\"x\",\"error\":\"connection refused after 3 retries\"}");
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.error, "connection refused after 3 retries");
  auto junk = parse_probe_line(r, "Segmentation fault");
  EXPECT_FALSE(junk.ok());
  EXPECT_NE(junk.error.find("Segmentation fault"), std::string::npos);
  EXPECT_FALSE(parse_probe_line(r, "").ok());
}

} // namespace
} // namespace slim::probe
