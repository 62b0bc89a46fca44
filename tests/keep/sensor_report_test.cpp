#include "slim/keep/sensor_report.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace slim::keep {
namespace {

std::string read_data(const std::string& name) {
  std::ifstream f(std::string(SLIM_TEST_DATA_DIR) + "/keep/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string minimal(const std::string& files = "[]", const std::string& extra = "") {
  return R"({"version":1,"arch":"x86_64","files":)" + files + R"(,"syscalls":["read"])" + extra +
         "}";
}

void expect_error(const std::string& doc, const std::string& part) {
  auto r = parse_sensor_report(doc);
  ASSERT_FALSE(r.ok()) << "parsed: " << doc.substr(0, 200);
  EXPECT_NE(r.error().find(part), std::string::npos) << r.error();
}

TEST(SensorReport, ParsesRecordedReport) {
  auto r = parse_sensor_report(read_data("report_python.json"));
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& rep = r.value();
  EXPECT_EQ(rep.version, 1);
  EXPECT_EQ(rep.arch, "x86_64");
  EXPECT_EQ(rep.sensor_version, "0.1.0");
  EXPECT_EQ(rep.sensor_mode, "both");
  EXPECT_EQ(rep.argv, (std::vector<std::string>{"/usr/bin/python3", "/app/server.py"}));
  EXPECT_EQ(rep.user, "1000:1000");
  EXPECT_EQ(rep.exit_status, 0);
  ASSERT_EQ(rep.files.size(), 8u);
  EXPECT_EQ(rep.files[1].path, "/bin/sh");
  EXPECT_EQ(rep.files[1].ops, file_op_exec);
  EXPECT_TRUE(rep.files[1].from_exec);
  EXPECT_EQ(rep.files[5].ops, file_op_exec | file_op_open | file_op_read);
  EXPECT_EQ(rep.files[7].ops, file_op_notfound | file_op_stat);
  EXPECT_EQ(rep.syscalls.size(), 9u);
  EXPECT_EQ(rep.syscalls.front(), "brk");
  ASSERT_EQ(rep.warnings.size(), 1u);
}

TEST(SensorReport, OpNamesRoundTrip) {
  EXPECT_EQ(file_op_from_name("readlink"), file_op_readlink);
  EXPECT_EQ(file_op_from_name("bogus"), 0);
  EXPECT_EQ(file_op_names(file_op_exec | file_op_open | file_op_chdir),
            (std::vector<std::string>{"chdir", "exec", "open"}));
}

TEST(SensorReport, NullExitStatusAndOptionalParts) {
  auto r = parse_sensor_report(
      minimal("[]", R"(,"target":{"argv":[],"user":"0:0","exit_status":null})"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r.value().exit_status.has_value());
  EXPECT_TRUE(r.value().files.empty());
  EXPECT_TRUE(r.value().denied_syscalls.empty()) << "older sensors write no denied_syscalls";
}

TEST(SensorReport, DeniedSyscallsAreOptionalAndTyped) {
  auto r = parse_sensor_report(minimal("[]", R"(,"denied_syscalls":["mount","unshare"])"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value().denied_syscalls, (std::vector<std::string>{"mount", "unshare"}));
  EXPECT_EQ(r.value().syscalls, (std::vector<std::string>{"read"}));
  expect_error(minimal("[]", R"(,"denied_syscalls":"mount")"), "denied_syscalls");
  expect_error(minimal("[]", R"(,"denied_syscalls":[1])"), "denied_syscalls[0]");
}

TEST(SensorReport, UnknownOpsAreIgnoredWithAWarning) {
  auto r = parse_sensor_report(minimal(R"([{"path":"/a","ops":["open","mmap"]}])"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value().files[0].ops, file_op_open);
  ASSERT_EQ(r.value().warnings.size(), 1u);
  EXPECT_NE(r.value().warnings[0].find("`mmap`"), std::string::npos);
}

TEST(SensorReport, ErrorsNameTheField) {
  expect_error("not json", "invalid JSON");
  expect_error("[1,2]", "(document): expected an object, got array");
  expect_error(R"({"version":2,"arch":"x86_64","files":[],"syscalls":[]})",
               "version: unsupported version 2");
  expect_error(R"({"version":"1","arch":"x86_64","files":[],"syscalls":[]})",
               "version: expected an integer, got string");
  expect_error(R"({"version":1,"files":[],"syscalls":[]})", "arch: missing");
  expect_error(R"({"version":1,"arch":"x86_64","files":{},"syscalls":[]})",
               "files: expected an array, got object");
  expect_error(minimal(R"([{"path":"/a","ops":["open"]},{"path":5,"ops":[]}])"),
               "files[1].path: expected a string, got number");
  expect_error(minimal(R"([{"path":"relative","ops":[]}])"), "files[0].path: not an absolute");
  expect_error(minimal(R"([{"path":"/a","ops":"open"}])"), "files[0].ops: expected an array");
  expect_error(minimal(R"([{"path":"/a","ops":[1]}])"), "files[0].ops[0]: expected a string");
  expect_error(minimal(R"([{"path":"/a"}])"), "files[0].ops: missing");
  expect_error(minimal(R"([{"path":"/a","ops":[],"from_exec":"no"}])"),
               "files[0].from_exec: expected a boolean");
  expect_error(minimal("[]", R"(,"target":{"exit_status":1.5})"), "target.exit_status");
  expect_error(minimal("[]", R"(,"target":{"argv":"x"})"), "target.argv");
  expect_error(R"({"version":1,"arch":"x86_64","files":[],"syscalls":[7]})", "syscalls[0]");
  expect_error(minimal("[]", R"(,"sensor":[])"), "sensor: expected an object");
}

TEST(SensorReport, LimitsAreEnforced) {
  ReportLimits lim;
  lim.max_bytes = 100;
  auto r = parse_sensor_report(std::string(200, ' '), lim);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("over the limit"), std::string::npos) << r.error();

  lim = ReportLimits{};
  lim.max_files = 2;
  r = parse_sensor_report(
      minimal(R"([{"path":"/a","ops":[]},{"path":"/b","ops":[]},{"path":"/c","ops":[]}])"), lim);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("files: more than 2 entries"), std::string::npos) << r.error();

  lim = ReportLimits{};
  lim.max_path = 10;
  r = parse_sensor_report(minimal(R"([{"path":"/aaaaaaaaaaaaaaaa","ops":[]}])"), lim);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("files[0].path: longer than 10 bytes"), std::string::npos);
}

TEST(SensorReport, DeepNestingDoesNotCrash) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto r = parse_sensor_report(deep);
  EXPECT_FALSE(r.ok());
  std::string deep_field = minimal("[]", R"(,"extra":)" + deep);
  EXPECT_TRUE(parse_sensor_report(deep_field).ok()); // unknown fields are ignored
}

} // namespace
} // namespace slim::keep
