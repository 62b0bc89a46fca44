// An image under profiling must not get more than a plain `docker run` of it would: the
// hostile fixture (integration/fixtures/hostile) tries the cgroup v1 release_agent mounts,
// namespaces, keyrings, BPF, taking over the sensor, and checks setuid and file capabilities;
// every result is compared with a plain `docker run` of the same image, not hard-coded. First
// through `slim profile` (the controller's container), then the sensor's fallbacks directly.
#include "support/served.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace slim::it {
namespace {

using nlohmann::json;

const char* k_hostile = "slim-fixture/hostile:latest";
const char* k_script = "python3 /usr/local/bin/hostile.py";

// What one run of hostile.py printed: STATUS lines (Cap*, NoNewPrivs, Seccomp) and RESULT
// verdicts ("refused" or "ALLOWED").
struct Attempts {
  std::map<std::string, std::string> status;
  std::map<std::string, std::string> verdicts;
  std::string text;
};

Attempts parse_attempts(const std::string& text) {
  Attempts a;
  a.text = text;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind;
    std::string name;
    std::string value;
    words >> kind >> name >> value;
    if (kind == "STATUS" && !name.empty()) {
      a.status[name.substr(0, name.size() - 1)] = value; // "CapEff:" -> CapEff
    } else if (kind == "RESULT") {
      a.verdicts[name] = value;
    }
  }
  return a;
}

// The capability lines only.
std::map<std::string, std::string> caps_of(const Attempts& a) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : a.status) {
    if (k.starts_with("Cap")) {
      out[k] = v;
    }
  }
  return out;
}

// `docker run --rm` of the hostile image with `flags`, running hostile.py `sections`.
Attempts docker_run(const std::string& flags, const std::string& sections) {
  auto r = run_command("docker run --rm --network none --label io.slim.owner=test " + flags + " " +
                       k_hostile + " " + k_script + " " + sections);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return parse_attempts(r.out);
}

struct Profiled {
  CommandResult run;
  Attempts app;                  ///< the app's output (--show-clogs)
  json report;                   ///< slim.report.json
  json profile;                  ///< the generated seccomp profile
  std::set<std::string> allowed; ///< what the profile allows
};

class Confinement : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = std::filesystem::temp_directory_path() /
            ("slim-it-confine-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }

  // `slim profile` of the hostile image; `sections` (then `linger`: the image's HEALTHCHECK,
  // which slim runs, needs the app running) override its CMD unless empty.
  Profiled profile(const std::string& flags, const std::string& sections,
                   const std::string& continue_after = "exit") {
    Profiled p;
    std::string cmd =
        sections.empty() ? "" : " --cmd '" + std::string(k_script) + " " + sections + " linger'";
    p.run = run_command(slim_binary() + " profile --show-clogs --continue-after " + continue_after +
                            " --report " + (m_dir / "r.json").string() + " --seccomp-profile " +
                            (m_dir / "p.json").string() + " " + flags + cmd + " " + k_hostile,
                        std::chrono::seconds(300));
    EXPECT_EQ(p.run.exit_code, 0) << p.run.err;
    const std::string& err = p.run.err;
    auto begin = err.find("--- the app's output ---\n");
    auto end = err.find("--- end ---");
    if (begin != std::string::npos && end != std::string::npos) {
      begin += 25;
      p.app = parse_attempts(err.substr(begin, end - begin));
    }
    p.report = json::parse(read_text(m_dir / "r.json"), nullptr, false);
    p.profile = json::parse(read_text(m_dir / "p.json"), nullptr, false);
    if (p.profile.is_object()) {
      for (const auto& rule : p.profile["syscalls"]) {
        for (const auto& n : rule["names"]) {
          p.allowed.insert(n.get<std::string>());
        }
      }
    }
    return p;
  }

  std::filesystem::path m_dir;
};

std::set<std::string> strings_of(const json& j) {
  std::set<std::string> out;
  if (j.is_array()) {
    for (const auto& v : j) {
      out.insert(v.get<std::string>());
    }
  }
  return out;
}

// Every attempt refused, and exactly the attempts a plain `docker run` makes.
void expect_all_refused(const Attempts& profiled, const Attempts& plain) {
  ASSERT_FALSE(profiled.verdicts.empty()) << profiled.text;
  for (const auto& [name, verdict] : profiled.verdicts) {
    EXPECT_EQ(verdict, "refused") << name << "\n" << profiled.text;
  }
  std::set<std::string> a;
  std::set<std::string> b;
  for (const auto& [name, v] : profiled.verdicts) {
    a.insert(name);
  }
  for (const auto& [name, v] : plain.verdicts) {
    b.insert(name);
    EXPECT_EQ(v, "refused") << "a plain docker run refuses " << name << " too";
  }
  EXPECT_EQ(a, b);
}

TEST_F(Confinement, CapabilitiesEqualThoseOfAPlainDockerRun) {
  // Root, a non-root USER, and --cap-add (an ordinary capability, and one the sensor needs
  // itself, which it then leaves to the app).
  for (const std::string flags : {"", "--user appuser", "--cap-add NET_ADMIN",
                                  "--cap-add SYS_ADMIN", "--user appuser --cap-add SYS_PTRACE"}) {
    SCOPED_TRACE("flags: " + flags);
    auto plain = docker_run(flags, "caps");
    auto profiled = profile(flags, "caps");
    ASSERT_EQ(caps_of(plain).size(), 5U) << plain.text;
    EXPECT_EQ(caps_of(profiled.app), caps_of(plain)) << profiled.app.text;
    EXPECT_EQ(profiled.app.status["NoNewPrivs"], "0");
    EXPECT_EQ(profiled.app.status["Seccomp"], "2");
  }
}

TEST_F(Confinement, TheMountsOfTheReleaseAgentEscapeAreRefused) {
  // On a cgroup v1 host (/sys/fs/cgroup a tmpfs of hierarchies) the memory mount used to
  // succeed and release_agent was writable; on either kind of host it must be refused.
  auto host = run_command("stat -fc %T /sys/fs/cgroup");
  RecordProperty("host_cgroup_fs", host.out.substr(0, host.out.find('\n')));
  auto plain = docker_run("", "mounts");
  auto profiled = profile("", "mounts");
  expect_all_refused(profiled.app, plain);
  EXPECT_EQ(profiled.app.verdicts.count("release-agent-write"), 0U);
  auto denied = strings_of(profiled.report["denied_while_profiling"]);
  for (const char* call : {"mount", "umount2", "fsopen"}) {
    EXPECT_EQ(denied.count(call), 1U) << call << " " << profiled.report["denied_while_profiling"];
    EXPECT_EQ(strings_of(profiled.report["syscalls"]).count(call), 0U) << call;
    EXPECT_EQ(profiled.allowed.count(call), 0U) << call << " must not be in the profile";
  }
}

TEST_F(Confinement, NamespacesKeyringsAndBpfAreRefusedAndListedAsDenied) {
  auto plain = docker_run("", "calls");
  auto profiled = profile("", "calls");
  expect_all_refused(profiled.app, plain);
  auto denied = strings_of(profiled.report["denied_while_profiling"]);
  for (const char* call : {"unshare", "setns", "keyctl", "add_key", "request_key", "bpf",
                           "perf_event_open", "userfaultfd", "personality"}) {
    EXPECT_EQ(denied.count(call), 1U) << call << " " << profiled.report["denied_while_profiling"];
    EXPECT_EQ(strings_of(profiled.report["syscalls"]).count(call), 0U) << call;
    EXPECT_EQ(profiled.allowed.count(call), 0U) << call << " must not be in the profile";
  }
  bool warned = false;
  for (const auto& w : profiled.report["warnings"]) {
    warned = warned || w.get<std::string>().starts_with("denied while profiling");
  }
  EXPECT_TRUE(warned) << profiled.report["warnings"];
}

TEST_F(Confinement, TheAppCannotTakeOverTheSensor) {
  // ptrace of PID 1, its memory and descriptors, its control socket, /.slim, and signals: all
  // for nothing; the report is the sensor's own and complete (the marker read after the
  // attempts is in it), and the daemon the app leaves behind does not keep the run alive.
  auto profiled = profile("", "sensor");
  ASSERT_FALSE(profiled.app.verdicts.empty()) << profiled.run.err;
  for (const auto& [name, verdict] : profiled.app.verdicts) {
    EXPECT_EQ(verdict, "refused") << name << "\n" << profiled.app.text;
  }
  EXPECT_NE(profiled.app.text.find("SURVIVED"), std::string::npos) << profiled.app.text;
  EXPECT_EQ(profiled.report["target"]["exit_status"], 0);
  bool marker = false;
  for (const auto& f : profiled.report["files"]) {
    marker = marker || f["path"] == "/etc/debian_version";
  }
  EXPECT_TRUE(marker) << "the report holds what the app did after its attempts";
  bool refused_clients = false;
  for (const auto& w : profiled.report["warnings"]) {
    refused_clients =
        refused_clients || w.get<std::string>().find("control connections from the app's processes "
                                                     "refused") != std::string::npos;
  }
  EXPECT_TRUE(refused_clients) << profiled.report["warnings"];
}

TEST_F(Confinement, SetuidAndFileCapabilitiesWorkAsUnderAPlainDockerRun) {
  auto plain = docker_run("--user appuser", "setuid caps");
  auto profiled = profile("--user appuser", "setuid caps");
  ASSERT_EQ(plain.verdicts.size(), 3U) << plain.text;
  EXPECT_EQ(plain.verdicts["su-to-root"], "ALLOWED") << plain.text;
  EXPECT_EQ(plain.verdicts["file-caps-raw-socket"], "ALLOWED") << plain.text;
  EXPECT_EQ(profiled.app.verdicts, plain.verdicts) << profiled.app.text;
  EXPECT_EQ(profiled.app.status["NoNewPrivs"], "0");
}

TEST_F(Confinement, ExecsAndTheHealthcheckRunConfinedAndTheEngineRunsNoHealthcheck) {
  // The image's CMD waits; its HEALTHCHECK (every second for the engine) and an --exec try
  // the mounts and calls. Each must get the app's capabilities and refusals, and the engine
  // must not run the HEALTHCHECK itself (it would run with the container's capabilities).
  auto plain = docker_run("", "brief caps mounts calls");
  auto profiled =
      profile("--exec '" + std::string(k_script) + " brief caps calls'", "", "timeout:4");
  const json& execs = profiled.report["probes"]["original"]["execs"];
  ASSERT_EQ(execs.size(), 2U) << profiled.report["probes"];
  std::string brief_plain = plain.text.substr(0, plain.text.find('\n'));
  ASSERT_TRUE(brief_plain.starts_with("BRIEF ")) << plain.text;
  EXPECT_NE(brief_plain.find("allowed=-"), std::string::npos) << brief_plain;
  std::string health = execs[1]["output"].get<std::string>();
  EXPECT_EQ(health.substr(0, health.find('\n')), brief_plain) << execs[1];
  std::string exec_out = execs[0]["output"].get<std::string>();
  EXPECT_NE(exec_out.find(brief_plain.substr(0, brief_plain.find(" allowed="))), std::string::npos)
      << exec_out;
  EXPECT_NE(exec_out.find("allowed=- "), std::string::npos) << exec_out;
  auto denied = strings_of(profiled.report["denied_while_profiling"]);
  EXPECT_EQ(denied.count("unshare"), 1U) << "execs' refusals are listed too";
  EXPECT_EQ(denied.count("mount"), 1U) << "the HEALTHCHECK's too";
  std::string app_capeff = plain.text.substr(plain.text.find("CapEff=") + 7, 16);
  std::set<std::string> marks;
  for (const auto& f : profiled.report["files"]) {
    std::string path = f["path"];
    if (path.starts_with("/tmp/healthcheck-capeff-")) {
      marks.insert(path.substr(24));
    }
  }
  EXPECT_EQ(marks, std::set<std::string>{app_capeff})
      << "a HEALTHCHECK with other capabilities ran (the engine's own?)";
}

// -- the sensor directly: what it does where the controller's container is not what it gets --

std::string sensor_payload() {
  std::ifstream in(sensor_binary(), std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return make_tar(
      {{".slim", "", 0755, TarEntry::Type::directory}, {".slim/sensor", bytes.str(), 0755}});
}

struct Direct {
  int status = -1;
  Attempts app;
  json report;
};

// The hostile image with the sensor as PID 1 (`sensor run ARGS -- hostile.py SECTIONS`),
// `caps` added, under `seccomp`.
Direct run_sensor(engine::Client& client, const std::vector<std::string>& run_args,
                  const std::string& sections, const std::vector<std::string>& caps,
                  const std::string& seccomp = "unconfined") {
  std::vector<std::string> args = {"run"};
  args.insert(args.end(), run_args.begin(), run_args.end());
  args.insert(args.end(), {"--", "python3", "/usr/local/bin/hostile.py"});
  std::istringstream words(sections);
  for (std::string w; words >> w;) {
    args.push_back(w);
  }
  json body = container_config(k_hostile, args);
  body["Entrypoint"] = {"/.slim/sensor"};
  body["User"] = "0:0";
  body["HostConfig"]["CapAdd"] = caps;
  body["HostConfig"]["SecurityOpt"] = {"seccomp=" + seccomp};
  std::string id = client.create_container(body);
  ContainerGuard guard(client, id);
  client.put_archive(id, "/", string_source(sensor_payload()));
  client.start_container(id);
  Direct d;
  d.status = client.wait_container(id, std::chrono::seconds(120));
  std::string out;
  std::string err;
  client.logs(id, string_sink(out), string_sink(err));
  d.app = parse_attempts(out);
  std::string tar;
  client.get_archive(id, "/.slim/report.json", string_sink(tar));
  auto files = read_tar_files(tar);
  d.report = json::parse(files["report.json"], nullptr, false);
  return d;
}

class SensorConfinement : public ::testing::Test {
protected:
  engine::Client client = connect_client();
};

TEST_F(SensorConfinement, WithoutSysAdminTheTracerRefusesTheCallsItself) {
  // No filter can go in without CAP_SYS_ADMIN (but under no_new_privs): the tracer refuses
  // at each call's entry stop, lists the calls, and setuid programs still work.
  auto plain = docker_run("--user appuser", "calls");
  auto d = run_sensor(client, {"--mode", "ptrace", "--user", "appuser"}, "caps calls setuid",
                      {"SYS_PTRACE"});
  ASSERT_EQ(d.status, 0) << d.app.text;
  EXPECT_EQ(d.report["sensor"]["confinement"], "ptrace");
  EXPECT_EQ(d.app.status["NoNewPrivs"], "0");
  EXPECT_EQ(d.app.status["Seccomp"], "0");
  for (const auto& [name, verdict] : plain.verdicts) {
    EXPECT_EQ(d.app.verdicts[name], "refused") << name << "\n" << d.app.text;
  }
  EXPECT_EQ(d.app.verdicts["su-to-root"], "ALLOWED") << d.app.text;
  auto denied = strings_of(d.report["denied_syscalls"]);
  for (const char* call : {"unshare", "keyctl", "bpf"}) {
    EXPECT_EQ(denied.count(call), 1U) << call << " " << d.report["denied_syscalls"];
  }
}

TEST_F(SensorConfinement, WithoutATracerTheErrnoFilterRefusesThem) {
  auto plain = docker_run("", "calls mounts");
  auto d =
      run_sensor(client, {"--mode", "fanotify"}, "caps calls mounts", {"SYS_ADMIN", "SYS_PTRACE"});
  ASSERT_EQ(d.status, 0) << d.app.text;
  EXPECT_EQ(d.report["sensor"]["confinement"], "seccomp-errno");
  EXPECT_EQ(d.app.status["NoNewPrivs"], "0");
  expect_all_refused(d.app, plain);
}

TEST_F(SensorConfinement, WithNeitherPtraceNorSysAdminItFailsClosedUnderNoNewPrivs) {
  const std::string no_ptrace = R"({"defaultAction":"SCMP_ACT_ALLOW",)"
                                R"("syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]})";
  auto plain = docker_run("", "calls mounts");
  auto d = run_sensor(client, {}, "caps calls mounts", {}, no_ptrace);
  ASSERT_EQ(d.status, 0) << d.app.text;
  EXPECT_EQ(d.report["sensor"]["confinement"], "seccomp-errno+no_new_privs");
  EXPECT_EQ(d.app.status["NoNewPrivs"], "1");
  expect_all_refused(d.app, plain);
}

TEST_F(SensorConfinement, TheControllerStillRunsTheRealSensorAfterTheAttempts) {
  // The app attacks /.slim and PID 1 and stays; then `docker exec /.slim/sensor` (what the
  // controller runs with the container's full capabilities) is still the sensor put in, and
  // `ctl stop` from it is obeyed.
  std::vector<std::string> args = {"run",    "--",  "python3", "/usr/local/bin/hostile.py",
                                   "sensor", "wait"};
  json body = container_config(k_hostile, args);
  body["Entrypoint"] = {"/.slim/sensor"};
  body["User"] = "0:0";
  body["HostConfig"]["CapAdd"] = {"SYS_ADMIN", "SYS_PTRACE"};
  body["HostConfig"]["SecurityOpt"] = {"seccomp=unconfined"};
  std::string id = client.create_container(body);
  ContainerGuard guard(client, id);
  client.put_archive(id, "/", string_source(sensor_payload()));
  client.start_container(id);
  std::string out;
  for (int i = 0; i < 100 && out.find("SURVIVED") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    out.clear();
    std::string err;
    client.logs(id, string_sink(out), string_sink(err));
  }
  ASSERT_NE(out.find("SURVIVED"), std::string::npos) << out;
  auto sum = client.exec(id, {"sha256sum", "/.slim/sensor"});
  auto host_sum = run_command("sha256sum " + sensor_binary());
  EXPECT_EQ(sum.out.substr(0, 64), host_sum.out.substr(0, 64));
  auto stop = client.exec(id, {"/.slim/sensor", "ctl", "stop"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_NE(stop.out.find("stopped: app exit status 0"), std::string::npos) << stop.out;
  EXPECT_EQ(client.wait_container(id, std::chrono::seconds(60)), 0);
}

} // namespace
} // namespace slim::it
