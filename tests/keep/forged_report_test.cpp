// Reports forged by the app under test (it runs as root and can write /.slim/report.json):
// the parser refuses what is not a well-formed report of our version, within its limits, and
// whatever a well-formed forged report lists, the keep set only selects files of the image.
#include "keep/test_image.hpp"
#include "slim/keep/keep_set.hpp"
#include "slim/keep/sensor_report.hpp"
#include "slim/pipeline/container_run.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace slim::keep {
namespace {

using test::TestImage;

std::string report_with_files(const nlohmann::json& files) {
  nlohmann::json doc = {
      {"version", 1}, {"arch", "x86_64"}, {"files", files}, {"syscalls", {"read"}}};
  return doc.dump();
}

/// A report listing `files` (each a JSON object).
std::string report_of(const std::vector<nlohmann::json>& files) {
  return report_with_files(nlohmann::json(files));
}

nlohmann::json file_entry(const std::string& path) {
  return {{"path", path}, {"ops", {"open", "read"}}};
}

/// The parse error of `text`, or "" when it parsed (a test failure by itself).
std::string parse_error(std::string_view text, const ReportLimits& limits = {}) {
  auto r = parse_sensor_report(text, limits);
  if (r) {
    ADD_FAILURE() << "accepted: " << text.substr(0, 200);
    return {};
  }
  EXPECT_EQ(r.error().rfind("sensor report: ", 0), 0u) << r.error();
  EXPECT_EQ(r.error().find('\n'), std::string::npos) << r.error();
  return r.error();
}

// An image where /etc/passwd is the hostile symlink and a few links loop or climb out.
TestImage hostile_image() {
  TestImage img;
  img.dir("/etc").dir("/app").dir("/usr").dir("/usr/bin");
  img.link("/etc/passwd", "/../../../etc/shadow"); // the image has no /etc/shadow
  img.file("/etc/group", "root:x:0:\n");
  img.link("/app/loop1", "loop2").link("/app/loop2", "loop1");
  img.link("/app/self", "/app/self");
  img.link("/app/up", "../../../../..");
  img.link("/app/proc", "/proc/self/root");
  img.file("/app/server", "bytes", 0755);
  img.link("/app/dotdot", "../app/../usr/bin/../bin/tool");
  img.file("/usr/bin/tool", "tool", 0755);
  img.dir("/.slim").file("/.slim/sensor", "sensor", 0755);
  return img;
}

/// Every kept path is an entry of the image, absolute and normalised.
void expect_only_image_files(const TestImage& img, const KeepSet& keep) {
  for (const auto& [path, reason] : keep.paths) {
    EXPECT_NE(img.index.find(path), nullptr) << "kept a path the image does not have: " << path;
    EXPECT_EQ(image::normalize_path(path), path);
    EXPECT_NE(path.rfind("/.slim", 0), 0u) << path;
  }
}

TEST(ForgedReport, TheControllerCapsWhatItFetchesAtTheParsersLimit) {
  EXPECT_EQ(ReportLimits{}.max_bytes, pipeline::k_report_max_bytes);
  EXPECT_LE(pipeline::k_report_max_bytes, std::uint64_t{64} << 20);
}

TEST(ForgedReport, OversizedIsRefusedBeforeParsing) {
  ReportLimits small;
  small.max_bytes = 1024;
  std::string big = report_of({file_entry("/app/" + std::string(2000, 'a'))});
  auto msg = parse_error(big, small);
  EXPECT_NE(msg.find("over the limit of 1024"), std::string::npos) << msg;
  // Oversized even though it is mostly whitespace (no parsing work is spent on it).
  std::string padded = report_with_files(nlohmann::json::array()) + std::string(2000, ' ');
  EXPECT_NE(parse_error(padded, small).find("over the limit"), std::string::npos);
}

TEST(ForgedReport, TooManyFilesOrTooLongPaths) {
  ReportLimits lim;
  lim.max_files = 10;
  lim.max_path = 64;
  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 11; ++i) {
    many.push_back(file_entry("/app/f" + std::to_string(i)));
  }
  EXPECT_NE(parse_error(report_with_files(many), lim).find("more than 10 entries"),
            std::string::npos);
  auto msg = parse_error(report_of({file_entry("/" + std::string(65, 'x'))}), lim);
  EXPECT_NE(msg.find("files[0].path: longer than 64 bytes"), std::string::npos) << msg;
}

TEST(ForgedReport, NotJson) {
  std::string binary("\x7f"
                     "ELF\x02\x01\x01\0\0\0",
                     10);
  for (std::string_view text :
       {std::string_view(""), std::string_view("not json at all"), std::string_view(binary),
        std::string_view("{\"version\":1,"), std::string_view("{\"version\":1}{}"),
        std::string_view("\xff\xfe{\0}", 5)}) {
    parse_error(text);
  }
  EXPECT_NE(parse_error("[1,2").find("invalid JSON"), std::string::npos);
}

TEST(ForgedReport, DeeplyNestedJsonDoesNotOverflowTheStack) {
  // 2 MiB of '[' (and of '{"a":') under the size cap: an error or a refusal, not a crash.
  for (const std::string& open : {std::string("["), std::string("{\"a\":")}) {
    std::string text;
    for (int i = 0; i < 400'000; ++i) {
      text += open;
    }
    parse_error(text);
    std::string closed = text + "1";
    for (int i = 0; i < 400'000; ++i) {
      closed += open == "[" ? "]" : "}";
    }
    parse_error(closed); // valid JSON, but not an object with a version
  }
}

TEST(ForgedReport, WrongVersion) {
  for (std::string v :
       {"2", "0", "-1", "\"1\"", "1.0", "1e400", "99999999999999999999", "null", "true", "[1]"}) {
    std::string text = R"({"version":)" + v + R"(,"arch":"x86_64","files":[],"syscalls":[]})";
    auto msg = parse_error(text);
    if (v != "1e400") { // that one is not even JSON
      EXPECT_NE(msg.find("version"), std::string::npos) << v << ": " << msg;
    }
  }
  parse_error(R"({"arch":"x86_64","files":[],"syscalls":[]})");
}

TEST(ForgedReport, WrongTypesNameTheField) {
  EXPECT_NE(parse_error(report_with_files("all of them")).find("files: expected an array"),
            std::string::npos);
  EXPECT_NE(parse_error(report_of({{{"path", 7}, {"ops", {"open"}}}}))
                .find("files[0].path: expected a string"),
            std::string::npos);
  EXPECT_NE(parse_error(report_of({{{"path", "/x"}, {"ops", "open"}}})).find("files[0].ops"),
            std::string::npos);
  EXPECT_NE(parse_error(report_of({file_entry("relative/path")})).find("not an absolute"),
            std::string::npos);
  EXPECT_NE(parse_error(report_of({file_entry(std::string("/etc/\0shadow", 12))})).find("NUL"),
            std::string::npos);
}

TEST(ForgedReport, PathsNotInTheImageAreSkipped) {
  TestImage img = hostile_image();
  auto report = parse_sensor_report(report_with_files(
      {file_entry("/etc/shadow"), file_entry("/root/.ssh/id_rsa"), file_entry("/app/server")}));
  ASSERT_TRUE(report) << report.error();
  auto keep = compute_keep_set(img.index, report.value(), {}, img.reader());
  EXPECT_TRUE(keep.contains("/app/server"));
  EXPECT_FALSE(keep.contains("/etc/shadow"));
  EXPECT_FALSE(keep.contains("/root/.ssh/id_rsa"));
  EXPECT_EQ(keep.skipped_not_in_image, 2u);
  expect_only_image_files(img, keep);
}

TEST(ForgedReport, DotDotPathsStayInsideTheImage) {
  TestImage img = hostile_image();
  auto report = parse_sensor_report(report_with_files(
      {file_entry("/../../../../etc/group"), file_entry("/app/../../../usr/bin/tool"),
       file_entry("/.slim/../.slim/sensor"), file_entry("/app/./../.slim//sensor"),
       file_entry("/.."), file_entry("/app/dotdot")}));
  ASSERT_TRUE(report) << report.error();
  auto keep = compute_keep_set(img.index, report.value(), {}, img.reader());
  // `..` above the root stays at the root, as in the kernel.
  EXPECT_TRUE(keep.contains("/etc/group"));
  EXPECT_TRUE(keep.contains("/usr/bin/tool"));
  EXPECT_TRUE(keep.contains("/app/dotdot"));
  EXPECT_FALSE(keep.contains("/.slim/sensor"));
  EXPECT_FALSE(keep.contains("/.slim"));
  EXPECT_GE(keep.skipped_blocked, 2u);
  expect_only_image_files(img, keep);
}

TEST(ForgedReport, AbsoluteSymlinkTricksResolveInsideTheImage) {
  TestImage img = hostile_image();
  auto report = parse_sensor_report(report_with_files(
      {file_entry("/etc/passwd"), file_entry("/app/loop1"), file_entry("/app/loop2/x"),
       file_entry("/app/self"), file_entry("/app/up/etc/group"), file_entry("/app/proc/etc/group"),
       file_entry("/proc/self/root/etc/group"), file_entry("/proc/1/root/../../.slim/sensor")}));
  ASSERT_TRUE(report) << report.error();
  auto keep = compute_keep_set(img.index, report.value(), {}, img.reader());
  // The symlink itself was used and is kept; where it leads is not in the image.
  EXPECT_TRUE(keep.contains("/etc/passwd"));
  EXPECT_FALSE(keep.contains("/etc/shadow"));
  // `up` climbs to the image's root, so /etc/group through it is the image's /etc/group.
  EXPECT_TRUE(keep.contains("/app/up"));
  EXPECT_TRUE(keep.contains("/etc/group"));
  EXPECT_FALSE(keep.contains("/.slim/sensor"));
  expect_only_image_files(img, keep);
}

TEST(ForgedReport, HardLinkWhoseTargetIsGoneIsKeptWithoutAWarning) {
  TestImage img = hostile_image();
  img.hardlink("/app/link", "/app/whited-out"); // the target was hidden by a later layer
  auto keep = compute_keep_set(img.index, {{"/app/link", file_op_read, false}}, {}, img.reader());
  EXPECT_TRUE(keep.contains("/app/link"));
  EXPECT_FALSE(keep.contains("/app/whited-out"));
  EXPECT_TRUE(keep.warnings.empty()) << keep.warnings.front();
  expect_only_image_files(img, keep);
}

TEST(ForgedReport, RandomForgeriesOnlyEverSelectImageFiles) {
  TestImage img = hostile_image();
  const std::vector<std::string> parts = {"..",     ".",    "",      "etc",   "passwd", "app",
                                          "loop1",  "up",   "proc",  "self",  "root",   ".slim",
                                          "sensor", "usr",  "bin",   "tool",  "shadow", "dotdot",
                                          "\n",     "\xff", "group", "server"};
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> pick(0, parts.size() - 1);
  std::uniform_int_distribution<int> len(1, 8);
  nlohmann::json files = nlohmann::json::array();
  std::vector<ReportFile> forged;
  for (int i = 0; i < 5000; ++i) {
    std::string path;
    for (int n = len(rng); n > 0; --n) {
      path += "/" + parts[pick(rng)];
    }
    forged.push_back({path, file_op_open, false});
  }
  auto keep = compute_keep_set(img.index, forged, {}, img.reader());
  EXPECT_TRUE(keep.contains("/etc/group")); // reached through plenty of the random paths
  expect_only_image_files(img, keep);
}

} // namespace
} // namespace slim::keep
