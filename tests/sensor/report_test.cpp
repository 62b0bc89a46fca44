#include "sensor/json.hpp"
#include "sensor/recording.hpp"
#include "sensor/report.hpp"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/syscall.h>
#include <unistd.h>

using namespace slim::sensor;

namespace {

ReportInfo sample_info() {
  ReportInfo info;
  info.arch = "x86_64";
  info.sensor_version = "0.1.0";
  info.mode = "both";
  info.argv = {"python3", "-c", "print(\"hi\")"};
  info.user = "1000:1000";
  info.exit_status = 143;
  info.warnings = {"fanotify unavailable: recording with ptrace only"};
  return info;
}

std::string name_of(long nr) {
  return nr == 0 ? "read" : nr == 1 ? "write" : "";
}

} // namespace

TEST(SensorRecording, MergesOpsAndSourcesAndDropsIgnoredPaths) {
  Recording rec;
  rec.add_path("/etc/passwd", op_open, Source::app);
  rec.add_path("/etc/passwd", op_read, Source::exec);
  rec.add_path("/bin/healthcheck", op_exec, Source::exec);
  rec.add_path("/proc/1/status", op_open, Source::app);
  rec.add_path("/srv/other", op_open, Source::other);
  ASSERT_EQ(rec.files().size(), 3U);
  EXPECT_EQ(rec.files().at("/etc/passwd").ops, op_open | op_read);
  EXPECT_FALSE(rec.files().at("/etc/passwd").from_exec());
  EXPECT_TRUE(rec.files().at("/bin/healthcheck").from_exec());
  EXPECT_FALSE(rec.files().at("/srv/other").from_exec());
  EXPECT_EQ(op_names(op_stat | op_exec | op_notfound),
            (std::vector<std::string>{"exec", "notfound", "stat"}));
  EXPECT_EQ(op_from_name("readdir"), op_readdir);
  EXPECT_EQ(op_from_name("bogus"), 0);
}

TEST(SensorRecording, WireFormatRoundTripsOddPaths) {
  Recording rec;
  rec.add_path("/tmp/with\nnewline%and percent", op_write, Source::app);
  rec.add_path("/usr/bin/env", op_exec | op_open, Source::app);
  rec.add_syscall(0);
  rec.add_syscall(257);
  rec.add_denied(165);
  std::string text = encode_recording(rec);
  Recording back;
  ASSERT_TRUE(decode_recording(text, Source::exec, back));
  EXPECT_EQ(back.files().size(), 2U);
  EXPECT_EQ(back.files().at("/tmp/with\nnewline%and percent").ops, op_write);
  EXPECT_TRUE(back.files().at("/usr/bin/env").from_exec());
  EXPECT_EQ(back.syscalls(), (std::vector<long>{0, 257}));
  EXPECT_EQ(back.denied(), (std::vector<long>{165})) << "refused calls travel apart";
  Recording bad;
  EXPECT_FALSE(decode_recording("D x\n", Source::exec, bad));
  EXPECT_FALSE(decode_recording("X nope\n", Source::exec, bad));
  EXPECT_FALSE(decode_recording("F 1 /unterminated", Source::exec, bad));
}

TEST(SensorReport, RendersTheVersionedDocumentSorted) {
  Recording rec;
  rec.add_path("/usr/bin/python3", op_exec | op_open, Source::app);
  rec.add_path("/etc/hosts", op_stat, Source::app);
  rec.add_path("/opt/hc", op_exec, Source::exec);
  rec.add_syscall(1);
  rec.add_syscall(0);
  rec.add_syscall(999);
  rec.add_denied(1);
  rec.add_denied(998);
  auto info = sample_info();
  info.confinement = "seccomp-trace";
  info.dropped_caps = {"SYS_PTRACE", "SYS_ADMIN"};
  auto doc = nlohmann::json::parse(render_report(rec, info, name_of));
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["arch"], "x86_64");
  EXPECT_EQ(doc["sensor"]["mode"], "both");
  EXPECT_EQ(doc["target"]["argv"][2], "print(\"hi\")");
  EXPECT_EQ(doc["target"]["user"], "1000:1000");
  EXPECT_EQ(doc["target"]["exit_status"], 143);
  ASSERT_EQ(doc["files"].size(), 3U);
  EXPECT_EQ(doc["files"][0]["path"], "/etc/hosts");
  EXPECT_EQ(doc["files"][1]["path"], "/opt/hc");
  EXPECT_EQ(doc["files"][1]["from_exec"], true);
  EXPECT_EQ(doc["files"][2]["ops"], (nlohmann::json{"exec", "open"}));
  EXPECT_EQ(doc["syscalls"], (nlohmann::json{"read", "syscall_999", "write"}));
  EXPECT_EQ(doc["denied_syscalls"], (nlohmann::json{"syscall_998", "write"}));
  EXPECT_EQ(doc["sensor"]["confinement"], "seccomp-trace");
  EXPECT_EQ(doc["sensor"]["dropped_caps"], (nlohmann::json{"SYS_PTRACE", "SYS_ADMIN"}));
  EXPECT_EQ(doc["warnings"][0], "fanotify unavailable: recording with ptrace only");
}

TEST(SensorReport, LeavesOutNonUtf8PathsWithAWarningAndNullStatus) {
  Recording rec;
  rec.add_path("/bad\xff\xfe", op_open, Source::app);
  rec.add_path("/caf\xc3\xa9", op_open, Source::app);
  auto info = sample_info();
  info.exit_status.reset();
  auto doc = nlohmann::json::parse(render_report(rec, info, nullptr));
  ASSERT_EQ(doc["files"].size(), 1U);
  EXPECT_EQ(doc["files"][0]["path"], "/caf\xc3\xa9");
  EXPECT_TRUE(doc["target"]["exit_status"].is_null());
  EXPECT_EQ(doc["warnings"].back(), "1 paths left out: not valid UTF-8");
}

TEST(SensorReport, WritesAtomicallyAndReplaces) {
  auto dir =
      std::filesystem::temp_directory_path() / ("sensor-report-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "report.json").string();
  ASSERT_EQ(write_file_atomic(path, "first"), "");
  ASSERT_EQ(write_file_atomic(path, "second\n"), "");
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), "second\n");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1); // no temp left
  EXPECT_NE(write_file_atomic((dir / "missing" / "r.json").string(), "x"), "");
  // Through a descriptor of the directory: the file lands there whatever the path names now
  // (PID 1 writes below a /.slim covered by a read-only bind mount this way).
  auto other = dir / "elsewhere";
  std::filesystem::create_directories(other);
  int dir_fd = ::open(other.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir_fd, 0);
  ASSERT_EQ(write_file_atomic("/nonexistent/dir/report.json", "via fd", dir_fd), "");
  ::close(dir_fd);
  std::ifstream via((other / "report.json").string());
  std::stringstream via_content;
  via_content << via.rdbuf();
  EXPECT_EQ(via_content.str(), "via fd");
  std::filesystem::remove_all(dir);
}

TEST(SensorJson, EscapesAndChecksUtf8) {
  EXPECT_EQ(json_string("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_TRUE(is_utf8("plain /usr/bin"));
  EXPECT_TRUE(is_utf8("\xe2\x82\xac"));
  EXPECT_FALSE(is_utf8("\xe2\x82"));
  EXPECT_FALSE(is_utf8("\xc0\xaf")); // overlong
  EXPECT_EQ(json_number(12.5), "12.5");
  EXPECT_EQ(json_number(3.0), "3");
}

TEST(SensorRecording, ArgumentValuesAndProbeToolCallsTravelAndAreBounded) {
  Recording rec;
  rec.add_arg_value(SYS_socket, 2);
  rec.add_arg_value(SYS_socket, 10);
  rec.add_arg_value(SYS_socket, 2);
  rec.add_probe_syscall(SYS_wait4);
  for (std::uint64_t v = 0; v < 200; ++v) {
    rec.add_arg_value(SYS_prctl, v);
  }
  EXPECT_EQ(rec.arg_values().at(SYS_socket), (std::set<std::uint64_t>{2, 10}));
  // One more than kept marks "too many values to filter on".
  EXPECT_EQ(rec.arg_values().at(SYS_prctl).size(), k_max_arg_values + 1);
  Recording back;
  ASSERT_TRUE(decode_recording(encode_recording(rec), Source::exec, back));
  EXPECT_EQ(back.arg_values().at(SYS_socket), (std::set<std::uint64_t>{2, 10}));
  EXPECT_EQ(back.probe_syscalls(), (std::vector<long>{SYS_wait4}));
  EXPECT_TRUE(back.syscalls().empty()) << "a probe tool's call is not the app's";
  Recording bad;
  EXPECT_FALSE(decode_recording("A 0 1\n", Source::exec, bad)) << "read takes no argument rule";
  EXPECT_EQ(arg_index(SYS_socket), 0);
  EXPECT_EQ(arg_index(SYS_read), -1);
}

TEST(SensorReport, ListsArgumentValuesWhenTracedAndProbeOnlyCalls) {
  Recording rec;
  rec.add_syscall(SYS_socket);
  rec.add_syscall(SYS_read);
  rec.add_arg_value(SYS_socket, 2);
  rec.add_probe_syscall(SYS_read);  // also the app's: not "probe only"
  rec.add_probe_syscall(SYS_wait4); // only the probe shell's
  auto namer = [](long nr) {
    return nr == SYS_socket  ? std::string("socket")
           : nr == SYS_read  ? std::string("read")
           : nr == SYS_wait4 ? std::string("wait4")
                             : std::string();
  };
  auto info = sample_info();
  auto untraced = nlohmann::json::parse(render_report(rec, info, namer));
  EXPECT_FALSE(untraced.contains("syscall_args")) << "no tracer: no claim about arguments";
  EXPECT_EQ(untraced["probe_syscalls"], (nlohmann::json{"wait4"}));
  info.args_recorded = true;
  auto doc = nlohmann::json::parse(render_report(rec, info, namer));
  ASSERT_EQ(doc["syscall_args"].size(), 1U);
  EXPECT_EQ(doc["syscall_args"][0]["name"], "socket");
  EXPECT_EQ(doc["syscall_args"][0]["index"], 0);
  EXPECT_EQ(doc["syscall_args"][0]["values"], (nlohmann::json{2}));
}
