#include "slim/build/container_run.hpp"
#include "slim/build/observation.hpp"
#include "slim/build/options.hpp"
#include "slim/build/sidecar.hpp"
#include "slim/util/sha256.hpp"
#include "slim/util/small_tar.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace slim::build {
namespace {

TEST(ContinueAfter, Parses) {
  EXPECT_EQ(parse_continue_after("probe").kind, ContinueAfter::Kind::probe);
  EXPECT_EQ(parse_continue_after("exit").kind, ContinueAfter::Kind::exit);
  auto t = parse_continue_after("timeout:15");
  EXPECT_EQ(t.kind, ContinueAfter::Kind::timeout);
  EXPECT_EQ(t.seconds, 15);
  EXPECT_THROW(parse_continue_after("timeout:"), Error);
  EXPECT_THROW(parse_continue_after("timeout:-1"), Error);
  EXPECT_THROW(parse_continue_after("later"), Error);
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
                     .role = "target"};
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
  ContainerSpec plain{.image = "x", .network = "container:abc", .role = "probe"};
  auto pb = container_create_body(plain);
  EXPECT_FALSE(pb.contains("Entrypoint"));
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

ProbeOutcome answer(int status, std::string sha) {
  ProbeOutcome p;
  p.request = ProbeRequest{};
  p.status = status;
  p.sha256 = std::move(sha);
  return p;
}

TEST(CompareObservations, StatusesBodiesExecsAndExit) {
  Observation orig;
  orig.probes.push_back({answer(200, "aa"), answer(200, "aa")}); // stable body
  orig.probes.push_back({answer(200, "bb"), answer(200, "cc")}); // changing body
  orig.execs.push_back({"check", 0, "ok\n"});
  orig.app_exit = 0;
  Observation same = orig;
  EXPECT_TRUE(compare_observations(orig, same).empty());

  Observation changed = orig;
  changed.probes[0].first = answer(200, "zz"); // stable body differs -> reported
  changed.probes[1].first = answer(200, "dd"); // unstable body differs -> fine
  auto d = compare_observations(orig, changed);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].what.find("body"), std::string::npos);

  Observation broken = orig;
  broken.probes[1].first = ProbeOutcome{};
  broken.probes[1].first.error = "connection refused";
  broken.execs[0].exit_code = 127;
  broken.app_exit = 1;
  d = compare_observations(orig, broken);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].original, "status 200");
  EXPECT_NE(d[0].result.find("connection refused"), std::string::npos);
  EXPECT_EQ(d[1].what, "exec `check`: exit code");
  EXPECT_EQ(d[2].result, "1");
}

} // namespace
} // namespace slim::build
