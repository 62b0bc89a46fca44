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
  ProbeResult ok{.url = "http://x/",
                 .method = "GET",
                 .connected = true,
                 .status = 200,
                 .size = 5,
                 .sha256 = "ab12",
                 .time_ms = 12.5};
  auto doc = nlohmann::json::parse(probe_result_json(ok));
  EXPECT_EQ(doc["status"], 200);
  EXPECT_EQ(doc["size"], 5);
  EXPECT_EQ(doc["sha256"], "ab12");
  EXPECT_DOUBLE_EQ(doc["time_ms"].get<double>(), 12.5);
  EXPECT_FALSE(doc.contains("error"));
  ProbeResult failed{
      .url = "http://x/", .method = "GET", .error = "connection refused after 30 retries"};
  auto err = nlohmann::json::parse(probe_result_json(failed));
  EXPECT_EQ(err["error"], "connection refused after 30 retries");
  EXPECT_FALSE(err.contains("status"));
}

TEST(SensorHttp, BodyKeptUpToTheLimitButCountedAndHashedWhole) {
  for (bool chunked : {false, true}) {
    ResponseParser p;
    std::string seen;
    p.keep_body(4, [&seen](std::string_view d) { seen.append(d); });
    std::string head = chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               : "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
    ASSERT_TRUE(p.feed(head));
    ASSERT_TRUE(p.feed(chunked ? "6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n" : "abcdefghij"));
    EXPECT_TRUE(p.complete());
    EXPECT_EQ(p.body(), "abcd");
    EXPECT_EQ(p.body_size(), 10u);
    EXPECT_EQ(seen, "abcdefghij");
  }
}

TEST(SensorHttp, BatchParsesRequestsHeadersAndEscapes) {
  auto b = parse_batch("slim-probe-batch 1\n"
                       "settings 5 0.25 1024 4096\n"
                       "request 60 http GET http://127.0.0.1:80/a%25b\n"
                       "header X-A: 1%0A2\n"
                       "data x%0D%0Ay\n"
                       "request 2 tcp GET tcp://127.0.0.1:6379\n");
  ASSERT_TRUE(b) << b.error();
  EXPECT_DOUBLE_EQ(b.value().timeout, 5);
  EXPECT_DOUBLE_EQ(b.value().retry_delay, 0.25);
  EXPECT_EQ(b.value().max_body, 1024u);
  EXPECT_EQ(b.value().max_total, 4096u);
  ASSERT_EQ(b.value().requests.size(), 2u);
  const auto& r = b.value().requests[0];
  EXPECT_EQ(r.url, "http://127.0.0.1:80/a%b");
  EXPECT_EQ(r.retries, 60);
  EXPECT_FALSE(r.tcp);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], "X-A: 1\n2");
  EXPECT_EQ(r.data, "x\r\ny");
  EXPECT_TRUE(b.value().requests[1].tcp);
  EXPECT_FALSE(parse_batch("").ok());
  EXPECT_FALSE(parse_batch("slim-probe-batch 2\n").ok());
  EXPECT_FALSE(parse_batch("slim-probe-batch 1\nheader A: b\n").ok());
  EXPECT_FALSE(parse_batch("slim-probe-batch 1\nrequest x http GET http://a/\n").ok());
  EXPECT_FALSE(parse_batch("slim-probe-batch 1\nrequest 1 ftp GET ftp://a/\n").ok());
  EXPECT_FALSE(parse_batch("slim-probe-batch 1\nsettings 0 1 1 1\n").ok());
}

TEST(SensorHttp, BatchResultLines) {
  ProbeResult ok{.url = "http://x/",
                 .method = "GET",
                 .connected = true,
                 .status = 200,
                 .size = 7,
                 .sha256 = "ab",
                 .content_type = "text/html",
                 .location = "/next",
                 .body = std::string("hi\0\xff", 4),
                 .body_truncated = true};
  auto doc = nlohmann::json::parse(batch_result_json(3, ok));
  EXPECT_EQ(doc["i"], 3);
  EXPECT_EQ(doc["connected"], true);
  EXPECT_EQ(doc["status"], 200);
  EXPECT_EQ(doc["content_type"], "text/html");
  EXPECT_EQ(doc["location"], "/next");
  EXPECT_EQ(doc["body_b64"], base64(std::string("hi\0\xff", 4)));
  EXPECT_EQ(doc["body_truncated"], true);
  ProbeResult bad_header = ok;
  bad_header.content_type = "text/\xff";
  EXPECT_FALSE(nlohmann::json::parse(batch_result_json(0, bad_header)).contains("content_type"));
  ProbeResult not_http{.connected = true, .error = "not an HTTP/1.x response"};
  auto e = nlohmann::json::parse(batch_result_json(1, not_http));
  EXPECT_EQ(e["connected"], true);
  EXPECT_EQ(e["error"], "not an HTTP/1.x response");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64("fo"), "Zm8=");
}
