#include "sensor/http.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace slim::sensor;

TEST(SensorHttp, ParsesUrls) {
  auto u = parse_url("http://127.0.0.1:8080/api/items?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u.value().https);
  EXPECT_EQ(u.value().host, "127.0.0.1");
  EXPECT_EQ(u.value().port, "8080");
  EXPECT_EQ(u.value().target, "/api/items?x=1");
  auto s = parse_url("https://localhost");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s.value().https);
  EXPECT_EQ(s.value().port, "443");
  EXPECT_EQ(s.value().target, "/");
  auto v6 = parse_url("http://[::1]:81/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6.value().host, "::1");
  EXPECT_FALSE(parse_url("ftp://x").ok());
  EXPECT_FALSE(parse_url("http://host:99999/").ok());
  EXPECT_FALSE(parse_url("http:///path").ok());
}

TEST(SensorHttp, BuildsRequestWithHeadersAndBody) {
  auto url = parse_url("http://127.0.0.1:8000/items").value();
  auto req = build_request(url, "POST", {"Content-Type: application/json", "user-agent: probe"},
                           std::string("{\"a\":1}"));
  EXPECT_EQ(req.substr(0, req.find("\r\n")), "POST /items HTTP/1.1");
  EXPECT_NE(req.find("Host: 127.0.0.1:8000\r\n"), std::string::npos);
  EXPECT_NE(req.find("User-Agent: probe\r\n"), std::string::npos);
  EXPECT_EQ(req.find("slim-sensor"), std::string::npos);
  EXPECT_NE(req.find("Content-Length: 7\r\n"), std::string::npos);
  EXPECT_EQ(req.substr(req.size() - 9), "\r\n{\"a\":1}");
}

TEST(SensorHttp, ParsesContentLengthResponseInPieces) {
  ResponseParser p;
  std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  for (char c : resp) {
    ASSERT_TRUE(p.feed(std::string_view(&c, 1)));
  }
  EXPECT_TRUE(p.complete());
  EXPECT_EQ(p.status(), 200);
  EXPECT_EQ(p.body(), "hello");
  EXPECT_EQ(p.header("x-a"), "b");
}

TEST(SensorHttp, ParsesChunkedAndUntilClose) {
  ResponseParser chunked;
  ASSERT_TRUE(chunked.feed("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"));
  EXPECT_TRUE(chunked.complete());
  EXPECT_EQ(chunked.status(), 404);
  EXPECT_EQ(chunked.body(), "abcde");

  ResponseParser close_delimited;
  ASSERT_TRUE(close_delimited.feed("HTTP/1.0 200 OK\r\n\r\nbody bytes"));
  EXPECT_FALSE(close_delimited.complete());
  EXPECT_TRUE(close_delimited.finish());
  EXPECT_EQ(close_delimited.body(), "body bytes");
}

TEST(SensorHttp, SkipsInterimResponsesAndHeadBodies) {
  ResponseParser p;
  ASSERT_TRUE(p.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"));
  EXPECT_TRUE(p.complete());
  EXPECT_EQ(p.status(), 204);
  ResponseParser head(true);
  ASSERT_TRUE(head.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"));
  EXPECT_TRUE(head.complete());
  EXPECT_TRUE(head.body().empty());
}

TEST(SensorHttp, ReportsBrokenResponses) {
  ResponseParser garbage;
  EXPECT_FALSE(garbage.feed("SSH-2.0-OpenSSH\r\n\r\n"));
  ResponseParser truncated;
  ASSERT_TRUE(truncated.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_FALSE(truncated.finish());
  EXPECT_NE(truncated.error().find("before the body"), std::string::npos);
}

TEST(SensorHttp, ProbeResultJson) {
  ProbeResult ok{"http://x/", "GET", 200, 5, "ab12", 12.5, ""};
  auto doc = nlohmann::json::parse(probe_result_json(ok));
  EXPECT_EQ(doc["status"], 200);
  EXPECT_EQ(doc["size"], 5);
  EXPECT_EQ(doc["sha256"], "ab12");
  EXPECT_DOUBLE_EQ(doc["time_ms"].get<double>(), 12.5);
  EXPECT_FALSE(doc.contains("error"));
  ProbeResult failed{
      "http://x/", "GET", std::nullopt, 0, "", 0, "connection refused after 30 retries"};
  auto err = nlohmann::json::parse(probe_result_json(failed));
  EXPECT_EQ(err["error"], "connection refused after 30 retries");
  EXPECT_FALSE(err.contains("status"));
}
