// The sensor in real containers: known accesses (open, exec, stat only, readlink, a directory
// symlink walked through, fork, threads) in a Debian and a busybox-only image, plain and
// `sensor exec` execs, --user, docker stop, ctl stop, probes from a sidecar, ptrace-only mode.
#include "slim/util/sha256.hpp"
#include "support/support.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <set>
#include <sstream>

namespace slim::it {
namespace {

using nlohmann::json;
using Ops = std::set<std::string>;

const char* k_busybox_image = "slim-fixture/busybox:latest";
const char* k_tools_image = "slim-fixture/sensor-tools:latest";

std::string read_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("cannot read `" + path + "`");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string helper_binary() {
  return (std::filesystem::path(sensor_binary()).parent_path() / "sensor_access_helper").string();
}

// The sensor, the access helper (/opt/helper) and known data under /data.
std::string payload() {
  static const std::string tar = make_tar({
      {".slim", "", 0755, TarEntry::Type::directory},
      {".slim/sensor", read_binary(sensor_binary()), 0755},
      {"opt", "", 0755, TarEntry::Type::directory},
      {"opt/helper", read_binary(helper_binary()), 0755},
      {"data", "", 0755, TarEntry::Type::directory},
      {"data/sub", "", 0755, TarEntry::Type::directory},
      {"data/a.txt", "a\n"},
      {"data/b.txt", "b\n"},
      {"data/c.txt", "c\n"},
      {"data/d.txt", "d\n"},
      {"data/sub/e.txt", "e\n"},
      {"data/sub/f.txt", "f\n"},
      {"data/link-to-a", "", 0777, TarEntry::Type::symlink, "a.txt"},
      {"data/dirlink", "", 0777, TarEntry::Type::symlink, "sub"},
  });
  return tar;
}

struct TargetOptions {
  std::string image = k_base_image;
  bool sys_admin = true;
  std::string seccomp = "unconfined"; ///< the container's seccomp profile (JSON text)
};

// Creates the target with the sensor as entrypoint (`sensor_args` after it), puts the payload
// in, starts it. The guard removes it.
std::string start_target(engine::Client& client, std::unique_ptr<ContainerGuard>& guard,
                         const std::vector<std::string>& sensor_args, TargetOptions options = {}) {
  json body = container_config(options.image, sensor_args);
  body["Entrypoint"] = {"/.slim/sensor"};
  body["User"] = "0:0";
  json caps = json::array({"SYS_PTRACE"});
  if (options.sys_admin) {
    caps.push_back("SYS_ADMIN");
  }
  body["HostConfig"]["CapAdd"] = caps;
  body["HostConfig"]["SecurityOpt"] = {seccomp_option(options.seccomp)};
  std::string id = client.create_container(body);
  guard = std::make_unique<ContainerGuard>(client, id);
  client.put_archive(id, "/", string_source(payload()));
  client.start_container(id);
  return id;
}

json fetch_report(engine::Client& client, const std::string& id) {
  std::string tar;
  client.get_archive(id, "/.slim/report.json", string_sink(tar));
  auto files = read_tar_files(tar);
  if (files.count("report.json") == 0) {
    throw Error("no report.json in the archive");
  }
  return json::parse(files.at("report.json"));
}

std::map<std::string, Ops> files_of(const json& report) {
  std::map<std::string, Ops> out;
  for (const auto& f : report.at("files")) {
    out[f.at("path").get<std::string>()] = f.at("ops").get<Ops>();
  }
  return out;
}

bool from_exec(const json& report, const std::string& path) {
  for (const auto& f : report.at("files")) {
    if (f.at("path") == path) {
      return f.at("from_exec").get<bool>();
    }
  }
  ADD_FAILURE() << path << " not in the report";
  return false;
}

std::string logs_of(engine::Client& client, const std::string& id) {
  std::string out;
  std::string err;
  client.logs(id, string_sink(out), string_sink(err));
  return out + err;
}

bool has_warning(const json& report, const std::string& text) {
  for (const auto& w : report.at("warnings")) {
    if (w.get<std::string>() == text) {
      return true;
    }
  }
  return false;
}

const std::vector<std::string> k_known_steps = {"/opt/helper",
                                                "open:/data/a.txt",
                                                "stat:/data/b.txt",
                                                "readlink:/data/link-to-a",
                                                "stat:/data/dirlink/e.txt",
                                                "fork:open:/data/c.txt",
                                                "thread:stat:/data/d.txt",
                                                "cd:/data/sub",
                                                "open:f.txt",
                                                "stat:/data/missing",
                                                "exec:/opt/helper"};

// What k_known_steps must produce under /data, exactly.
void expect_known_accesses(const json& report, bool with_fanotify) {
  auto files = files_of(report);
  std::map<std::string, Ops> data;
  for (const auto& [path, ops] : files) {
    if (path.starts_with("/data")) {
      data[path] = ops;
    }
  }
  std::map<std::string, Ops> expected = {
      {"/data/a.txt", {"open", "read"}},
      {"/data/b.txt", {"stat"}},
      {"/data/link-to-a", {"readlink"}},
      {"/data/dirlink", {"readlink"}},
      {"/data/sub/e.txt", {"stat"}},
      {"/data/c.txt", {"open", "read"}},
      {"/data/d.txt", {"stat"}},
      {"/data/sub", {"chdir"}},
      {"/data/sub/f.txt", {"open", "read"}},
      {"/data/missing", {"notfound", "stat"}},
  };
  if (!with_fanotify) { // reads are seen by fanotify only
    for (auto* p : {"/data/a.txt", "/data/c.txt", "/data/sub/f.txt"}) {
      expected[p] = {"open"};
    }
  }
  EXPECT_EQ(data, expected);
  ASSERT_EQ(files.count("/opt/helper"), 1U);
  EXPECT_EQ(files["/opt/helper"].count("exec"), 1U);
  for (const auto& [path, ops] : files) {
    EXPECT_FALSE(path.starts_with("/.slim") || path.starts_with("/proc") ||
                 path.starts_with("/sys") || path.starts_with("/dev"))
        << path;
  }
  EXPECT_EQ(report.at("target").at("exit_status"), 0);
  auto syscalls = report.at("syscalls").get<std::set<std::string>>();
  EXPECT_EQ(syscalls.count("execve"), 1U);
  EXPECT_EQ(syscalls.count("clone") + syscalls.count("clone3"), 2U) << "fork and thread";
  EXPECT_EQ(syscalls.count("readlink") + syscalls.count("readlinkat"), 1U);
}

std::vector<std::string> run_args(const std::vector<std::string>& cmd,
                                  std::vector<std::string> options = {}) {
  std::vector<std::string> args = {"run"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back("--");
  args.insert(args.end(), cmd.begin(), cmd.end());
  return args;
}

class SensorTest : public ::testing::Test {
protected:
  engine::Client client = connect_client();
  std::unique_ptr<ContainerGuard> target;
  std::unique_ptr<ContainerGuard> sidecar;

  int wait(const std::string& id) { return client.wait_container(id, std::chrono::seconds(60)); }
  // The report after `sensor ctl stop`, read once the target has exited: Podman reads a running
  // container's files through its process's mount namespace, so a read while the container
  // exits fails (`open /proc/PID/ns/mnt: no such file`, or a cut tar).
  json report_after_stop(const std::string& id) {
    wait(id);
    return fetch_report(client, id);
  }
};

TEST_F(SensorTest, KnownAccessesInDebianImage) {
  auto id = start_target(client, target, run_args(k_known_steps));
  ASSERT_EQ(wait(id), 0) << logs_of(client, id);
  auto report = fetch_report(client, id);
  EXPECT_EQ(report.at("sensor").at("mode"), "both");
  EXPECT_EQ(report.at("version"), 1);
  EXPECT_EQ(report.at("target").at("argv").size(), k_known_steps.size());
  expect_known_accesses(report, true);
}

TEST_F(SensorTest, KnownAccessesInBusyboxOnlyImage) {
  auto id = start_target(client, target, run_args(k_known_steps), {k_busybox_image, true});
  ASSERT_EQ(wait(id), 0) << logs_of(client, id);
  auto report = fetch_report(client, id);
  EXPECT_EQ(report.at("sensor").at("mode"), "both");
  expect_known_accesses(report, true);
}

TEST_F(SensorTest, WithoutSysAdminRecordsWithPtraceOnly) {
  auto id = start_target(client, target, run_args(k_known_steps), {k_base_image, false});
  ASSERT_EQ(wait(id), 0) << logs_of(client, id);
  auto report = fetch_report(client, id);
  EXPECT_EQ(report.at("sensor").at("mode"), "ptrace");
  EXPECT_TRUE(has_warning(report, "fanotify unavailable: recording with ptrace only"));
  expect_known_accesses(report, false);
}

TEST_F(SensorTest, PtraceModeRecordsTheKnownAccessesWithOneStopPerCall) {
  auto id = start_target(client, target, run_args(k_known_steps, {"--mode", "ptrace"}));
  ASSERT_EQ(wait(id), 0) << logs_of(client, id);
  auto report = fetch_report(client, id);
  EXPECT_EQ(report.at("sensor").at("mode"), "ptrace");
  EXPECT_TRUE(report.at("warnings").empty()) << report.at("warnings");
  expect_known_accesses(report, false);
}

TEST_F(SensorTest, TraceFilterIsInPlaceButNoNewPrivsIsNot) {
  // With CAP_SYS_ADMIN the app runs under the sensor's trace-all seccomp filter (one stop per
  // call); no_new_privs stays off so setuid programs in the app keep working. Without
  // CAP_SYS_ADMIN there is no filter (PTRACE_SYSCALL), and the calls are still recorded.
  const std::vector<std::string> cmd = {"grep", "-E",
                                        "^(Seccomp|NoNewPrivs):", "/proc/self/status"};
  auto id = start_target(client, target, run_args(cmd, {"--mode", "ptrace"}));
  ASSERT_EQ(wait(id), 0) << logs_of(client, id);
  auto logs = logs_of(client, id);
  EXPECT_NE(logs.find("NoNewPrivs:\t0"), std::string::npos) << logs;
  EXPECT_NE(logs.find("Seccomp:\t2"), std::string::npos) << logs;
  auto syscalls = fetch_report(client, id).at("syscalls").get<std::set<std::string>>();
  EXPECT_EQ(syscalls.count("openat"), 1U);

  std::unique_ptr<ContainerGuard> second;
  auto plain =
      start_target(client, second, run_args(cmd, {"--mode", "ptrace"}), {k_base_image, false});
  ASSERT_EQ(wait(plain), 0) << logs_of(client, plain);
  logs = logs_of(client, plain);
  EXPECT_NE(logs.find("Seccomp:\t0"), std::string::npos) << logs;
  syscalls = fetch_report(client, plain).at("syscalls").get<std::set<std::string>>();
  EXPECT_EQ(syscalls.count("openat"), 1U);
}

TEST_F(SensorTest, PtraceModeWithoutPtraceFallsBackToFanotify) {
  const std::string no_ptrace = R"({"defaultAction":"SCMP_ACT_ALLOW",)"
                                R"("syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]})";
  auto id = start_target(client, target, run_args({"cat", "/data/a.txt"}, {"--mode", "ptrace"}),
                         {k_base_image, true, no_ptrace});
  ASSERT_EQ(wait(id), 0) << logs_of(client, id);
  auto report = fetch_report(client, id);
  EXPECT_EQ(report.at("sensor").at("mode"), "fanotify");
  EXPECT_TRUE(has_warning(report, "ptrace unavailable: recording with fanotify only"));
  EXPECT_EQ(files_of(report)["/data/a.txt"], (Ops{"open", "read"}));
}

TEST_F(SensorTest, BusyboxShellPipelineAndPtraceOnly) {
  // A shell in a libc-less image: the applet symlink is walked through, fanotify is off.
  auto id = start_target(client, target, run_args({"sh", "-c", "cat /data/a.txt | wc -c"}),
                         {k_busybox_image, false});
  ASSERT_EQ(wait(id), 0) << logs_of(client, id);
  auto report = fetch_report(client, id);
  auto files = files_of(report);
  EXPECT_EQ(files["/bin/busybox"].count("exec"), 1U);
  EXPECT_EQ(files["/bin/sh"], Ops{"readlink"});
  EXPECT_EQ(files["/data/a.txt"], Ops{"open"});
  EXPECT_TRUE(has_warning(report, "fanotify unavailable: recording with ptrace only"));
}

TEST_F(SensorTest, PlainDockerExecIsRecordedByFanotify) {
  auto id = start_target(client, target, run_args({"/opt/helper", "pause"}));
  auto res = client.exec(id, {"/opt/helper", "open:/data/c.txt"});
  ASSERT_EQ(res.exit_code, 0) << res.err;
  auto stop = client.exec(id, {"/.slim/sensor", "ctl", "stop"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_EQ(wait(id), 143);
  auto report = fetch_report(client, id);
  auto files = files_of(report);
  EXPECT_EQ(files["/data/c.txt"], (Ops{"open", "read"}));
  EXPECT_FALSE(from_exec(report, "/data/c.txt"));
  EXPECT_EQ(report.at("target").at("exit_status"), 143);
}

TEST_F(SensorTest, SensorExecIsRecordedWithItsSyscalls) {
  auto id = start_target(client, target, run_args({"/opt/helper", "pause"}));
  auto res = client.exec(
      id, {"/.slim/sensor", "exec", "--", "/opt/helper", "stat:/data/b.txt", "yield", "id"});
  ASSERT_EQ(res.exit_code, 0) << res.err;
  EXPECT_NE(res.out.find("uid=0 gid=0"), std::string::npos) << res.out;
  auto failing = client.exec(id, {"/.slim/sensor", "exec", "--", "/opt/helper", "open:/nope"});
  EXPECT_EQ(failing.exit_code, 1) << "the exec passes its command's status through";
  auto stop = client.exec(id, {"/.slim/sensor", "ctl", "stop"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  auto report = report_after_stop(id);
  auto files = files_of(report);
  EXPECT_EQ(files["/data/b.txt"], Ops{"stat"});
  EXPECT_TRUE(from_exec(report, "/data/b.txt"));
  EXPECT_EQ(files["/nope"], (Ops{"notfound", "open"}));
  auto syscalls = report.at("syscalls").get<std::set<std::string>>();
  EXPECT_EQ(syscalls.count("sched_yield"), 1U);
  EXPECT_EQ(syscalls.count("getgroups"), 1U);
  EXPECT_FALSE(from_exec(report, "/opt/helper")) << "the app runs the helper too";
}

TEST_F(SensorTest, UserByNameFromTheImagesPasswd) {
  auto id = start_target(client, target, run_args({"/opt/helper", "id"}, {"--user", "appuser"}),
                         {k_tools_image, true});
  ASSERT_EQ(wait(id), 0);
  EXPECT_NE(logs_of(client, id).find("uid=1234 gid=1234 groups=50,100 home=/home/appuser"),
            std::string::npos)
      << logs_of(client, id);
  EXPECT_EQ(fetch_report(client, id).at("target").at("user"), "1234:1234");
}

TEST_F(SensorTest, DockerStopReachesTheAppAsSigterm) {
  auto id = start_target(client, target, run_args({"/opt/helper", "exit-on-term:42"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  client.stop_container(id, 10);
  EXPECT_EQ(wait(id), 42);
  EXPECT_EQ(fetch_report(client, id).at("target").at("exit_status"), 42);
}

TEST_F(SensorTest, CtlStopWritesTheReportForAServerThatNeverExits) {
  auto id =
      start_target(client, target, run_args({"httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www"}),
                   {k_busybox_image, true});
  auto stop = client.exec(id, {"/.slim/sensor", "ctl", "stop", "--grace", "5"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_NE(stop.out.find("stopped: app exit status 143"), std::string::npos) << stop.out;
  EXPECT_EQ(wait(id), 143);
  auto report = fetch_report(client, id);
  EXPECT_EQ(report.at("target").at("exit_status"), 143);
  EXPECT_EQ(files_of(report)["/bin/busybox"].count("exec"), 1U);
}

// A sidecar that shares the target's network namespace and runs `sensor probe`.
std::string run_probe(engine::Client& client, std::unique_ptr<ContainerGuard>& guard,
                      const std::string& target_id, const std::vector<std::string>& args,
                      int& exit_code) {
  json body = container_config(k_busybox_image, args);
  body["Entrypoint"] = {"/.slim/sensor", "probe"};
  body["HostConfig"]["NetworkMode"] = "container:" + target_id;
  std::string id = client.create_container(body);
  guard = std::make_unique<ContainerGuard>(client, id);
  client.put_archive(id, "/", string_source(payload()));
  client.start_container(id);
  exit_code = client.wait_container(id, std::chrono::seconds(60));
  std::string out;
  std::string err;
  client.logs(id, string_sink(out), string_sink(err));
  return out;
}

TEST_F(SensorTest, ProbeFromASidecarInTheTargetsNetwork) {
  auto id =
      start_target(client, target, run_args({"httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www"}),
                   {k_busybox_image, true});
  int code = -1;
  auto out = run_probe(
      client, sidecar, id,
      {"http://127.0.0.1:8080/index.html", "--retries", "50", "--retry-delay", "0.1"}, code);
  ASSERT_EQ(code, 0) << out;
  auto line = json::parse(out);
  EXPECT_EQ(line.at("status"), 200);
  EXPECT_EQ(line.at("method"), "GET");
  EXPECT_EQ(line.at("size"), 19);
  EXPECT_EQ(line.at("sha256"), sha256_hex("hello from busybox\n"));
  EXPECT_GE(line.at("time_ms").get<double>(), 0.0);

  std::unique_ptr<ContainerGuard> refused;
  out = run_probe(client, refused, id,
                  {"http://127.0.0.1:1/", "--retries", "2", "--retry-delay", "0.05"}, code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(json::parse(out).at("error"), "connection refused after 2 retries");

  auto stop = client.exec(id, {"/.slim/sensor", "ctl", "stop"});
  ASSERT_EQ(stop.exit_code, 0);
  EXPECT_EQ(files_of(report_after_stop(id))["/www/index.html"].count("open"), 1U);
}

TEST_F(SensorTest, HttpsProbeWithASelfSignedCertificate) {
  auto id = start_target(
      client, target,
      run_args({"python3", "/usr/local/bin/https_server.py", "8443"}, {"--workdir", "/data"}),
      {k_tools_image, true});
  int code = -1;
  auto out =
      run_probe(client, sidecar, id,
                {"https://localhost:8443/a.txt", "--retries", "100", "--retry-delay", "0.1"}, code);
  ASSERT_EQ(code, 0) << out;
  auto line = json::parse(out);
  EXPECT_EQ(line.at("status"), 200);
  EXPECT_EQ(line.at("sha256"), sha256_hex("a\n"));
  auto stop = client.exec(id, {"/.slim/sensor", "ctl", "stop"});
  ASSERT_EQ(stop.exit_code, 0);
  auto files = files_of(report_after_stop(id));
  EXPECT_EQ(files["/data/a.txt"].count("open"), 1U);
  EXPECT_EQ(files["/etc/ssl/test.key"].count("open"), 1U);
}

} // namespace
} // namespace slim::it
