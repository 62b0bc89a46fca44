// `slim build` end to end on the fixture images (integration/fixtures/*): each result passes
// the fixture's own functional check run without slim, under the generated seccomp profile,
// and is much smaller. Sizes are printed.
#include "support/served.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace slim::it {
namespace {

struct Built {
  CommandResult run;
  nlohmann::json report;
  std::filesystem::path profile;
};

// Runs `slim build` on slim-fixture/NAME into a private dir; tags the result `slim-it/NAME:slim`.
class SlimBuild : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = std::filesystem::temp_directory_path() /
            ("slim-it-build-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(m_dir);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }

  Built build(const std::string& fixture, const std::string& extra_flags = "") {
    Built b;
    b.profile = m_dir / "seccomp.json";
    std::string cmd = slim_binary() + " build --log-level warn --tag slim-it/" + fixture +
                      ":slim --report " + (m_dir / "report.json").string() + " --seccomp-profile " +
                      b.profile.string() + " " + extra_flags + " slim-fixture/" + fixture +
                      ":latest";
    b.run = run_command(cmd, std::chrono::seconds(600));
    auto text = read_text(m_dir / "report.json");
    b.report = nlohmann::json::parse(text.empty() ? "{}" : text, nullptr, false);
    return b;
  }

  // The functional check without slim: run IMAGE under the profile until it exits.
  CommandResult run_to_exit(const std::string& image, const std::filesystem::path& profile) {
    return run_command(engine_cli() +
                           " run --rm --network none --label io.slim.owner=test "
                           "--security-opt seccomp=" +
                           profile.string() + " " + image,
                       std::chrono::seconds(120));
  }

  // The functional check for a server: start IMAGE under the profile, GET / from a sidecar
  // in its network namespace, return the probe's JSON line.
  nlohmann::json serve_and_probe(const std::string& image, const std::filesystem::path& profile,
                                 int port) {
    auto started = run_command(engine_cli() +
                               " run -d --network none --label io.slim.owner=test "
                               "--security-opt seccomp=" +
                               profile.string() + " " + image);
    EXPECT_EQ(started.exit_code, 0) << started.err;
    std::string id = started.out.substr(0, started.out.find('\n'));
    auto sidecar = run_command(
        engine_cli() + " images slim-sidecar --format '{{.Repository}}:{{.Tag}}' | head -n1");
    std::string sc = sidecar.out.substr(0, sidecar.out.find('\n'));
    auto probe = run_command(
        engine_cli() + " run --rm --network container:" + id + " --label io.slim.owner=test " + sc +
        " probe http://127.0.0.1:" + std::to_string(port) + "/ --retries 20 --retry-delay 0.5");
    run_command(engine_cli() + " rm -f " + id);
    return nlohmann::json::parse(probe.out.empty() ? "{}" : probe.out, nullptr, false);
  }

  std::filesystem::path m_dir;
};

void expect_smaller(const Built& b, const std::string& fixture, double min_ratio) {
  ASSERT_TRUE(b.report.is_object()) << b.run.err;
  auto src = b.report["source"].value("size", std::int64_t{0});
  auto res = b.report["result"].value("size", std::int64_t{0});
  std::printf("[ sizes    ] %-10s %8.1f MB -> %6.1f MB (%.1fx)\n", fixture.c_str(), src / 1e6,
              res / 1e6, res > 0 ? double(src) / double(res) : 0.0);
  ASSERT_GT(res, 0);
  EXPECT_GE(double(src) / double(res), min_ratio);
}

struct ServerCase {
  const char* fixture;
  int port;
  const char* flags;
};

std::ostream& operator<<(std::ostream& os, const ServerCase& c) {
  return os << c.fixture;
}

// One server fixture per test, so each engine's matrix can pick fixtures by name and each
// build's time is its own line (`slim-fixture/nonroot` is the non-root one).
class SlimBuildServer : public SlimBuild, public ::testing::WithParamInterface<ServerCase> {};

TEST_P(SlimBuildServer, WorksUnderItsProfileAndShrinks) {
  const ServerCase& c = GetParam();
  auto client = connect_client();
  std::string tag = std::string("slim-it/") + c.fixture + ":slim";
  ImageGuard guard(client, tag);
  auto b = build(c.fixture, c.flags);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.err;
  EXPECT_NE(b.run.out.find("verified"), std::string::npos) << b.run.out;
  expect_smaller(b, c.fixture, 5.0);
  auto original =
      serve_and_probe(std::string("slim-fixture/") + c.fixture + ":latest", b.profile, c.port);
  auto slim = serve_and_probe(tag, b.profile, c.port);
  EXPECT_EQ(slim.value("status", 0), 200) << slim.dump();
  EXPECT_EQ(slim.value("sha256", ""), original.value("sha256", "x"));
  if (std::string(c.fixture) == "nginx") {
    // The goal for a static site on Debian's nginx-light.
    EXPECT_LT(b.report["result"].value("size", std::int64_t{1} << 40), 12'000'000);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, SlimBuildServer,
    ::testing::Values(ServerCase{"nginx", 80, "--http-probe-cmd 'GET /'"},
                      ServerCase{"pyapp", 8000, "--http-probe-cmd /items --http-probe-cmd /"},
                      ServerCase{"nonroot", 8080, ""}, ServerCase{"entrypoint", 8081, ""}),
    [](const auto& p) { return std::string(p.param.fixture); });

class SlimBuildJob : public SlimBuild, public ::testing::WithParamInterface<std::string> {};

TEST_P(SlimBuildJob, GivesTheSameOutput) {
  const std::string& fixture = GetParam();
  auto client = connect_client();
  std::string tag = "slim-it/" + fixture + ":slim";
  ImageGuard guard(client, tag);
  auto b = build(fixture);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.err;
  expect_smaller(b, fixture, 5.0);
  auto original = run_to_exit("slim-fixture/" + fixture + ":latest", b.profile);
  auto slim = run_to_exit(tag, b.profile);
  EXPECT_EQ(original.exit_code, 0) << original.err;
  EXPECT_EQ(slim.exit_code, 0) << slim.err;
  EXPECT_EQ(slim.out, original.out);
  if (fixture == "tlsclient") {
    // The TLS job needs the CA bundle: it must be in the slim image's keep list.
    bool has_bundle = false;
    for (const auto& p : b.report["paths"]) {
      has_bundle = has_bundle || p.value("path", "") == "/etc/ssl/certs/ca-certificates.crt";
    }
    EXPECT_TRUE(has_bundle);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SlimBuildJob, ::testing::Values("batch", "tlsclient"),
                         [](const auto& p) { return p.param; });

TEST_F(SlimBuild, ABrokenResultFailsVerificationNamingTheProbe) {
  auto client = connect_client();
  ImageGuard guard(client, "slim-it/nginx:slim");
  auto b = build("nginx", "--http-probe-cmd 'GET /' --exclude-pattern '/var/www/html/index.html'");
  EXPECT_EQ(b.run.exit_code, 2) << b.run.out << b.run.err;
  EXPECT_NE(b.run.err.find("GET http://127.0.0.1:80/"), std::string::npos) << b.run.err;
  EXPECT_NE(b.run.err.find("verification failed"), std::string::npos) << b.run.err;
  ASSERT_TRUE(b.report.is_object());
  EXPECT_FALSE(b.report["differences"].empty());
}

TEST_F(SlimBuild, MissingImageIsOneClearLineAndLeavesNothing) {
  // `exec` keeps the shell's PID, so $$ is slim's: its containers carry io.slim.session=$$
  // (other slim runs may share the engine).
  auto r = run_command("echo $$; exec " + slim_binary() +
                       " build --log-level warn slim-fixture/does-not-exist:latest");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("slim: error: no image `slim-fixture/does-not-exist:latest`"),
            std::string::npos)
      << r.err;
  std::string pid = r.out.substr(0, r.out.find('\n'));
  auto left = run_command("docker ps -aq --filter label=io.slim.session=" + pid);
  EXPECT_EQ(left.out, "");
}

TEST_F(SlimBuild, ProfileWritesReportAndProfileWithoutAnImage) {
  auto r = run_command(slim_binary() + " profile --log-level warn --report " +
                       (m_dir / "p.json").string() + " --seccomp-profile " +
                       (m_dir / "s.json").string() + " slim-fixture/batch:latest");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(read_text(m_dir / "p.json"));
  bool saw_job = false;
  for (const auto& f : report["files"]) {
    saw_job = saw_job || f.value("path", "") == "/usr/local/bin/job.sh";
  }
  EXPECT_TRUE(saw_job);
  auto profile = nlohmann::json::parse(read_text(m_dir / "s.json"));
  EXPECT_EQ(profile["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_FALSE(profile["syscalls"][0]["names"].empty());
}

TEST_F(SlimBuild, IncludeNewConfigOutputTarAndMountsAreHonoured) {
  auto client = connect_client();
  ImageGuard guard(client, "slim-it/batch:slim");
  auto data = m_dir / "data";
  std::filesystem::create_directories(data);
  ASSERT_EQ(run_command("seq 1 5000 > " + (data / "numbers.txt").string()).exit_code, 0);
  auto tar = m_dir / "out.tar";
  auto b =
      build("batch", "--include-path /etc/os-release --new-label team=core --new-env MODE=slim "
                     "--output-tar " +
                         tar.string() + " --mount " + data.string() + ":/data:ro");
  ASSERT_EQ(b.run.exit_code, 0) << b.run.err;
  // The new config.
  auto inspect = client.inspect_image("slim-it/batch:slim");
  EXPECT_EQ(inspect["Config"]["Labels"].value("team", ""), "core");
  bool has_env = false;
  for (const auto& e : inspect["Config"]["Env"]) {
    has_env = has_env || e == "MODE=slim";
  }
  EXPECT_TRUE(has_env);
  // The included file is in the image; the mounted directory's files are not.
  auto cat = run_command("docker run --rm --network none --label io.slim.owner=test --entrypoint "
                         "/bin/cat slim-it/batch:slim /etc/os-release");
  EXPECT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_NE(cat.out.find("Debian"), std::string::npos);
  for (const auto& p : b.report["paths"]) {
    EXPECT_NE(p.value("path", "").rfind("/data/", 0), 0u) << p.dump();
  }
  // --output-tar wrote a loadable docker-archive of the same image.
  auto files = run_command("tar -tf " + tar.string());
  EXPECT_NE(files.out.find("manifest.json"), std::string::npos) << files.err;
  EXPECT_NE(files.out.find("layer.tar"), std::string::npos);
}

TEST_F(SlimBuild, CtrlCDuringTheRunRemovesContainersAndTempFiles) {
  auto tmp = m_dir / "tmp";
  std::filesystem::create_directories(tmp);
  // The run lasts 60 s (timeout:60), so the signal lands while the target container runs.
  auto r = run_command("TMPDIR=" + tmp.string() + " " + slim_binary() +
                           " build --log-level warn --continue-after timeout:60 "
                           "slim-fixture/nginx:latest & pid=$!; sleep 12; "
                           "n=$(docker ps -q --filter label=io.slim.session=$pid --filter "
                           "label=io.slim.role=target | wc -l); "
                           "kill -INT $pid; wait $pid; echo \"rc=$? running=$n pid=$pid\"",
                       std::chrono::seconds(120));
  EXPECT_NE(r.out.find("rc=130 running=1"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("slim: error: interrupted"), std::string::npos) << r.err;
  std::string pid = r.out.substr(r.out.find("pid=") + 4);
  pid = pid.substr(0, pid.find('\n'));
  auto left = run_command("docker ps -aq --filter label=io.slim.session=" + pid);
  EXPECT_EQ(left.out, "");
  EXPECT_TRUE(std::filesystem::is_empty(tmp));
}

} // namespace
} // namespace slim::it
