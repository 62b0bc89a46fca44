#include "layer_builder.hpp"
#include "slim/image/config.hpp"
#include "slim/util/error.hpp"

#include <gtest/gtest.h>

namespace slim::image {
namespace {

TEST(ImageConfig, ParsesTheSettingsAndKeepsUnknownFields) {
  auto j = testing::make_config({"layer"});
  j["config"]["Entrypoint"] = {"/entry"};
  j["config"]["User"] = "app";
  j["config"]["StopSignal"] = "SIGQUIT";
  j["config"]["Healthcheck"] = {{"Test", {"CMD", "true"}}};
  j["x-unknown"] = 42;
  auto c = parse_image_config(j.dump(), "cfg");
  ASSERT_TRUE(c.config.entrypoint.has_value());
  EXPECT_EQ(c.config.entrypoint->at(0), "/entry");
  EXPECT_EQ(c.config.cmd->at(0), "sh");
  EXPECT_EQ(c.config.user, "app");
  EXPECT_EQ(c.config.exposed_ports, std::vector<std::string>{"80/tcp"});
  EXPECT_EQ(c.config.labels.at("a"), "1");
  EXPECT_EQ(c.diff_ids.size(), 1u);
  EXPECT_EQ(c.history.size(), 2u);
  EXPECT_TRUE(c.history[1].empty_layer);

  ConfigOverrides o;
  o.cmd = std::vector<std::string>{"run"};
  o.labels["b"] = "2";
  o.working_dir = "/app";
  std::string out = derive_config(c, o, "sha256:" + std::string(64, 'a'), "slim squash");
  auto d = nlohmann::json::parse(out);
  EXPECT_EQ(d["config"]["Cmd"], nlohmann::json({"run"}));
  EXPECT_EQ(d["config"]["Entrypoint"], nlohmann::json({"/entry"}));
  EXPECT_EQ(d["config"]["Labels"]["a"], "1");
  EXPECT_EQ(d["config"]["Labels"]["b"], "2");
  EXPECT_EQ(d["config"]["WorkingDir"], "/app");
  EXPECT_EQ(d["config"]["StopSignal"], "SIGQUIT");
  EXPECT_EQ(d["config"]["Healthcheck"]["Test"][1], "true");
  EXPECT_EQ(d["x-unknown"], 42);
  EXPECT_EQ(d["rootfs"]["diff_ids"].size(), 1u);
  EXPECT_EQ(d["history"].size(), 1u);
  EXPECT_EQ(d["history"][0]["created"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(d["created"], "2024-01-01T00:00:00Z");
  // Deterministic.
  EXPECT_EQ(out, derive_config(c, o, "sha256:" + std::string(64, 'a'), "slim squash"));
}

TEST(ImageConfig, MalformedDocumentsAreClearErrors) {
  EXPECT_THROW(parse_image_config("{", "c.json"), Error);
  EXPECT_THROW(parse_image_config(R"({"config":{}})", "c.json"), Error); // no rootfs
  EXPECT_THROW(parse_image_config(R"({"rootfs":{"diff_ids":[1]}})", "c.json"), Error);
  EXPECT_THROW(parse_docker_manifest("[]"), Error);
  EXPECT_THROW(parse_docker_manifest(R"([{"Layers":[]}])"), Error);
  EXPECT_THROW(parse_oci_index(R"({})", "index.json"), Error);
  EXPECT_THROW(parse_oci_manifest(R"({"config":{"digest":"sha256:x"}})", "m"), Error);
  EXPECT_THROW(digest_hex("md5:abc"), Error);
  EXPECT_THROW(digest_hex("sha256:" + std::string(64, 'G')), Error);
  try {
    parse_image_config("{", "blobs/sha256/abc");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("`blobs/sha256/abc`"), std::string::npos);
  }
}

TEST(ImageConfig, CreatedSecondsReadsRfc3339) {
  EXPECT_EQ(created_seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(created_seconds("2026-12-01T20:09:20.739021771Z"), 1796155760);
  EXPECT_EQ(created_seconds("2020-01-01T02:00:00+02:00"), 1577836800);
  EXPECT_EQ(created_seconds("2019-12-31T19:00:00.5-05:00"), 1577836800);
  EXPECT_EQ(created_seconds("0001-01-01T00:00:00Z"), 0); // the engine's "unknown"
  for (const char* bad : {"", "yesterday", "2020-13-01T00:00:00Z", "2020-01-01 00:00:00Z",
                          "2020-01-01T00:00:00", "2020-01-01T00:00:00+0200"}) {
    EXPECT_EQ(created_seconds(bad), 0) << bad;
  }
}

TEST(ImageConfig, FromTheEnginesInspect) {
  auto inspect = nlohmann::json::parse(R"({
    "Id": "sha256:abc", "Architecture": "amd64", "Os": "linux", "Author": "",
    "Comment": "Imported from -", "Created": "2026-12-01T20:09:03.345549928Z",
    "DockerVersion": "20.10.24", "Variant": "", "Size": 5,
    "Config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Volumes": {"/data": {}}, "Hostname": ""},
    "RootFS": {"Type": "layers", "Layers": ["sha256:11", "sha256:22"]}})");
  ImageConfig c = config_from_inspect(inspect, "inspect");
  EXPECT_EQ(c.architecture, "amd64");
  EXPECT_EQ(c.created, "2026-12-01T20:09:03.345549928Z");
  EXPECT_EQ(c.config.volumes, std::vector<std::string>{"/data"});
  EXPECT_EQ(c.diff_ids, (std::vector<std::string>{"sha256:11", "sha256:22"}));
  EXPECT_EQ(c.raw["comment"], "Imported from -");
  EXPECT_EQ(c.raw["docker_version"], "20.10.24");
  EXPECT_FALSE(c.raw.contains("author")); // empty: as the engine leaves it out of a config
  EXPECT_FALSE(c.raw.contains("variant"));
  EXPECT_FALSE(c.raw.contains("Size"));
  EXPECT_EQ(c.raw["config"]["Hostname"], "");
  EXPECT_THROW(config_from_inspect(nlohmann::json::array(), "inspect"), Error);
}

} // namespace
} // namespace slim::image

#include "slim/image/xray.hpp"

namespace slim::image {
namespace {

TEST(XrayCi, RulesAsDiveJudgesThem) {
  XrayReport r;
  r.size = 1000;
  r.wasted_bytes = 200;
  r.efficiency = 0.8;
  auto none = check_ci(r, {});
  EXPECT_TRUE(none.empty()) << "rules that are not set are not judged";
  auto res = check_ci(
      r, {.lowest_efficiency = 0.9, .highest_wasted_bytes = 100, .highest_wasted_percent = 0.25});
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0].rule, "lowestEfficiency");
  EXPECT_FALSE(res[0].passed);
  EXPECT_FALSE(res[1].passed);
  EXPECT_TRUE(res[2].passed) << "200 of 1000 bytes is 20%";
  EXPECT_EQ(parse_size("20MB"), 20'000'000u);
  EXPECT_EQ(parse_size("1.5 GB"), 1'500'000'000u);
  EXPECT_EQ(parse_size("512KiB"), 512u * 1024);
  EXPECT_EQ(parse_size("1000"), 1000u);
  EXPECT_FALSE(parse_size("lots").has_value());
  EXPECT_FALSE(parse_size("5 parsecs").has_value());
}

} // namespace
} // namespace slim::image
