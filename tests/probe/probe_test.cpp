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

namespace slim::probe {
namespace {

TEST(ProbeBatch, RequestTextEscapesAndWaitsOnlyOnEachPortsFirstRequest) {
  std::vector<ProbeRequest> reqs = {
      {.method = "GET", .path = "/", .port = 80},
      {.method = "POST", .path = "/a%b", .port = 80, .headers = {"X: a\nb"}, .body = "1\r\n2"},
      {.port = 6379, .protocol = "tcp"}};
  BatchSettings s;
  s.first_retries = 60;
  s.retries = 2;
  auto text = batch_request_text(reqs, s);
  EXPECT_EQ(text.rfind("slim-probe-batch 1\n", 0), 0u);
  EXPECT_NE(text.find("request 60 http GET http://127.0.0.1:80/\n"), std::string::npos);
  EXPECT_NE(text.find("request 2 http POST http://127.0.0.1:80/a%25b\n"), std::string::npos);
  EXPECT_NE(text.find("header X: a%0Ab\n"), std::string::npos);
  EXPECT_NE(text.find("data 1%0D%0A2\n"), std::string::npos);
  EXPECT_NE(text.find("request 60 tcp GET tcp://127.0.0.1:6379\n"), std::string::npos);
}

TEST(ProbeBatch, ResultsAreMatchedByIndexAndMalformedOnesBecomeErrors) {
  std::vector<ProbeRequest> reqs = {
      {.port = 80}, {.port = 81}, {.port = 82, .protocol = "tcp"}, {.port = 83}};
  std::string text =
      "{\"i\":1,\"connected\":true,\"error\":\"not an HTTP response\"}\n"
      "garbage\n"
      "{\"i\":0,\"connected\":true,\"status\":200,\"size\":5,\"sha256\":\"ab\",\"content_type\":"
      "\"text/html\",\"location\":\"/x\",\"body_b64\":\"aGVsbG8=\",\"body_truncated\":false}\n"
      "{\"i\":0,\"status\":500}\n" // a second result for 0 is ignored
      "{\"i\":2,\"connected\":true}\n"
      "{\"i\":99,\"status\":200}\n";
  auto out = parse_batch_results(reqs, text);
  ASSERT_EQ(out.size(), 4u);
  ASSERT_TRUE(out[0].ok());
  EXPECT_EQ(*out[0].status, 200);
  EXPECT_EQ(out[0].body, "hello");
  EXPECT_EQ(out[0].content_type, "text/html");
  EXPECT_EQ(out[0].location, "/x");
  EXPECT_FALSE(out[1].ok());
  EXPECT_TRUE(out[1].connected);
  EXPECT_EQ(out[1].error, "not an HTTP response");
  EXPECT_TRUE(out[2].ok()); // a TCP probe answers by connecting
  EXPECT_FALSE(out[3].ok());
  EXPECT_NE(out[3].error.find("no result"), std::string::npos);
  EXPECT_EQ(reqs[2].describe(), "connect tcp://127.0.0.1:82");
}

} // namespace
} // namespace slim::probe
