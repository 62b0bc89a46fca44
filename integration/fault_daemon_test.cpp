// dockerd restarted under a running `slim build`: on a second dockerd that this test starts
// itself (own socket, data, exec and pid paths in a temp dir; no iptables, no bridge), never on
// the shared one. slim must fail with one clear line, not hang or crash, and once the daemon is
// back nothing of its run may be left there.
#include "slim/util/temp_dir.hpp"
#include "support/process.hpp"
#include "support/support.hpp"

#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <set>
#include <sstream>
#include <sys/mount.h>
#include <sys/wait.h>
#include <thread>

namespace slim::it {
namespace {

using namespace std::chrono_literals;

/// A dockerd of the test's own, listening on a unix socket in a temp dir; killed, its
/// containerd stopped, everything under its data root unmounted and removed at the end.
class SecondDaemon {
public:
  SecondDaemon() : m_root(m_dir.path().string()) {}
  ~SecondDaemon() {
    if (m_daemon) {
      // Its containers' shims would outlive it: remove them while it answers.
      docker("rm -f $(docker -H " + host() + " ps -aq) >/dev/null 2>&1 || true");
    }
    stop(SIGTERM);
    // What outlived it (its containerd, container shims and their containers' init) names
    // our root in its command line, or is a child of such a process.
    kill_processes_under(m_root);
    // Unmount what is left under the root, deepest first.
    std::ifstream mounts("/proc/self/mounts");
    std::vector<std::string> under;
    std::string dev;
    std::string point;
    std::string rest;
    while (mounts >> dev >> point && std::getline(mounts, rest)) {
      if (point.rfind(m_root + "/", 0) == 0) {
        under.push_back(point);
      }
    }
    for (auto it = under.rbegin(); it != under.rend(); ++it) {
      ::umount2(it->c_str(), MNT_DETACH);
    }
  }
  SecondDaemon(const SecondDaemon&) = delete;
  SecondDaemon& operator=(const SecondDaemon&) = delete;

  /// `unix://<root>/docker.sock`.
  std::string host() const { return "unix://" + m_root + "/docker.sock"; }

  /// Starts dockerd and waits until it answers (three tries: a restart on a busy machine can
  /// time out waiting for its containerd); false (with `why`) when it cannot run here.
  bool start(std::string& why) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      wait_for_old_containerd();
      if (start_once(why)) {
        return true;
      }
    }
    return false;
  }

  /// One start of dockerd.
  bool start_once(std::string& why) {
    std::vector<std::string> argv = {"dockerd",
                                     "--host=" + host(),
                                     "--data-root=" + m_root + "/data",
                                     "--exec-root=" + m_root + "/exec",
                                     "--pidfile=" + m_root + "/docker.pid",
                                     "--iptables=false",
                                     "--ip6tables=false",
                                     "--bridge=none"};
    m_log = m_root + "/dockerd-" + std::to_string(m_starts++) + ".log";
    // Through sh so its (long) log goes to a file, not to a pipe nobody reads.
    std::vector<std::string> cmd = {"sh", "-c", "exec \"$@\" >" + m_log + " 2>&1", "sh"};
    cmd.insert(cmd.end(), argv.begin(), argv.end());
    m_daemon = std::make_unique<Process>(cmd);
    auto until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until) {
      if (run_command("docker -H " + host() + " version >/dev/null 2>&1", 10s).exit_code == 0) {
        return true;
      }
      if (m_daemon->wait(0ms)) {
        why = "the test's dockerd exited: " + run_command("tail -n 5 " + m_log).out;
        return false;
      }
      std::this_thread::sleep_for(200ms);
    }
    why = "the test's dockerd did not answer within 30 s: " + run_command("tail -n 5 " + m_log).out;
    return false;
  }

  /// Sends `sig` to dockerd and reaps it (SIGKILL after 20 s).
  void stop(int sig) {
    if (!m_daemon) {
      return;
    }
    m_daemon->signal(sig);
    if (!m_daemon->wait(20s)) {
      m_daemon->signal(SIGKILL);
      m_daemon->wait(10s);
    }
    m_daemon.reset();
  }

  /// `docker -H <this daemon> ARGS`.
  CommandResult docker(const std::string& args, std::chrono::seconds timeout = 60s) const {
    return run_command("docker -H " + host() + " " + args, timeout);
  }

private:
  /// A containerd of an earlier dockerd of ours that is still going down.
  void wait_for_old_containerd() const {
    std::ifstream in(m_root + "/exec/containerd/containerd.pid");
    pid_t pid = 0;
    if (!(in >> pid) || pid <= 1) {
      return;
    }
    for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) {
      std::this_thread::sleep_for(100ms);
    }
  }

  /// SIGKILLs every process whose command line contains `root`, and their children.
  static void kill_processes_under(const std::string& root) {
    std::set<pid_t> ours;
    std::map<pid_t, pid_t> parent;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::string name = entry.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      pid_t pid = std::stoi(name);
      std::ifstream cmdline(entry.path() / "cmdline");
      std::string args((std::istreambuf_iterator<char>(cmdline)), {});
      if (pid != ::getpid() && args.find(root) != std::string::npos) {
        ours.insert(pid);
      }
      std::ifstream stat(entry.path() / "stat");
      std::string text((std::istreambuf_iterator<char>(stat)), {});
      auto close = text.rfind(')');
      if (close != std::string::npos) {
        std::istringstream rest(text.substr(close + 2));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        parent[pid] = ppid;
      }
    }
    for (const auto& [pid, ppid] : parent) {
      if (ours.count(ppid) != 0) {
        ::kill(pid, SIGKILL); // a container's init: its PID namespace goes with it
      }
    }
    for (pid_t pid : ours) {
      ::kill(pid, SIGKILL);
    }
  }

  TempDir m_dir{"dockerd"};
  std::string m_root;
  std::string m_log;
  int m_starts = 0;
  std::unique_ptr<Process> m_daemon;
};

TEST(FaultDaemon, DockerdRestartedDuringTheRunIsOneClearErrorAndLeavesNothing) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "a second dockerd needs root";
  }
  SecondDaemon daemon;
  std::string why;
  if (!daemon.start(why)) {
    GTEST_SKIP() << why;
  }
  auto loaded = run_command(
      "docker save slim-fixture/busybox:latest | docker -H " + daemon.host() + " load", 120s);
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  auto source_id = daemon.docker("image inspect -f '{{.Id}}' slim-fixture/busybox:latest").out;

  TempDir work("fault-daemon");
  auto tmp = work.path() / "tmp";
  std::filesystem::create_directories(tmp);
  Process slim({slim_binary(), "--host", daemon.host(), "build", "--log-level", "warn", "--tmp-dir",
                tmp.string(), "--tag", "slim-it-fault/daemon:slim", "--report",
                (work.path() / "report.json").string(), "--seccomp-profile",
                (work.path() / "seccomp.json").string(), "--cmd", "sleep 100", "--continue-after",
                "timeout:30", "slim-fixture/busybox:latest"},
               {"SLIM_TEST_PAUSE_AT=exercise"});
  ASSERT_TRUE(slim.wait_for_stderr("slim-test: paused at exercise", 60s)) << slim.err();

  // The daemon dies under the running target; slim goes on and finds it gone.
  daemon.stop(SIGKILL);
  slim.signal(SIGUSR2);
  // slim waits for the engine to come back to remove its container: restart it meanwhile.
  EXPECT_TRUE(slim.wait_for_stderr("retrying for up to 30 s", 30s)) << slim.err();
  ASSERT_TRUE(daemon.start(why)) << why;
  auto rc = slim.wait(60s);
  ASSERT_TRUE(rc) << "slim hung after dockerd went away: " << slim.err();
  EXPECT_EQ(*rc, 1) << slim.err();
  std::string err = slim.err();
  EXPECT_EQ(err.find("slim: error:"), err.rfind("slim: error:")) << err; // one error line
  EXPECT_NE(err.find("slim: error: cannot reach the Docker engine at `" + daemon.host() + "`"),
            std::string::npos)
      << err;

  auto left = daemon.docker("ps -aq --filter label=io.slim.session=" + std::to_string(slim.pid()));
  EXPECT_EQ(left.exit_code, 0) << left.err;
  EXPECT_EQ(left.out, "") << "containers left on the restarted daemon";
  EXPECT_TRUE(std::filesystem::is_empty(tmp));
  EXPECT_EQ(daemon.docker("image inspect -f '{{.Id}}' slim-fixture/busybox:latest").out, source_id);
  EXPECT_NE(daemon.docker("image inspect slim-it-fault/daemon:slim").exit_code, 0);
}

} // namespace
} // namespace slim::it
