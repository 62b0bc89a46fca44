#include "slim/engine/error_mapping.hpp"

#include <gtest/gtest.h>

namespace slim::engine {
namespace {

TEST(ErrorMapping, EngineJsonMessage) {
  EXPECT_EQ(engine_error_message(404, R"({"message":"No such image: nope:latest"})"),
            "No such image: nope:latest");
}

TEST(ErrorMapping, PlainTextBodyFirstLine) {
  EXPECT_EQ(engine_error_message(500, "  page not found\nmore\n"), "page not found");
  EXPECT_EQ(engine_error_message(400, R"({"other":"x"})"), R"({"other":"x"})");
  std::string long_line(400, 'x');
  EXPECT_EQ(engine_error_message(500, long_line).size(), 303u);
}

TEST(ErrorMapping, EmptyBodyGivesTheStatus) {
  EXPECT_EQ(engine_error_message(404, ""), "HTTP 404 Not Found");
  EXPECT_EQ(engine_error_message(418, ""), "HTTP 418");
}

TEST(ErrorMapping, ThrowsOnlyForErrors) {
  EXPECT_NO_THROW(throw_if_http_error(200, "{}"));
  EXPECT_NO_THROW(throw_if_http_error(304, ""));
  try {
    throw_if_http_error(409, R"({"message":"conflict"})");
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_EQ(std::string(e.what()), "conflict");
  }
}

TEST(ErrorMapping, UnreachableIsOneClearLine) {
  Endpoint e;
  e.display = "unix:///var/run/docker.sock";
  EXPECT_EQ(unreachable_message(e, "No such file or directory", false),
            "cannot reach the Docker engine at `unix:///var/run/docker.sock`: No such file or "
            "directory (is dockerd running? set DOCKER_HOST or --host)");
  e.display = "tcp://127.0.0.1:2376";
  e.cert_path = "/certs";
  auto tls = unreachable_message(e, "certificate verify failed", true);
  EXPECT_NE(tls.find("DOCKER_CERT_PATH `/certs`"), std::string::npos) << tls;
  EXPECT_EQ(tls.find('\n'), std::string::npos);
}

TEST(ErrorMapping, PercentEncoding) {
  EXPECT_EQ(percent_encode("slim-fixture/base:bookworm"), "slim-fixture%2Fbase%3Abookworm");
  EXPECT_EQ(percent_encode("slim-fixture/base:bookworm", "/:"), "slim-fixture/base:bookworm");
  EXPECT_EQ(percent_encode(R"({"label":["a=b"]})"), "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D");
  EXPECT_EQ(percent_encode("a b~"), "a%20b~");
}

} // namespace
} // namespace slim::engine
