#include "slim/engine/client.hpp"

#include <gtest/gtest.h>
#include <map>

namespace slim::engine {
namespace {

Endpoint parse_ok(std::string_view v) {
  auto r = parse_docker_host(v);
  EXPECT_TRUE(r.ok()) << v << ": " << r.error();
  return r.ok() ? r.value() : Endpoint{};
}

std::string parse_error(std::string_view v) {
  auto r = parse_docker_host(v);
  EXPECT_FALSE(r.ok()) << v;
  return r.error();
}

TEST(DockerHost, EmptyMeansTheDefaultSocket) {
  auto e = parse_ok("");
  EXPECT_EQ(e.kind, Endpoint::Kind::unix_socket);
  EXPECT_EQ(e.path, "/var/run/docker.sock");
  EXPECT_EQ(e.display, "unix:///var/run/docker.sock");
}

TEST(DockerHost, UnixSocketPath) {
  auto e = parse_ok("unix:///run/user/1000/docker.sock");
  EXPECT_EQ(e.kind, Endpoint::Kind::unix_socket);
  EXPECT_EQ(e.path, "/run/user/1000/docker.sock");
  EXPECT_EQ(e.display, "unix:///run/user/1000/docker.sock");
  EXPECT_EQ(parse_ok("unix://").path, "/var/run/docker.sock");
}

TEST(DockerHost, TcpWithAndWithoutScheme) {
  auto e = parse_ok("tcp://127.0.0.1:2376");
  EXPECT_EQ(e.kind, Endpoint::Kind::tcp);
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, "2376");
  EXPECT_EQ(e.display, "tcp://127.0.0.1:2376");
  auto bare = parse_ok("localhost:2375");
  EXPECT_EQ(bare.kind, Endpoint::Kind::tcp);
  EXPECT_EQ(bare.host, "localhost");
  EXPECT_EQ(bare.port, "2375");
  EXPECT_EQ(parse_ok("tcp://docker.example:2375/").host, "docker.example");
  EXPECT_EQ(parse_ok("tcp://localhost").port, ""); // filled in by endpoint_from
}

TEST(DockerHost, Ipv6InBrackets) {
  auto e = parse_ok("tcp://[::1]:2375");
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, "2375");
  EXPECT_NE(parse_error("tcp://::1:2375").find("brackets"), std::string::npos);
  EXPECT_NE(parse_error("tcp://[::1:2375").find("]"), std::string::npos);
}

TEST(DockerHost, MalformedValuesSayWhy) {
  EXPECT_EQ(parse_error("tcp://foo:bar"),
            "invalid Docker host `tcp://foo:bar`: the port must be a number from 1 to 65535");
  EXPECT_NE(parse_error("tcp://foo:0").find("1 to 65535"), std::string::npos);
  EXPECT_NE(parse_error("tcp://foo:65536").find("1 to 65535"), std::string::npos);
  EXPECT_NE(parse_error("tcp://foo:").find("empty port"), std::string::npos);
  EXPECT_NE(parse_error("tcp://:2375").find("no host"), std::string::npos);
  EXPECT_NE(parse_error("tcp://h:1/base").find("path"), std::string::npos);
  EXPECT_NE(parse_error("ssh://me@box").find("not supported"), std::string::npos);
  EXPECT_NE(parse_error("gopher://x:1").find("unknown scheme `gopher`"), std::string::npos);
  EXPECT_NE(parse_error("unix://relative.sock").find("absolute"), std::string::npos);
  EXPECT_NE(parse_error("/var/run/docker.sock").find("unix:///"), std::string::npos);
  EXPECT_NE(parse_error("tcp://a b:1").find("white space"), std::string::npos);
}

EnvLookup env_of(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(DockerHost, FlagBeatsEnvironment) {
  auto e = endpoint_from(std::string("unix:///flag.sock"),
                         env_of({{"DOCKER_HOST", "unix:///env.sock"}}));
  EXPECT_EQ(e.path, "/flag.sock");
  EXPECT_EQ(endpoint_from(std::nullopt, env_of({{"DOCKER_HOST", "unix:///env.sock"}})).path,
            "/env.sock");
  EXPECT_EQ(endpoint_from(std::nullopt, env_of({})).path, "/var/run/docker.sock");
}

TEST(DockerHost, TlsVariablesLikeTheDockerCli) {
  auto plain =
      endpoint_from(std::nullopt, env_of({{"DOCKER_HOST", "tcp://h"}, {"HOME", "/home/u"}}));
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(plain.port, "2375");
  EXPECT_EQ(plain.cert_path, "/home/u/.docker");

  auto tls = endpoint_from(std::nullopt, env_of({{"DOCKER_HOST", "tcp://h"},
                                                 {"DOCKER_TLS_VERIFY", "1"},
                                                 {"DOCKER_CERT_PATH", "/certs"}}));
  EXPECT_TRUE(tls.tls);
  EXPECT_TRUE(tls.tls_verify);
  EXPECT_EQ(tls.port, "2376");
  EXPECT_EQ(tls.cert_path, "/certs");

  auto no_verify =
      endpoint_from(std::nullopt, env_of({{"DOCKER_HOST", "tcp://h:9"}, {"DOCKER_TLS", "1"}}));
  EXPECT_TRUE(no_verify.tls);
  EXPECT_FALSE(no_verify.tls_verify);
  EXPECT_EQ(no_verify.port, "9");

  // TLS variables do not apply to a Unix socket.
  auto sock = endpoint_from(std::nullopt, env_of({{"DOCKER_TLS_VERIFY", "1"}}));
  EXPECT_FALSE(sock.tls);
}

TEST(DockerHost, MalformedEnvironmentThrows) {
  try {
    endpoint_from(std::nullopt, env_of({{"DOCKER_HOST", "tcp://x:y"}}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "invalid Docker host `tcp://x:y`: the port must be a number from 1 to 65535");
  }
}

} // namespace
} // namespace slim::engine
