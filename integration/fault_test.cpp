// Faults during `slim build` against the real engine: Ctrl-C and SIGTERM at every pass (slim
// pauses where SLIM_TEST_PAUSE_AT says), apps that fail, never answer, ignore SIGTERM or fork a
// daemon, a sensor killed from the host, a full temp disk. After each: one clear error line,
// no container of this slim run left (label io.slim.session=<pid>), an empty --tmp-dir, the
// source image untouched and the result tag absent unless the build succeeded.
#include "support/process.hpp"
#include "support/support.hpp"

#include <cctype>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <thread>

namespace slim::it {
namespace {

using namespace std::chrono_literals;

constexpr const char* k_busybox = "slim-fixture/busybox:latest";

std::string test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "-" + info->name();
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
      c = '-';
    }
  }
  return name;
}

int count_lines(const std::string& text, const std::string& prefix) {
  int n = 0;
  std::size_t pos = 0;
  while ((pos = text.find(prefix, pos)) != std::string::npos) {
    ++n;
    pos += prefix.size();
  }
  return n;
}

class Fault : public ::testing::Test {
protected:
  void SetUp() override {
    m_client.emplace(connect_client());
    m_dir = std::filesystem::temp_directory_path() /
            ("slim-it-fault-" + std::to_string(::getpid()) + "-" + test_name());
    m_tmp = m_dir / "tmp";
    std::filesystem::create_directories(m_tmp);
    m_tag = "slim-it-fault/" + std::to_string(::getpid()) + ":slim";
    m_tag_guard.emplace(*m_client, m_tag);
  }
  void TearDown() override {
    m_tag_guard.reset();
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }

  std::string image_id(const std::string& name) {
    try {
      return m_client->inspect_image(name).value("Id", "");
    } catch (const engine::EngineError& e) {
      if (e.status() == 404) {
        return "";
      }
      throw;
    }
  }

  /// Starts `slim build` of `image` with `args`, the test's --tmp-dir, report and tag.
  std::unique_ptr<Process> start(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env = {},
                                 const std::string& image = k_busybox) {
    m_image = image;
    m_source_id = image_id(image);
    std::vector<std::string> argv = {slim_binary(),
                                     "build",
                                     "--log-level",
                                     "warn",
                                     "--tmp-dir",
                                     m_tmp.string(),
                                     "--tag",
                                     m_tag,
                                     "--report",
                                     (m_dir / "report.json").string(),
                                     "--seccomp-profile",
                                     (m_dir / "seccomp.json").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(image);
    return std::make_unique<Process>(argv, env);
  }

  /// The containers the slim process `pid` made that still exist.
  std::vector<std::string> containers_of(pid_t pid) {
    return m_client->list_containers("io.slim.session=" + std::to_string(pid));
  }

  /// Exactly one `slim: error:` line containing `needle`; nothing left behind.
  void expect_failed_cleanly(const Process& p, int exit_code, int actual,
                             const std::string& needle) {
    EXPECT_EQ(actual, exit_code) << p.err();
    EXPECT_EQ(count_lines(p.err(), "slim: error:"), 1) << p.err();
    EXPECT_NE(p.err().find("slim: error: "), std::string::npos) << p.err();
    EXPECT_NE(p.err().find(needle), std::string::npos) << p.err();
    expect_nothing_left(p.pid());
    EXPECT_EQ(image_id(m_tag), "") << "the result tag exists after a failed build";
  }

  void expect_nothing_left(pid_t pid) {
    EXPECT_EQ(containers_of(pid), std::vector<std::string>{}) << "containers left behind";
    EXPECT_TRUE(std::filesystem::is_empty(m_tmp)) << "temp files left in " << m_tmp;
    EXPECT_EQ(image_id(m_image), m_source_id) << "the source image changed";
  }

  std::optional<engine::Client> m_client;
  std::filesystem::path m_dir;
  std::filesystem::path m_tmp;
  std::string m_tag;
  std::string m_image;
  std::string m_source_id;
  std::optional<ImageGuard> m_tag_guard;
};

// -- Ctrl-C and SIGTERM at every pass ----------------------------------------------------------

struct Interrupt {
  const char* pass;
  int signal;
};

std::string interrupt_name(const ::testing::TestParamInfo<Interrupt>& info) {
  return std::string(info.param.pass) + (info.param.signal == SIGINT ? "_SIGINT" : "_SIGTERM");
}

class FaultInterrupt : public Fault, public ::testing::WithParamInterface<Interrupt> {};

TEST_P(FaultInterrupt, ExitsWithTheSignalsCodeAndLeavesNothing) {
  auto [pass, sig] = GetParam();
  // A long-running app (a server's shape): at `run` and `exercise` its container is up, and the
  // pristine container from `source` until `write`. `export` is the other source's pass.
  std::vector<std::string> args = {"--cmd", "sleep 100", "--continue-after", "timeout:1"};
  if (std::string(pass) == "export") {
    args.insert(args.end(), {"--source", "export"});
  }
  auto slim = start(args, {std::string("SLIM_TEST_PAUSE_AT=") + pass});
  ASSERT_TRUE(slim->wait_for_stderr(std::string("slim-test: paused at ") + pass, 60s))
      << slim->err();
  slim->signal(sig);
  auto rc = slim->wait(60s);
  ASSERT_TRUE(rc) << "slim did not exit within 60 s of the signal";
  expect_failed_cleanly(*slim, sig == SIGINT ? 130 : 143, *rc, "slim: error: interrupted");
}

std::vector<Interrupt> all_interrupts() {
  std::vector<Interrupt> out;
  for (const char* pass : {"inspect", "source", "export", "run", "exercise", "stop", "keep",
                           "write", "load", "seccomp", "verify", "report"}) {
    for (int sig : {SIGINT, SIGTERM}) {
      out.push_back({pass, sig});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryPass, FaultInterrupt, ::testing::ValuesIn(all_interrupts()),
                         interrupt_name);

TEST_F(Fault, SighupCleansUpLikeCtrlCAndExits129) {
  auto slim = start({"--cmd", "sleep 100", "--continue-after", "timeout:1"},
                    {"SLIM_TEST_PAUSE_AT=exercise"});
  ASSERT_TRUE(slim->wait_for_stderr("slim-test: paused at exercise", 60s)) << slim->err();
  slim->signal(SIGHUP);
  auto rc = slim->wait(60s);
  ASSERT_TRUE(rc);
  expect_failed_cleanly(*slim, 129, *rc, "slim: error: interrupted");
}

TEST_F(Fault, CtrlCAtAnyMomentLeavesNothing) {
  // Not at pass boundaries: signals every 120 ms into a whole build (a create in flight, a
  // probe, a stream half read...). Once a build got through, the tag must stay on its image.
  for (int i = 1; i <= 12; ++i) {
    SCOPED_TRACE("signal after " + std::to_string(i * 120) + " ms");
    std::string tagged_before = image_id(m_tag);
    auto slim = start({"--cmd", "httpd -f -p 8080 -h /www", "--http-probe-ports", "8080"});
    std::this_thread::sleep_for(std::chrono::milliseconds(i * 120));
    slim->signal(i % 2 == 0 ? SIGINT : SIGTERM);
    auto rc = slim->wait(60s);
    ASSERT_TRUE(rc);
    if (*rc == 0) {
      continue; // it finished first
    }
    EXPECT_EQ(*rc, i % 2 == 0 ? 130 : 143) << slim->err();
    EXPECT_EQ(count_lines(slim->err(), "slim: error:"), 1) << slim->err();
    expect_nothing_left(slim->pid());
    EXPECT_EQ(image_id(m_tag), tagged_before);
  }
}

TEST_F(Fault, CtrlCInTheMiddleOfALargeExportRemovesThePartialFiles) {
  // A 200 MB image takes seconds to export: the signal lands while image.tar grows.
  auto slim = start({"--cmd", "sleep 100", "--continue-after", "timeout:30", "--source", "export"},
                    {"SLIM_TEST_PAUSE_AT=export"}, "slim-fixture/tlsclient:latest");
  ASSERT_TRUE(slim->wait_for_stderr("slim-test: paused at export", 60s)) << slim->err();
  slim->signal(SIGUSR2);
  std::uintmax_t partial = 0;
  for (auto until = std::chrono::steady_clock::now() + 30s;
       partial < (1u << 20) && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(50ms);
    partial = 0;
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(m_tmp, ec), end; it != end;
         it.increment(ec)) {
      partial += it->is_regular_file(ec) ? it->file_size(ec) : 0;
    }
  }
  EXPECT_GE(partial, 1u << 20) << "the export had not started writing";
  slim->signal(SIGINT);
  auto rc = slim->wait(60s);
  ASSERT_TRUE(rc);
  expect_failed_cleanly(*slim, 130, *rc, "slim: error: interrupted");
}

TEST_F(Fault, CtrlCWhileAProbeSidecarRunsRemovesItToo) {
  auto slim = start({"--cmd", "sleep 100", "--http-probe-ports", "8080", "--probe-retries", "40"},
                    {"SLIM_TEST_PAUSE_AT=probe"});
  ASSERT_TRUE(slim->wait_for_stderr("slim-test: paused at probe", 60s)) << slim->err();
  // The target, the sidecar and the pristine container exist now.
  auto before = containers_of(slim->pid());
  EXPECT_EQ(before.size(), 3u);
  slim->signal(SIGINT);
  auto rc = slim->wait(60s);
  ASSERT_TRUE(rc);
  expect_failed_cleanly(*slim, 130, *rc, "slim: error: interrupted");
}

TEST_F(Fault, AnInterruptAfterTheLoadPutsAnExistingTagBack) {
  // The tag names another image before the build; the load moves it; Ctrl-C must move it back.
  std::string before = image_id(k_busybox);
  auto colon = m_tag.rfind(':');
  m_client->tag_image(before, m_tag.substr(0, colon), m_tag.substr(colon + 1));
  ASSERT_EQ(image_id(m_tag), before);
  auto slim = start({"--cmd", "true"}, {"SLIM_TEST_PAUSE_AT=verify"});
  ASSERT_TRUE(slim->wait_for_stderr("slim-test: paused at verify", 60s)) << slim->err();
  EXPECT_NE(image_id(m_tag), before) << "the load did not move the tag";
  slim->signal(SIGINT);
  auto rc = slim->wait(60s);
  ASSERT_TRUE(rc);
  EXPECT_EQ(*rc, 130) << slim->err();
  EXPECT_EQ(image_id(m_tag), before) << "the tag was not put back";
  expect_nothing_left(slim->pid());
}

TEST_F(Fault, CtrlCWhileTheVerificationsSidecarRunsRemovesItToo) {
  // busybox's httpd answers in the profiling run, so the verification probes it too.
  auto slim = start({"--cmd", "httpd -f -p 8080 -h /www", "--http-probe-ports", "8080"},
                    {"SLIM_TEST_PAUSE_AT=verify-probe"});
  ASSERT_TRUE(slim->wait_for_stderr("slim-test: paused at verify-probe", 60s)) << slim->err();
  EXPECT_EQ(containers_of(slim->pid()).size(), 2u); // the slim image's run and the sidecar
  slim->signal(SIGINT);
  auto rc = slim->wait(60s);
  ASSERT_TRUE(rc);
  expect_failed_cleanly(*slim, 130, *rc, "slim: error: interrupted");
}

// -- apps that misbehave -------------------------------------------------------------------------

TEST_F(Fault, AnAppThatFailsAtOnceIsAnErrorWithItsStatusAndOutput) {
  auto slim = start({"--cmd", "sh -c 'echo starting; echo boom >&2; exit 3'"});
  auto rc = slim->wait(60s);
  ASSERT_TRUE(rc);
  expect_failed_cleanly(*slim, 1, *rc, "failed with exit status 3 during the profiling run");
  // stdout and stderr reach the log through two pipes: their order is not kept.
  auto at = slim->err().find("its last output: ");
  ASSERT_NE(at, std::string::npos) << slim->err();
  auto last = slim->err().substr(at);
  EXPECT_NE(last.find("starting"), std::string::npos) << slim->err();
  EXPECT_NE(last.find("boom"), std::string::npos) << slim->err();
}

TEST_F(Fault, AnAppThatNeverOpensItsPortFailsAfterTheRetriesWithItsOutput) {
  auto started = std::chrono::steady_clock::now();
  auto slim = start({"--cmd", "sh -c 'echo listening soon; sleep 1000'", "--http-probe",
                     "--http-probe-ports", "8080", "--probe-retries", "4"});
  auto rc = slim->wait(60s);
  ASSERT_TRUE(rc);
  expect_failed_cleanly(*slim, 1, *rc,
                        "the app never answered a probe: GET http://127.0.0.1:8080/: "
                        "connection refused after 4 retries");
  EXPECT_NE(slim->err().find("its last output: listening soon"), std::string::npos) << slim->err();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
}

TEST_F(Fault, AnAppThatIgnoresSigtermIsKilledAfterTheGraceAndTheBuildSucceeds) {
  auto started = std::chrono::steady_clock::now();
  auto slim = start({"--cmd", "sh -c 'trap \"\" TERM; echo up; sleep 1000'", "--continue-after",
                     "timeout:1", "--stop-timeout", "2"});
  auto rc = slim->wait(90s);
  ASSERT_TRUE(rc) << "slim hung on an app that ignores SIGTERM";
  EXPECT_EQ(*rc, 0) << slim->err();
  // The grace period is --stop-timeout's 2 s (not the default 10); the verification run is
  // removed by force.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 45s);
  std::ifstream in(m_dir / "report.json");
  auto report = nlohmann::json::parse(in, nullptr, false);
  double stop_seconds = -1;
  for (const auto& t : report.value("timings", nlohmann::json::array())) {
    if (t.value("pass", "") == "stop") {
      stop_seconds = t.value("seconds", -1.0);
    }
  }
  EXPECT_GE(stop_seconds, 1.9) << "the app ignores SIGTERM: the stop lasts the grace period";
  EXPECT_LT(stop_seconds, 9.0) << "--stop-timeout 2 was not used";
  expect_nothing_left(slim->pid());
  EXPECT_NE(image_id(m_tag), "");
}

TEST_F(Fault, AnAppThatForksADaemonAndExitsEndsTheRun) {
  // The sensor is PID 1: when the app exits the container ends, the daemon with it. The app
  // succeeded, so the image is made.
  auto started = std::chrono::steady_clock::now();
  auto slim = start({"--cmd", "sh -c 'sleep 1000 & echo forked; exit 0'"});
  auto rc = slim->wait(90s);
  ASSERT_TRUE(rc) << "slim hung on an app that left a daemon behind";
  EXPECT_EQ(*rc, 0) << slim->err();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 45s);
  expect_nothing_left(slim->pid());
  EXPECT_NE(image_id(m_tag), "");
}

// -- the sensor killed, the disk full
// --------------------------------------------------------------

TEST_F(Fault, ASensorKilledFromTheHostIsAClearErrorNotACrash) {
  auto slim = start({"--cmd", "sleep 100", "--continue-after", "timeout:30"},
                    {"SLIM_TEST_PAUSE_AT=exercise"});
  ASSERT_TRUE(slim->wait_for_stderr("slim-test: paused at exercise", 60s)) << slim->err();
  // The target and the pristine container: the sensor killed is the target's.
  auto ids = containers_of(slim->pid());
  ASSERT_EQ(ids.size(), 2u);
  std::erase_if(ids, [this](const std::string& id) {
    return m_client->inspect_container(id)["Config"]["Labels"].value("io.slim.role", "") !=
           "target";
  });
  ASSERT_EQ(ids.size(), 1u);
  auto state = m_client->inspect_container(ids[0]);
  int host_pid = state["State"].value("Pid", 0);
  ASSERT_GT(host_pid, 1);
  ASSERT_EQ(::kill(host_pid, SIGKILL), 0);
  slim->signal(SIGUSR2); // go on
  auto rc = slim->wait(60s);
  ASSERT_TRUE(rc);
  expect_failed_cleanly(*slim, 1, *rc,
                        "the sensor in container `" + ids[0].substr(0, 12) +
                            "` ended without a report (exit status 137");
}

/// A small tmpfs mounted for the test's lifetime.
class SmallTmpfs {
public:
  SmallTmpfs(const std::filesystem::path& at, const std::string& size) : m_at(at) {
    std::filesystem::create_directories(at);
    std::string opts = "size=" + size;
    m_mounted = ::mount("tmpfs", at.c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (m_mounted) {
      ::umount2(m_at.c_str(), MNT_DETACH);
    }
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  bool mounted() const noexcept { return m_mounted; }

private:
  std::filesystem::path m_at;
  bool m_mounted = false;
};

TEST_F(Fault, AFullTempDiskIsOneLineSayingSo) {
  struct Case {
    const char* size;
    const char* image;
    const char* source;
    const char* what;
  };
  // The batch fixture's export (~120 MB) does not fit in 2 MB. From the pristine container
  // busybox needs its file heads (64 kB) and its new layer (2 MB): 1 MB holds the first only.
  for (auto c : {Case{"2m", "slim-fixture/batch:latest", "export", "image.tar"},
                 Case{"1m", k_busybox, "pristine", "cannot write layer"}}) {
    SCOPED_TRACE(c.image);
    SmallTmpfs small(m_tmp, c.size);
    if (!small.mounted()) {
      GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
    }
    auto slim = start({"--cmd", "true", "--source", c.source}, {}, c.image);
    auto rc = slim->wait(120s);
    ASSERT_TRUE(rc);
    expect_failed_cleanly(*slim, 1, *rc, "No space left on device");
    EXPECT_NE(slim->err().find(m_tmp.string()), std::string::npos) << slim->err();
    EXPECT_NE(slim->err().find(c.what), std::string::npos) << slim->err();
  }
}

} // namespace
} // namespace slim::it
