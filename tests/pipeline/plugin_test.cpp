#include "slim/cli/plugin.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace slim::cli {
namespace {

TEST(Plugin, MetadataAsTheDockerCliWantsIt) {
  EXPECT_TRUE(invoked_as_plugin("/usr/libexec/docker/cli-plugins/docker-slim"));
  EXPECT_TRUE(invoked_as_plugin("docker-slim"));
  EXPECT_FALSE(invoked_as_plugin("/usr/bin/slim"));
  auto call = plugin_call({"docker-cli-plugin-metadata"});
  ASSERT_TRUE(call);
  EXPECT_TRUE(call.value().metadata);
  auto j = nlohmann::json::parse(plugin_metadata());
  EXPECT_EQ(j["SchemaVersion"], "0.1.0");
  EXPECT_EQ(j["Version"], SLIM_VERSION);
  EXPECT_FALSE(j["Vendor"].get<std::string>().empty());
  EXPECT_FALSE(j["ShortDescription"].get<std::string>().empty());
}

TEST(Plugin, DockerGlobalOptionsBecomeSlims) {
  auto call = plugin_call({"-H", "unix:///run/x.sock", "--log-level=fatal", "-D", "--config",
                           "/etc/dc", "slim", "build", "--tag", "a:b", "img"});
  ASSERT_TRUE(call) << call.error();
  EXPECT_EQ(call.value().args, (std::vector<std::string>{"build", "--tag", "a:b", "img", "--host",
                                                         "unix:///run/x.sock", "--log-level",
                                                         "error", "--log-level", "debug"}));
  ASSERT_EQ(call.value().env.size(), 1u);
  EXPECT_EQ(call.value().env[0], (std::pair<std::string, std::string>{"DOCKER_CONFIG", "/etc/dc"}));
  auto ctx = plugin_call({"--context", "prod", "slim", "version"});
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx.value().args, (std::vector<std::string>{"version", "--context", "prod"}));
  auto tls = plugin_call({"--tlsverify", "--tlscacert", "/c/ca.pem", "--tlscert", "/c/cert.pem",
                          "--tlskey", "/c/key.pem", "slim", "version"});
  ASSERT_TRUE(tls) << tls.error();
  EXPECT_EQ(tls.value().env.size(), 2u);
  EXPECT_FALSE(plugin_call({"--tlscacert", "/a/my-ca.crt", "slim", "version"}).ok());
  EXPECT_FALSE(plugin_call({"--bogus", "slim"}).ok());
  EXPECT_FALSE(plugin_call({"-H"}).ok());
  EXPECT_FALSE(plugin_call({"version"}).ok()) << "no `slim`: not how the docker CLI calls it";
}

} // namespace
} // namespace slim::cli
