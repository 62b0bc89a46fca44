// slim as a docker CLI plugin, through the real docker CLI: `docker slim ...` with the plugin in
// a cli-plugins directory of DOCKER_CONFIG (as `cmake --install` lays it out for a user).
#include "support/served.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace slim::it {
namespace {

TEST(DockerPlugin, TheDockerCliRunsSlimAsAPlugin) {
  auto docker = run_command("command -v docker");
  ASSERT_EQ(docker.exit_code, 0) << "the docker CLI is needed (Debian's docker.io has it)";
  TestDir dir("slim-it-plugin");
  std::filesystem::create_directories(dir / "cli-plugins");
  std::filesystem::create_symlink(slim_binary(), dir / "cli-plugins" / "docker-slim");
  std::string env = "env -u DOCKER_HOST DOCKER_CONFIG=" + dir.path().string() + " ";
  auto help = run_command(env + "docker --help");
  EXPECT_NE(help.out.find("slim"), std::string::npos) << help.out << help.err;
  auto version = run_command(env + "docker slim version");
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_NE(version.out.find("slim:   "), std::string::npos) << version.out;
  // docker's own global options reach slim.
  auto host = run_command(env + "docker -H unix:///var/run/docker.sock -l warn slim version");
  EXPECT_EQ(host.exit_code, 0) << host.err;
  EXPECT_NE(host.out.find("at unix:///var/run/docker.sock"), std::string::npos) << host.out;
  auto bad = run_command(env + "docker -H unix:///nonexistent.sock slim version");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("/nonexistent.sock"), std::string::npos) << bad.err;
  // A whole build through the plugin.
  auto client = connect_client();
  ImageGuard guard(client, "slim-it/batch:plugin");
  auto build = run_command("cd " + dir.path().string() + " && " + env +
                               "docker slim build --log-level warn --tag slim-it/batch:plugin "
                               "slim-fixture/batch:latest",
                           std::chrono::seconds(600));
  EXPECT_EQ(build.exit_code, 0) << build.err;
  EXPECT_NO_THROW(client.inspect_image("slim-it/batch:plugin"));
}

} // namespace
} // namespace slim::it
