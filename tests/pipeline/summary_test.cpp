#include "slim/pipeline/summary.hpp"

#include <gtest/gtest.h>

namespace slim::pipeline {
namespace {

nlohmann::json report(bool verified, int differences) {
  nlohmann::json r = {
      {"source", {{"image", "app:1"}, {"id", "sha256:a"}, {"size", 100'000'000}}},
      {"result", {{"tags", {"app.slim:1"}}, {"id", "sha256:b"}, {"size", 10'000'000}}},
      {"ratio", 10.0},
      {"drift", {{{"what", "GET /: body"}, {"tolerated", "1 http date masked"}}}},
      {"differences", nlohmann::json::array()}};
  r["probes"] = {{"original", nlohmann::json::object()},
                 {"result", verified ? nlohmann::json::object() : nlohmann::json()}};
  for (int i = 0; i < differences; ++i) {
    r["differences"].push_back(
        {{"what", "GET /a|b: status"}, {"original", "status 200"}, {"result", "status 404"}});
  }
  return r;
}

TEST(Summary, ResultDocumentAndMarkdownSayTheVerdict) {
  OutputFiles files{.report = "r.json", .html = "r.html", .seccomp_profile = "p.json"};
  auto ok = result_document(report(true, 0), 0, false, files);
  EXPECT_EQ(ok["verdict"], "verified");
  EXPECT_EQ(ok["exit_code"], 0);
  EXPECT_EQ(ok["result"]["tags"][0], "app.slim:1");
  EXPECT_EQ(ok["files"]["html"], "r.html");
  auto md = markdown_summary(ok);
  EXPECT_NE(md.find("### slim: `app:1`"), std::string::npos);
  EXPECT_NE(md.find("| smaller by | 10.0x |"), std::string::npos);
  EXPECT_NE(md.find(":white_check_mark: verified"), std::string::npos);
  EXPECT_NE(md.find("| drift tolerated | 1 |"), std::string::npos);

  auto bad = result_document(report(true, 2), 2, false, files);
  EXPECT_EQ(bad["verdict"], "differences");
  auto bad_md = markdown_summary(bad);
  EXPECT_NE(bad_md.find(":x: verification failed"), std::string::npos);
  EXPECT_NE(bad_md.find("**GET /a b: status**"), std::string::npos) << "no table-breaking pipes";

  EXPECT_EQ(result_document(report(false, 0), 0, false, files)["verdict"], "not_verified");
  auto profiled = result_document(report(false, 0), 0, true, {});
  EXPECT_EQ(profiled["verdict"], "profiled");
  EXPECT_FALSE(profiled.contains("result"));
  EXPECT_TRUE(profiled["files"]["seccomp_profile"].is_null());

  auto err = error_document("nope:1", "no image `nope:1`\nin the engine", 1);
  EXPECT_EQ(err["verdict"], "error");
  auto err_md = markdown_summary(err);
  EXPECT_NE(err_md.find(":x: **failed** (exit 1): no image `nope:1` in the engine"),
            std::string::npos)
      << err_md;
}

} // namespace
} // namespace slim::pipeline
