#include "slim/probe/probe_spec.hpp"
#include "slim/util/error.hpp"

#include <gtest/gtest.h>

namespace slim::probe {
namespace {

void expect_error(const std::function<void()>& fn, const std::string& part) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing: " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(ProbeSpec, CommandForms) {
  EXPECT_EQ(parse_probe_cmd("/health"), (ProbeSpec{.method = "GET", .path = "/health"}));
  EXPECT_EQ(parse_probe_cmd("GET /api/items?x=1"),
            (ProbeSpec{.method = "GET", .path = "/api/items?x=1"}));
  EXPECT_EQ(parse_probe_cmd("post /api {\"a\": 1}"),
            (ProbeSpec{.method = "POST", .path = "/api", .body = "{\"a\": 1}"}));
  EXPECT_EQ(parse_probe_cmd("GET:/a:b"), (ProbeSpec{.method = "GET", .path = "/a:b"}));
  EXPECT_EQ(parse_probe_cmd("https:PUT:/x"),
            (ProbeSpec{.method = "PUT", .path = "/x", .protocol = "https"}));
}

TEST(ProbeSpec, CrawlPrefix) {
  EXPECT_EQ(parse_probe_cmd("crawl:/"), (ProbeSpec{.method = "GET", .path = "/", .crawl = true}));
  EXPECT_EQ(parse_probe_cmd("crawl:GET:/docs/"),
            (ProbeSpec{.method = "GET", .path = "/docs/", .crawl = true}));
  EXPECT_EQ(parse_probe_cmd("crawl:http:GET:/"),
            (ProbeSpec{.method = "GET", .path = "/", .protocol = "http", .crawl = true}));
  EXPECT_EQ(parse_probe_cmd("crawl:https:get:/a:b"),
            (ProbeSpec{.method = "GET", .path = "/a:b", .protocol = "https", .crawl = true}));
  EXPECT_EQ(parse_probe_cmd("crawl:POST /search q=1"),
            (ProbeSpec{.method = "POST", .path = "/search", .body = "q=1", .crawl = true}));
  EXPECT_FALSE(parse_probe_cmd("GET:/").crawl);
  EXPECT_FALSE(parse_probe_cmd("/crawl:x").crawl); // a path, not the prefix
  EXPECT_EQ(parse_probe_cmd("/crawl:x").path, "/crawl:x");
  EXPECT_TRUE(to_probe_request(parse_probe_cmd("crawl:/")).crawl);
  EXPECT_FALSE(to_probe_request(parse_probe_cmd("/")).crawl);
}

TEST(ProbeSpec, CommandErrors) {
  expect_error([] { parse_probe_cmd(""); }, "empty");
  expect_error([] { parse_probe_cmd("GET api"); }, "must start with `/`");
  expect_error([] { parse_probe_cmd("G%T /x"); }, "is not an HTTP method");
  expect_error([] { parse_probe_cmd("crawl:"); }, "expected `crawl:/path`");
  expect_error([] { parse_probe_cmd("crawl:crawl:/"); }, "expected `crawl:/path`");
  // the errors of the form after `crawl:` name the whole value
  expect_error([] { parse_probe_cmd("crawl:GET:x"); }, "`crawl:GET:x`: the path `x` must start");
  expect_error([] { parse_probe_cmd("crawl:ftp:GET:/"); }, "the path `GET:/` must start");
  expect_error([] { parse_probe_cmd("http:/x"); }, "`http:METHOD:/path`");
  expect_error([] { parse_probe_cmd("GET:/a\tb"); }, "control characters");
  expect_error([] { parse_probe_cmd("nonsense"); }, "expected `/path`");
}

TEST(ProbeSpec, DockerSlimCommandFile) {
  auto specs = parse_probe_cmd_file(R"({"commands":[
      {"protocol":"http","method":"post","resource":"/api","port":8080,
       "headers":["Content-Type: application/json"],"body":"{}"},
      {"resource":"/"},
      {"resource":"/s","protocol":"https","port":"8443"},
      {"resource":"/site/","crawl":true},
      {"resource":"/x","crawl":false}]})");
  ASSERT_EQ(specs.size(), 5u);
  EXPECT_FALSE(specs[0].crawl);
  EXPECT_EQ(specs[3], (ProbeSpec{.method = "GET", .path = "/site/", .crawl = true}));
  EXPECT_FALSE(specs[4].crawl);
  EXPECT_EQ(specs[0], (ProbeSpec{.method = "POST",
                                 .path = "/api",
                                 .headers = {"Content-Type: application/json"},
                                 .body = "{}",
                                 .port = 8080,
                                 .protocol = "http"}));
  EXPECT_EQ(specs[1], (ProbeSpec{.method = "GET", .path = "/"}));
  EXPECT_EQ(specs[2].port, 8443);
  EXPECT_EQ(specs[2].protocol, "https");
}

TEST(ProbeSpec, CommandFileErrorsNameTheField) {
  expect_error([] { parse_probe_cmd_file("{"); }, "not valid JSON");
  expect_error([] { parse_probe_cmd_file("[]"); }, "expected {\"commands\"");
  expect_error([] { parse_probe_cmd_file(R"({"commands":[{"method":"GET"}]})"); },
               "commands[0].resource: missing");
  expect_error([] { parse_probe_cmd_file(R"({"commands":[{"resource":"/","port":70000}]})"); },
               "commands[0].port: 70000");
  expect_error(
      [] {
        parse_probe_cmd_file(
            R"({"commands":[{"resource":"/"},{"resource":"/","headers":["bad"]}]})");
      },
      "commands[1].headers");
  expect_error([] { parse_probe_cmd_file(R"({"commands":[{"resource":"/","protocol":"ftp"}]})"); },
               "commands[0].protocol");
  expect_error([] { parse_probe_cmd_file(R"({"commands":[{"resource":"/","body_file":"x"}]})"); },
               "body_file");
  expect_error([] { parse_probe_cmd_file(std::string(2 << 20, ' ')); }, "larger than 1 MiB");
  expect_error([] { parse_probe_cmd_file(R"({"commands":[{"resource":"/","crawl":"yes"}]})"); },
               "commands[0].crawl: expected true or false");
}

TEST(ProbeSpec, PortsAndRequests) {
  EXPECT_EQ(parse_probe_ports("80,8080, 443/tcp,80"), (std::vector<int>{80, 8080, 443}));
  expect_error([] { parse_probe_ports("80,x"); }, "`x` is not a port");
  expect_error([] { parse_probe_ports("0"); }, "is not a port");
  expect_error([] { parse_probe_ports(""); }, "no port");
  auto r = to_probe_request(parse_probe_cmd("POST /a body"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/a");
  EXPECT_EQ(r.port, 0); // the exercise fills in every probed port
  EXPECT_EQ(r.protocol, "http");
  EXPECT_EQ(r.body, "body");
  auto r2 = to_probe_request({.port = 9000, .protocol = "https"});
  EXPECT_EQ(r2.port, 9000);
  EXPECT_EQ(r2.protocol, "https");
}

} // namespace
} // namespace slim::probe
