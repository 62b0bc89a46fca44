#include "slim/engine/context.hpp"
#include "slim/util/sha256.hpp"

#include <gtest/gtest.h>
#include <map>

namespace slim::engine {
namespace {

// A fabricated ~/.docker tree and environment.
struct World {
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;
  EnvLookup lookup() const {
    return [this](const char* n) -> const char* {
      auto it = env.find(n);
      return it == env.end() ? nullptr : it->second.c_str();
    };
  }
  ReadText reader() const {
    return [this](const std::string& p) -> std::optional<std::string> {
      auto it = files.find(p);
      return it == files.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }
  void context(const std::string& dir, const std::string& name, const std::string& host,
               bool tls = false, bool skip_verify = false) {
    std::string id = sha256_hex(name);
    files[dir + "/contexts/meta/" + id + "/meta.json"] =
        R"({"Name":")" + name + R"(","Metadata":{},"Endpoints":{"docker":{"Host":")" + host +
        R"(","SkipTLSVerify":)" + (skip_verify ? "true" : "false") + "}}}";
    if (tls) {
      files[dir + "/contexts/tls/" + id + "/docker/ca.pem"] = "CA";
    }
  }
  Endpoint select(std::optional<std::string> host = {}, std::optional<std::string> ctx = {}) {
    return select_endpoint(host, ctx, lookup(), reader());
  }
};

TEST(EngineContext, TheDockerClisOrderOfPrecedence) {
  World w;
  w.env = {{"HOME", "/home/u"}};
  // Nothing set: the default socket.
  EXPECT_EQ(w.select().path, "/var/run/docker.sock");
  // The CLI's current context, from ~/.docker/config.json.
  w.context("/home/u/.docker", "remote", "tcp://10.1.2.3:2376", true);
  w.files["/home/u/.docker/config.json"] = R"({"auths":{},"currentContext":"remote"})";
  auto e = w.select();
  EXPECT_EQ(e.kind, Endpoint::Kind::tcp);
  EXPECT_EQ(e.host, "10.1.2.3");
  EXPECT_TRUE(e.tls);
  EXPECT_TRUE(e.tls_verify);
  EXPECT_EQ(e.cert_path, "/home/u/.docker/contexts/tls/" + sha256_hex("remote") + "/docker");
  EXPECT_NE(e.display.find("context remote"), std::string::npos);
  // DOCKER_CONTEXT beats config.json; --context beats DOCKER_CONTEXT.
  w.context("/home/u/.docker", "local2", "unix:///run/other.sock");
  w.env["DOCKER_CONTEXT"] = "local2";
  EXPECT_EQ(w.select().path, "/run/other.sock");
  EXPECT_EQ(w.select({}, std::string("default")).path, "/var/run/docker.sock");
  // DOCKER_HOST beats every context; --host beats DOCKER_HOST.
  w.env["DOCKER_HOST"] = "unix:///run/env.sock";
  EXPECT_EQ(w.select({}, std::string("remote")).path, "/run/env.sock");
  EXPECT_EQ(w.select(std::string("unix:///run/flag.sock")).path, "/run/flag.sock");
  EXPECT_THROW(w.select(std::string("unix:///a"), std::string("remote")), Error);
}

TEST(EngineContext, DockerConfigMovesTheTreeAndErrorsNameTheContext) {
  World w;
  w.env = {{"HOME", "/home/u"}, {"DOCKER_CONFIG", "/etc/dockercfg"}};
  w.context("/etc/dockercfg", "ci", "tcp://127.0.0.1", false, true);
  w.files["/etc/dockercfg/config.json"] = R"({"currentContext":"ci"})";
  auto e = w.select();
  EXPECT_EQ(e.port, "2376") << "SkipTLSVerify means TLS without verification";
  EXPECT_TRUE(e.tls);
  EXPECT_FALSE(e.tls_verify);
  try {
    w.select({}, std::string("nope"));
    FAIL() << "an unknown context is an error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("no docker context `nope`"), std::string::npos);
  }
  w.files["/etc/dockercfg/config.json"] = "not json";
  EXPECT_THROW(w.select(), Error);
  w.files["/etc/dockercfg/config.json"] = R"({"currentContext":"bad"})";
  w.files["/etc/dockercfg/contexts/meta/" + sha256_hex("bad") + "/meta.json"] =
      R"({"Endpoints":{}})";
  EXPECT_THROW(w.select(), Error);
}

} // namespace
} // namespace slim::engine
