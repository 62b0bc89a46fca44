#include "slim/pipeline/report.hpp"

#include <gtest/gtest.h>

namespace slim::pipeline {
namespace {

using keep::KeepKind;
using keep::KeepSet;
using verify::Observation;

image::FileIndex index() {
  image::FileIndex idx;
  idx.put({.path = "/", .type = image::EntryType::directory, .mode = 0755});
  idx.put({.path = "/bin", .type = image::EntryType::symlink, .link_target = "usr/bin"});
  idx.put({.path = "/usr", .type = image::EntryType::directory, .mode = 0755});
  idx.put({.path = "/usr/bin", .type = image::EntryType::directory, .mode = 0755});
  idx.put({.path = "/usr/bin/app", .type = image::EntryType::regular, .mode = 0755, .size = 1000});
  idx.put({.path = "/usr/bin/other", .type = image::EntryType::regular, .size = 5000});
  return idx;
}

TEST(BuildReport, JsonCarriesEverything) {
  auto idx = index();
  KeepSet keep;
  keep.paths["/"] = {KeepKind::parent, "/usr"};
  keep.paths["/bin"] = {KeepKind::symlink_on_way, "/usr/bin/app"};
  keep.paths["/usr"] = {KeepKind::parent, "/usr/bin"};
  keep.paths["/usr/bin"] = {KeepKind::parent, "/usr/bin/app"};
  keep.paths["/usr/bin/app"] = {KeepKind::accessed, "exec"};
  keep.excluded = {"/usr/share/doc"};
  keep.skipped_not_in_image = 2;
  Observation original;
  original.app_exit = 0;
  BuildReport r;
  r.source_image = "app:1";
  r.source_id = "sha256:aaa";
  r.source_size = 100'000'000;
  r.result_tags = {"app.slim:1"};
  r.result_id = "sha256:bbb";
  r.result_size = 10'000'000;
  r.keep = &keep;
  r.index = &idx;
  r.syscalls = {"read", "write"};
  r.denied_syscalls = {"mount"};
  r.seccomp_profile = "app-seccomp.json";
  r.seccomp_added_by_runtime = {"capset"};
  r.original = &original;
  r.differences.push_back({"GET http://127.0.0.1:80/: status", "200", "404"});
  r.timings = {{"export", 1.5}, {"keep", 0.25}};
  r.warnings = {"something"};
  auto j = to_json(r);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["source"]["id"], "sha256:aaa");
  EXPECT_EQ(j["result"]["tags"][0], "app.slim:1");
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), 10.0);
  EXPECT_EQ(j["kept"]["paths"], 5);
  EXPECT_EQ(j["kept"]["files"], 1);
  EXPECT_EQ(j["kept"]["bytes"], 1000);
  EXPECT_EQ(j["kept"]["symlinks"], 1);
  EXPECT_EQ(j["kept"]["source_paths"], 6);
  EXPECT_EQ(j["kept"]["skipped_not_in_image"], 2);
  ASSERT_EQ(j["paths"].size(), 5u);
  EXPECT_EQ(j["paths"][1]["path"], "/bin");
  EXPECT_EQ(j["paths"][1]["reason"], "symlink_on_way");
  EXPECT_EQ(j["paths"][1]["why"], "symlink on the way to /usr/bin/app");
  EXPECT_EQ(j["paths"][4]["type"], "file");
  EXPECT_EQ(j["paths"][4]["size"], 1000);
  EXPECT_EQ(j["excluded"][0], "/usr/share/doc");
  EXPECT_EQ(j["syscalls"].size(), 2u);
  EXPECT_EQ(j["denied_while_profiling"], (nlohmann::json{"mount"}));
  EXPECT_EQ(j["seccomp"]["profile"], "app-seccomp.json");
  EXPECT_EQ(j["seccomp"]["added_by_runtime"][0], "capset");
  EXPECT_FALSE(j["probes"]["original"].is_null());
  EXPECT_TRUE(j["probes"]["result"].is_null());
  ASSERT_EQ(j["differences"].size(), 1u);
  EXPECT_EQ(j["timings"][0]["pass"], "export");
  EXPECT_DOUBLE_EQ(j["timings"][1]["seconds"].get<double>(), 0.25);
  EXPECT_EQ(j["warnings"][0], "something");
  EXPECT_EQ(to_json(r).dump(), j.dump()); // deterministic
}

TEST(BuildReport, UnknownSizesGiveNoRatio) {
  BuildReport r;
  r.source_size = 5;
  EXPECT_FALSE(r.ratio().has_value());
  auto j = to_json(r);
  EXPECT_TRUE(j["ratio"].is_null());
  EXPECT_TRUE(j["kept"].is_null());
  EXPECT_TRUE(j["paths"].empty());
}

} // namespace
} // namespace slim::pipeline
