#include "slim/pipeline/container_run.hpp"
#include "slim/pipeline/options.hpp"
#include "slim/pipeline/sidecar.hpp"
#include "slim/util/sha256.hpp"
#include "slim/util/small_tar.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace slim::pipeline {
namespace {

TEST(ContinueAfter, Parses) {
  EXPECT_EQ(parse_continue_after("probe").kind, ContinueAfter::Kind::probe);
  EXPECT_EQ(parse_continue_after("exit").kind, ContinueAfter::Kind::exit);
  // DockerSlim's spelling: a bare number is seconds.
  auto n = parse_continue_after("10");
  EXPECT_EQ(n.kind, ContinueAfter::Kind::timeout);
  EXPECT_EQ(n.seconds, 10);
  EXPECT_THROW(parse_continue_after("0"), Error);
  EXPECT_THROW(parse_continue_after("-3"), Error);
  auto t = parse_continue_after("timeout:15");
  EXPECT_EQ(t.kind, ContinueAfter::Kind::timeout);
  EXPECT_EQ(t.seconds, 15);
  EXPECT_THROW(parse_continue_after("timeout:"), Error);
  EXPECT_THROW(parse_continue_after("timeout:-1"), Error);
  EXPECT_THROW(parse_continue_after("later"), Error);
}

TEST(DockerCapability, SpelledAsTheApiTakesIt) {
  EXPECT_EQ(docker_capability("NET_ADMIN"), "NET_ADMIN");
  EXPECT_EQ(docker_capability("cap_sys_admin"), "SYS_ADMIN");
  EXPECT_THROW(docker_capability(""), Error);
  EXPECT_THROW(docker_capability("NET ADMIN"), Error);
  EXPECT_THROW(docker_capability("all"), Error);
}

TEST(ContainerCreateBody, LabelsNetworkAndOverrides) {
  ContainerSpec spec{.image = "img",
                     .entrypoint = std::vector<std::string>{"/.slim/sensor"},
                     .cmd = std::vector<std::string>{"run", "--", "app"},
                     .env = {"A=1"},
                     .user = "0:0",
                     .cap_add = {"SYS_ADMIN", "SYS_PTRACE"},
                     .security_opt = {"seccomp=unconfined"},
                     .binds = {"/data:/data:ro"},
                     .role = "target",
                     .no_healthcheck = true};
  auto body = container_create_body(spec);
  EXPECT_EQ(body["Image"], "img");
  EXPECT_EQ(body["Entrypoint"][0], "/.slim/sensor");
  EXPECT_EQ(body["Cmd"].size(), 3u);
  EXPECT_EQ(body["User"], "0:0");
  EXPECT_EQ(body["Labels"]["io.slim.owner"], "slim");
  EXPECT_EQ(body["Labels"]["io.slim.role"], "target");
  EXPECT_EQ(body["HostConfig"]["NetworkMode"], "none");
  EXPECT_EQ(body["HostConfig"]["CapAdd"][1], "SYS_PTRACE");
  EXPECT_EQ(body["HostConfig"]["Binds"][0], "/data:/data:ro");
  EXPECT_FALSE(body.contains("WorkingDir"));
  EXPECT_EQ(body["Healthcheck"]["Test"], (nlohmann::json{"NONE"}));
  ContainerSpec plain{.image = "x", .network = "container:abc", .role = "probe"};
  auto pb = container_create_body(plain);
  EXPECT_FALSE(pb.contains("Entrypoint"));
  EXPECT_FALSE(pb.contains("Healthcheck")) << "the image's own, unless told otherwise";
  EXPECT_EQ(pb["HostConfig"]["NetworkMode"], "container:abc");
}

TEST(Sidecar, ArchiveIsDeterministicAndWellFormed) {
  std::string a = sidecar_archive("SENSOR-BYTES", "slim-sidecar:test");
  EXPECT_EQ(a, sidecar_archive("SENSOR-BYTES", "slim-sidecar:test"));
  EXPECT_NE(a, sidecar_archive("OTHER", "slim-sidecar:test"));
  auto manifest =
      nlohmann::json::parse(extract_from_small_tar(a, "manifest.json", 1 << 20).value());
  ASSERT_EQ(manifest.size(), 1u);
  EXPECT_EQ(manifest[0]["RepoTags"][0], "slim-sidecar:test");
  std::string config_name = manifest[0]["Config"];
  auto config = nlohmann::json::parse(extract_from_small_tar(a, config_name, 1 << 20).value());
  std::string layer = extract_from_small_tar(a, "layer.tar", 1 << 20).value();
  EXPECT_EQ(config["rootfs"]["diff_ids"][0], "sha256:" + sha256_hex(layer));
  EXPECT_EQ(config["config"]["Entrypoint"][0], "/.slim/sensor");
  EXPECT_EQ(extract_from_small_tar(layer, "sensor", 1 << 20).value(), "SENSOR-BYTES");
}

} // namespace
} // namespace slim::pipeline
