// slim build options whose effect only shows end to end: --include-shell and --include-bin keep
// tools the app never ran (and what they need), --continue-after signal and enter end the run
// when the user says so, not before.
#include "support/process.hpp"
#include "support/served.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unistd.h>

namespace slim::it {
namespace {

using namespace std::chrono_literals;

class BuildOptions : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = std::filesystem::temp_directory_path() /
            ("slim-it-options-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(m_dir);
    m_tag = "slim-it-options/" + std::to_string(::getpid()) + ":slim";
    m_guard.emplace(m_client, m_tag);
  }
  void TearDown() override {
    m_guard.reset();
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }

  std::vector<std::string> slim_args(const std::vector<std::string>& extra,
                                     const std::string& image) {
    std::vector<std::string> argv = {slim_binary(),
                                     "build",
                                     "--tag",
                                     m_tag,
                                     "--report",
                                     (m_dir / "report.json").string(),
                                     "--seccomp-profile",
                                     (m_dir / "seccomp.json").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(image);
    return argv;
  }

  // Runs `docker run` of the result with `entrypoint_and_args` (shell words), unconfined.
  CommandResult run_result(const std::string& entrypoint, const std::string& args) {
    return run_command("docker run --rm --network none --label io.slim.owner=test --entrypoint " +
                       entrypoint + " " + m_tag + " " + args);
  }

  engine::Client m_client = connect_client();
  std::filesystem::path m_dir;
  std::string m_tag;
  std::optional<ImageGuard> m_guard;
};

TEST_F(BuildOptions, IncludeShellAndIncludeBinKeepToolsTheAppNeverRan) {
  // The batch job runs bash, sort, gzip...; never /bin/sh (dash) nor tac.
  Process slim(
      slim_args({"--log-level", "warn", "--include-shell", "--include-bin", "/usr/bin/tac"},
                "slim-fixture/batch:latest"));
  auto code = slim.wait(300s);
  ASSERT_EQ(code, 0) << slim.err();
  auto piped = run_result("/bin/sh", "-c 'printf \"1\\n2\\n3\\n\" | /usr/bin/tac'");
  EXPECT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.out, "3\n2\n1\n");

  // Without the flags neither is there (so the check above is the flags' doing).
  Process plain(slim_args({"--log-level", "warn"}, "slim-fixture/batch:latest"));
  ASSERT_EQ(plain.wait(300s), 0) << plain.err();
  EXPECT_NE(run_result("/bin/sh", "-c true").exit_code, 0);
  EXPECT_NE(run_result("/usr/bin/tac", "/dev/null").exit_code, 0);
}

TEST_F(BuildOptions, ContinueAfterSignalWaitsForSigusr1) {
  Process slim(slim_args(
      {"--log-level", "info", "--cmd", "sleep 1000", "--continue-after", "signal", "--no-verify"},
      "slim-fixture/batch:latest"));
  ASSERT_TRUE(slim.wait_for_stderr("send SIGUSR1 to slim", 120s)) << slim.err();
  EXPECT_EQ(slim.wait(2s), std::nullopt) << "the run ended before the signal: " << slim.err();
  slim.signal(SIGUSR1);
  auto code = slim.wait(120s);
  ASSERT_EQ(code, 0) << slim.err();
  auto sleep = run_result("/usr/bin/sleep", "0");
  EXPECT_EQ(sleep.exit_code, 0) << sleep.err;
}

TEST_F(BuildOptions, ContinueAfterEnterEndsTheRunAtEndOfInput) {
  // Stdin is /dev/null here, as in CI: end of input counts as Enter instead of hanging.
  Process slim(slim_args(
      {"--log-level", "warn", "--cmd", "sleep 1000", "--continue-after", "enter", "--no-verify"},
      "slim-fixture/batch:latest"));
  auto code = slim.wait(120s);
  ASSERT_EQ(code, 0) << slim.err();
  EXPECT_NE(slim.err().find("press Enter to end the run"), std::string::npos) << slim.err();
}

TEST_F(BuildOptions, AllowAppFailureBuildsFromARunThatExitsNonZero) {
  const std::vector<std::string> failing = {"--log-level", "warn", "--cmd",
                                            "sh -c 'echo usage: tool FILE; exit 1'"};
  Process refused(slim_args(failing, "slim-fixture/batch:latest"));
  EXPECT_EQ(refused.wait(120s), 1) << refused.err();
  EXPECT_NE(refused.err().find("failed with exit status 1"), std::string::npos) << refused.err();

  auto allowed_args = failing;
  allowed_args.emplace_back("--allow-app-failure");
  Process allowed(slim_args(allowed_args, "slim-fixture/batch:latest"));
  ASSERT_EQ(allowed.wait(300s), 0) << allowed.err();
  // The result does what the profiled command did: usage and exit 1.
  auto r = run_result("/usr/bin/sh", "-c 'echo usage: tool FILE; exit 1'");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "usage: tool FILE\n");
}

// DockerSlim's everyday spellings: --target for the image, --continue-after N seconds,
// --http-probe=false and --http-crawl=false (flags take one value each, so a list option
// before the image does not swallow it).
TEST_F(BuildOptions, DockerSlimSpellingsWork) {
  auto r = run_command(slim_binary() + " profile --log-level warn --report " +
                       (m_dir / "p.json").string() + " --seccomp-profile " +
                       (m_dir / "s.json").string() +
                       " --http-probe=false --http-crawl=false --continue-after 2 --target "
                       "slim-fixture/nginx:latest");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(read_text(m_dir / "p.json"));
  EXPECT_TRUE(report["probes"]["original"]["probes"].empty()) << "no HTTP probe was sent";
  double exercised = 0;
  for (const auto& t : report["timings"]) {
    if (t.value("pass", "") == "exercise") {
      exercised = t.value("seconds", 0.0);
    }
  }
  EXPECT_GE(exercised, 1.9) << "--continue-after 2 waited two seconds";
  auto both = run_command(slim_binary() + " profile --target slim-fixture/nginx:latest "
                                          "slim-fixture/nginx:latest");
  EXPECT_NE(both.exit_code, 0) << "the image given twice is refused";
  auto list = run_command(slim_binary() + " profile --log-level warn --report " +
                          (m_dir / "p2.json").string() + " --seccomp-profile " +
                          (m_dir / "s2.json").string() +
                          " --http-probe-ports 80 slim-fixture/nginx:latest");
  EXPECT_EQ(list.exit_code, 0) << list.err;
}

// CI: --output json is one JSON document on stdout, GITHUB_STEP_SUMMARY gets a Markdown
// section, for a build that verified and for one that failed before it had a report.
TEST_F(BuildOptions, OutputJsonAndTheGithubStepSummary) {
  auto summary = m_dir / "summary.md";
  auto ok = run_command("cd " + m_dir.string() + " && GITHUB_STEP_SUMMARY=" + summary.string() +
                        " " + slim_binary() + " build --log-level warn --output json --tag " +
                        m_tag + " slim-fixture/nginx:latest");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto doc = nlohmann::json::parse(ok.out); // nothing but the document on stdout
  EXPECT_EQ(doc["verdict"], "verified");
  EXPECT_EQ(doc["exit_code"], 0);
  EXPECT_EQ(doc["result"]["tags"][0], m_tag);
  EXPECT_GT(doc["ratio"].get<double>(), 5.0);
  EXPECT_EQ(doc["files"]["html"], "slim.report.html");
  EXPECT_NE(ok.err.find("verified:"), std::string::npos) << "the human lines went to stderr";
  auto md = read_text(summary);
  EXPECT_NE(md.find("### slim: `slim-fixture/nginx:latest`"), std::string::npos) << md;
  EXPECT_NE(md.find(":white_check_mark: verified"), std::string::npos) << md;

  auto missing = run_command("GITHUB_STEP_SUMMARY=" + summary.string() + " " + slim_binary() +
                             " build --output json slim-fixture/does-not-exist:latest");
  EXPECT_EQ(missing.exit_code, 1);
  auto err = nlohmann::json::parse(missing.out);
  EXPECT_EQ(err["verdict"], "error");
  EXPECT_NE(err["error"].get<std::string>().find("no image"), std::string::npos);
  EXPECT_NE(read_text(summary).find(":x: **failed** (exit 1)"), std::string::npos);
}

// The paths of an image's files, from a container of it (created, never started).
std::set<std::string> image_files(const std::string& image) {
  auto id = run_command("docker create --network none --label io.slim.owner=test " + image +
                        " /nonexistent");
  EXPECT_EQ(id.exit_code, 0) << id.err;
  std::string cid = id.out.substr(0, id.out.find('\n'));
  auto list = run_command("docker export " + cid + " | tar -t");
  run_command("docker rm -f " + cid);
  std::set<std::string> out;
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);) {
    out.insert(line);
  }
  return out;
}

std::size_t count_under(const std::set<std::string>& files, const std::string& dir) {
  return static_cast<std::size_t>(std::count_if(files.begin(), files.end(), [&](const auto& f) {
    return f.size() > dir.size() && f.starts_with(dir);
  }));
}

// The DockerSlim/mint flags users migrate with (README's flag table) do what they say: files
// of commands and of paths, whole certificate and time zone trees, a program by name, the
// reports copied for CI, --expose.
TEST_F(BuildOptions, DockerSlimMigrationFlagsKeepWhatTheyName) {
  {
    std::ofstream(m_dir / "exec.txt") << "/usr/local/bin/fetch.sh";
    std::ofstream(m_dir / "paths.txt") << "# docs we ship\n  /usr/share/doc/curl  \n\n";
  }
  auto artifacts = m_dir / "artifacts";
  Process slim(slim_args({"--log-level", "warn", "--cmd", "sleep infinity", "--exec-file",
                          (m_dir / "exec.txt").string(), "--include-path-file",
                          (m_dir / "paths.txt").string(), "--include-cert-all",
                          "--include-zoneinfo", "--include-exe", "tac", "--copy-meta-artifacts",
                          artifacts.string(), "--expose", "4443", "--http-probe-off"},
                         "slim-fixture/tlsclient:latest"));
  ASSERT_EQ(slim.wait(300s), 0) << slim.err();
  EXPECT_EQ(slim.err().find("--include"), std::string::npos) << "no warning: " << slim.err();

  auto original = image_files("slim-fixture/tlsclient:latest");
  auto result = image_files(m_tag);
  std::size_t certs = count_under(original, "etc/ssl/certs/");
  ASSERT_GT(certs, 100u);
  EXPECT_EQ(count_under(result, "etc/ssl/certs/"), certs) << "--include-cert-all keeps them all";
  EXPECT_EQ(count_under(result, "usr/share/ca-certificates/"),
            count_under(original, "usr/share/ca-certificates/"));
  EXPECT_TRUE(result.contains("usr/share/zoneinfo/Europe/Paris"));
  EXPECT_EQ(count_under(result, "usr/share/zoneinfo/"),
            count_under(original, "usr/share/zoneinfo/"));
  EXPECT_TRUE(result.contains("usr/share/doc/curl/copyright")) << "from --include-path-file";
  EXPECT_FALSE(result.contains("usr/share/doc/openssl/copyright")) << "not asked for";
  auto tac = run_result("/usr/bin/tac", "/etc/hostname");
  EXPECT_EQ(tac.exit_code, 0) << "--include-exe tac keeps it and its libraries: " << tac.err;

  auto report = nlohmann::json::parse(read_text(m_dir / "report.json"));
  EXPECT_NE(report.dump().find("/usr/local/bin/fetch.sh"), std::string::npos)
      << "the --exec-file command ran";
  EXPECT_FALSE(report["probes"]["result"].is_null()) << "the verification ran (and passed)";
  for (const char* f : {"report.json", "report.html", "seccomp.json"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(artifacts / f)) << f;
  }
  auto exposed = run_command("docker image inspect -f '{{json .Config.ExposedPorts}}' " + m_tag);
  EXPECT_NE(exposed.out.find("4443/tcp"), std::string::npos) << exposed.out;
}

// The flags slim does not do are refused in one line that says what to do instead (never
// accepted and ignored), before any container exists.
TEST_F(BuildOptions, RefusedDockerSlimFlagsSayWhatToDoInstead) {
  struct Case {
    std::string args, expect;
  };
  for (const auto& c :
       {Case{"--keep-perms", "always keeps the original's owners and modes"},
        Case{"--path-perms /x:755", "always keeps the original's owners"},
        Case{"--http-probe-apispec /api.yaml", "--http-probe-cmd-file"},
        Case{"--pull", "docker pull"},
        Case{"--exclude-mounts=false", "never copies what was mounted"},
        Case{"--no-such-flag", "slim --help lists the options"},
        Case{"--exec-file /nonexistent/cmds", "cannot read the --exec-file file"}}) {
    SCOPED_TRACE(c.args);
    auto r = run_command(slim_binary() + " build " + c.args + " slim-fixture/nginx:latest");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(r.err.starts_with("slim: error: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
  }
  auto changes = run_command(slim_binary() + " xray --changes all slim-fixture/busybox:latest");
  EXPECT_EQ(changes.exit_code, 1);
  EXPECT_NE(changes.err.find("slim xray --json lists every layer's"), std::string::npos)
      << changes.err;
  auto top =
      run_command(slim_binary() + " xray --json --top-changes-max 2 slim-fixture/nginx:latest");
  ASSERT_EQ(top.exit_code, 0) << top.err;
  auto xray = nlohmann::json::parse(top.out);
  ASSERT_FALSE(xray["layers"].empty());
  EXPECT_EQ(xray["top_directories"].size(), 2u) << "--top-changes-max is --top";
  EXPECT_EQ(xray["largest_files"].size(), 2u);
}

} // namespace
} // namespace slim::it
