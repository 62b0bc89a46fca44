// Exec probes (issue 17) and profiles users can roll out (issue 16), end to end on images
// without a shell: a shell-syntax --exec runs through slim's own busybox (never kept, its calls
// never in the profile), an --exec that fails in the original is an error and no image; the
// profile allows harmless calls on pages the probes missed, refuses socket families it never
// saw, and can be written in log mode, as an SPO manifest, and merged.
#include "support/served.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace slim::it {
namespace {

// A shell-syntax probe for a service on PORT: wait until WAIT_PATH answers, then fetch PATHS.
std::string wait_and_fetch(int port, const std::vector<std::string>& paths,
                           const std::string& wait_path = "/") {
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  std::string cmd = "i=0; while ! wget -qO- " + base + wait_path +
                    " >/dev/null 2>&1 && [ $i -lt 40 ]; do i=$((i+1)); sleep 0.25; done";
  for (const auto& p : paths) {
    cmd += "; wget -qO- \"" + base + p + "\" || exit 1";
  }
  return cmd;
}

struct Built {
  CommandResult run;
  nlohmann::json report;
  nlohmann::json profile;
  std::string tag;
};

class ExecProbe : public ::testing::Test {
protected:
  // `slim build ARGS slim-fixture/NAME:latest`, args already shell-quoted, in a private dir.
  Built build(const std::string& fixture, const std::string& args) {
    Built b;
    b.tag = "slim-it/" + fixture + ":exec";
    b.run = run_command("cd " + m_dir.path().string() + " && " + slim_binary() +
                            " build --log-level warn --tag " + b.tag + " --seccomp-profile " +
                            profile_path().string() + " " + args + " slim-fixture/" + fixture +
                            ":latest",
                        std::chrono::seconds(600));
    auto report = read_text(m_dir / "slim.report.json");
    b.report = nlohmann::json::parse(report.empty() ? "{}" : report, nullptr, false);
    auto profile = read_text(profile_path());
    b.profile = nlohmann::json::parse(profile.empty() ? "{}" : profile, nullptr, false);
    return b;
  }
  std::filesystem::path profile_path() const { return m_dir / "profile.json"; }

  // GET each of `paths` from outside: the image under the profile, as its clients see it.
  std::vector<HttpAnswer> serve_and_get(const std::string& image, int port,
                                        const std::vector<std::string>& paths) {
    ServedImage served(image, profile_path());
    std::vector<HttpAnswer> out;
    for (const auto& path : paths) {
      out.push_back(served.get(port, path));
    }
    return out;
  }

  TestDir m_dir{"slim-it-exec"};
};

std::set<std::string> names(const nlohmann::json& arr) {
  std::set<std::string> out;
  for (const auto& v : arr) {
    out.insert(v.get<std::string>());
  }
  return out;
}

std::set<std::string> allowed(const nlohmann::json& profile) {
  std::set<std::string> out;
  for (const auto& rule : profile["syscalls"]) {
    if (rule.value("action", "") == "SCMP_ACT_ALLOW") {
      for (const auto& n : rule["names"]) {
        out.insert(n.get<std::string>());
      }
    }
  }
  return out;
}

void expect_no_probe_shell_calls_in_the_profile(const Built& b) {
  auto probe_only = names(b.report["probe_shell_syscalls"]);
  EXPECT_FALSE(probe_only.empty()) << "the probe shell's own calls are told apart";
  auto in_profile = allowed(b.profile);
  auto baseline = names(b.report["seccomp"]["from_baseline"]);
  auto runtime = names(b.report["seccomp"]["added_by_runtime"]);
  for (const auto& n : probe_only) {
    if (baseline.count(n) == 0 && runtime.count(n) == 0) {
      EXPECT_EQ(in_profile.count(n), 0u) << n << " only the probe shell made";
    }
  }
  for (const auto& p : b.report["paths"]) {
    EXPECT_NE(p.value("path", "").rfind("/.slim", 0), 0u) << p.dump();
  }
}

TEST_F(ExecProbe, ShellSyntaxProbeExercisesAPythonServiceWithoutAShell) {
  auto client = connect_client();
  ImageGuard guard(client, "slim-it/noshell-py:exec");
  auto b = build("noshell-py",
                 "--exec '" +
                     wait_and_fetch(8000, {"/health", "/normalize?v=1.5&v=2.5"}, "/health") + "'");
  ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  expect_no_probe_shell_calls_in_the_profile(b);
  auto got = serve_and_get(b.tag, 8000, {"/normalize?v=1&v=3"});
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[0].body, "{\"mean\": \"2\", \"n\": 2}");
  auto shell =
      run_command("docker run --rm --network none --entrypoint /.slim/busybox " + b.tag + " true");
  EXPECT_NE(shell.exit_code, 0) << "the probe shell is not in the image";
}

TEST_F(ExecProbe, ShellSyntaxProbeExercisesACompiledServerWithoutAShell) {
  auto client = connect_client();
  ImageGuard guard(client, "slim-it/cserver:exec");
  auto b = build("cserver", "--exec '" + wait_and_fetch(8090, {"/whoami"}) + "'");
  ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  expect_no_probe_shell_calls_in_the_profile(b);
  auto got = serve_and_get(b.tag, 8090, {"/", "/whoami"});
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[1].status, 200);
  EXPECT_EQ(got[1].body.rfind("uid=0 euid=0", 0), 0u) << got[1].body;
}

TEST_F(ExecProbe, AProbeThatFailsInTheOriginalIsAnErrorAndNoImage) {
  auto client = connect_client();
  ImageGuard guard(client, "slim-it/noshell-py:exec");
  // Not found (no shell needed: run directly).
  auto missing = build("noshell-py", "--exec 'no-such-command --flag'");
  EXPECT_EQ(missing.run.exit_code, 1) << missing.run.err;
  EXPECT_NE(missing.run.err.find("exited 127 in the original image (command not found: "
                                 "`no-such-command`); the app was not exercised"),
            std::string::npos)
      << missing.run.err;
  EXPECT_THROW(client.inspect_image("slim-it/noshell-py:exec"), engine::EngineError);
  // A check that fails (404 -> wget exits 1), through the probe shell.
  auto failing = build("noshell-py", "--exec '" + wait_and_fetch(8000, {"/nope"}, "/health") + "'");
  EXPECT_EQ(failing.run.exit_code, 1) << failing.run.err;
  EXPECT_NE(failing.run.err.find("exited 1 in the original image"), std::string::npos)
      << failing.run.err;
  EXPECT_NE(failing.run.err.find("404"), std::string::npos) << "the command's output is shown";
  // ... unless the user says failing is what it checks.
  auto allowed_exit = build("noshell-py", "--exec-allow-exit 1 --exec '" +
                                              wait_and_fetch(8000, {"/nope"}, "/health") + "'");
  EXPECT_EQ(allowed_exit.run.exit_code, 0) << allowed_exit.run.err;
}

// Issue 16: the profile of a build with no flags lets a page the probes never visited use
// harmless calls, and refuses a socket family nothing used while profiling.
TEST_F(ExecProbe, UnprobedPagesGetHarmlessCallsButNoNewSocketFamily) {
  auto client = connect_client();
  ImageGuard guard(client, "slim-it/cserver:exec");
  auto b = build("cserver", "");
  ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  auto got = serve_and_get(b.tag, 8090, {"/", "/whoami", "/raw"});
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[1].status, 200) << got[1].body; // getuid, uname, getcwd: the baseline
  EXPECT_EQ(got[2].status, 500);
  EXPECT_EQ(got[2].body, "socket(AF_PACKET): Operation not permitted\n");
  bool socket_filtered = false;
  for (const auto& f : b.report["seccomp"]["arg_filters"]) {
    socket_filtered = socket_filtered || f.value("name", "") == "socket";
  }
  EXPECT_TRUE(socket_filtered) << b.report["seccomp"].dump();
  std::printf("[ profile  ] cserver: %d rule(s), %d name(s)\n",
              b.report["seccomp"].value("rules", 0), b.report["seccomp"].value("names", 0));

  // The strict list of before: the same page fails on a call the probes never saw.
  auto strict = build("cserver", "--seccomp-baseline none");
  ASSERT_EQ(strict.run.exit_code, 0) << strict.run.err;
  auto before = serve_and_get(strict.tag, 8090, {"/whoami"});
  EXPECT_EQ(before[0].status, 500) << before[0].body;
  std::printf("[ profile  ] cserver --seccomp-baseline none: %d rule(s), %d name(s)\n",
              strict.report["seccomp"].value("rules", 0),
              strict.report["seccomp"].value("names", 0));
}

TEST_F(ExecProbe, LogModeProfileStartsAndAllowsWhatItWouldRefuse) {
  auto client = connect_client();
  ImageGuard guard(client, "slim-it/cserver:exec");
  auto b = build("cserver", "--seccomp-action log --seccomp-baseline none");
  ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  EXPECT_EQ(b.profile.value("defaultAction", ""), "SCMP_ACT_LOG");
  auto got = serve_and_get(b.tag, 8090, {"/whoami"});
  EXPECT_EQ(got[0].status, 200) << "logged, not refused";
}

TEST_F(ExecProbe, KubernetesFormatAndMergeOfTwoRuns) {
  auto client = connect_client();
  ImageGuard guard(client, "slim-it/cserver:exec");
  auto spo = build("cserver", "--seccomp-format kubernetes");
  ASSERT_EQ(spo.run.exit_code, 0) << spo.run.err;
  auto yaml = read_text(profile_path());
  EXPECT_NE(yaml.find("apiVersion: security-profiles-operator.x-k8s.io/v1beta1"), std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("kind: SeccompProfile"), std::string::npos);
  EXPECT_NE(yaml.find("defaultAction: SCMP_ACT_ERRNO"), std::string::npos);
  // Two runs with different probes merge into one profile allowing what either saw.
  std::filesystem::copy_file(m_dir / "slim.report.json", m_dir / "run1.json");
  auto second = build("cserver", "--exec '" + wait_and_fetch(8090, {"/whoami"}) + "'");
  ASSERT_EQ(second.run.exit_code, 0) << second.run.err;
  auto merged = run_command(slim_binary() + " seccomp merge " + (m_dir / "run1.json").string() +
                            " " + (m_dir / "slim.report.json").string() + " -o " +
                            (m_dir / "merged.json").string());
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  auto profile = nlohmann::json::parse(read_text(m_dir / "merged.json"));
  auto all = allowed(profile);
  for (const auto& n : names(spo.report["syscalls"])) {
    EXPECT_EQ(all.count(n), 1u) << n;
  }
  for (const auto& n : names(second.report["syscalls"])) {
    EXPECT_EQ(all.count(n), 1u) << n;
  }
}

} // namespace
} // namespace slim::it
