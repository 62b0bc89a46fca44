#include "slim/pipeline/exercise.hpp"
#include "slim/pipeline/naming.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace slim::pipeline {
namespace {

TEST(Naming, ResultTagsAndProfilePaths) {
  EXPECT_EQ(default_result_tag("myapp:1.4"), "myapp.slim:1.4");
  EXPECT_EQ(default_result_tag("myapp"), "myapp.slim:latest");
  EXPECT_EQ(default_result_tag("registry:5000/team/app"), "registry:5000/team/app.slim:latest");
  EXPECT_EQ(default_result_tag("registry:5000/team/app:2"), "registry:5000/team/app.slim:2");
  EXPECT_EQ(
      default_result_tag("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
      "slim-0123456789ab:latest");
  EXPECT_EQ(default_seccomp_path("registry:5000/team/app:2"), "app-seccomp.json");
  EXPECT_EQ(default_seccomp_path("nginx"), "nginx-seccomp.json");
}

TEST(Naming, AppArgvFollowsDockerRules) {
  using V = std::vector<std::string>;
  EXPECT_EQ(app_argv(V{"/entry.sh"}, V{"serve", "-v"}, std::nullopt, std::nullopt),
            (V{"/entry.sh", "serve", "-v"}));
  EXPECT_EQ(app_argv(V{"/entry.sh"}, V{"serve"}, std::nullopt, V{"other"}),
            (V{"/entry.sh", "other"}));
  // A new entrypoint drops the image's CMD.
  EXPECT_EQ(app_argv(V{"/entry.sh"}, V{"serve"}, V{"/bin/true"}, std::nullopt), (V{"/bin/true"}));
  EXPECT_EQ(app_argv(std::nullopt, V{"nginx", "-g", "daemon off;"}, std::nullopt, std::nullopt),
            (V{"nginx", "-g", "daemon off;"}));
  EXPECT_THROW(app_argv(std::nullopt, std::nullopt, std::nullopt, std::nullopt), Error);
}

TEST(Exercise, PortsAndHealthcheck) {
  EXPECT_EQ(tcp_ports({"8080/tcp", "53/udp", "80", "80/tcp", "junk/tcp"}),
            (std::vector<int>{80, 8080}));
  auto hc = healthcheck_argv(nlohmann::json{{"Test", {"CMD-SHELL", "curl -f localhost"}}});
  ASSERT_TRUE(hc);
  EXPECT_EQ(hc->at(0), "/bin/sh");
  EXPECT_EQ(hc->at(2), "curl -f localhost");
  EXPECT_EQ(healthcheck_argv(nlohmann::json{{"Test", {"CMD", "/check", "-q"}}})->size(), 2u);
  EXPECT_FALSE(healthcheck_argv(nlohmann::json{{"Test", {"NONE"}}}));
  EXPECT_FALSE(healthcheck_argv(nlohmann::json()));
}

TEST(Exercise, PlanDefaults) {
  BuildOptions o;
  // Ports exposed, no probe flags: GET / on each port, continue after the probes.
  auto p = plan_exercise(o, {}, {80, 443}, std::nullopt, true);
  ASSERT_EQ(p.probes.size(), 2u);
  EXPECT_EQ(p.probes[1].port, 443);
  EXPECT_TRUE(p.crawl && p.probes[0].crawl) << "crawling is on by default";
  // Well-known non-HTTP ports only connect; --http-crawl=false crawls from nothing.
  auto no_crawl = o;
  no_crawl.http_crawl = false;
  auto q = plan_exercise(no_crawl, {}, {80, 6379}, std::nullopt, true);
  ASSERT_EQ(q.probes.size(), 2u);
  EXPECT_FALSE(q.crawl || q.probes[0].crawl);
  EXPECT_EQ(q.probes[1].protocol, "tcp");
  EXPECT_EQ(p.continue_after.kind, ContinueAfter::Kind::probe);
  // No ports: wait for the exit.
  p = plan_exercise(o, {}, {}, std::nullopt, true);
  EXPECT_TRUE(p.probes.empty());
  EXPECT_EQ(p.continue_after.kind, ContinueAfter::Kind::exit);
  // Exec through the shell, healthcheck appended.
  o.exec_cmds = {"ls /etc | wc -l"};
  p = plan_exercise(o, {}, {}, std::vector<std::string>{"/check"}, true);
  ASSERT_EQ(p.execs.size(), 2u);
  EXPECT_EQ(p.execs[0], (std::vector<std::string>{"/bin/sh", "-c", "ls /etc | wc -l"}));
  EXPECT_EQ(p.exec_labels[1], "HEALTHCHECK /check");
  EXPECT_EQ(p.continue_after.kind, ContinueAfter::Kind::exec);
  // Without a shell: shell syntax runs through slim's own busybox sh, a plain command directly.
  p = plan_exercise(o, {}, {}, std::nullopt, false);
  EXPECT_EQ(p.execs[0],
            (std::vector<std::string>{k_probe_shell_path, "sh", "-c", "ls /etc | wc -l"}));
  EXPECT_TRUE(p.probe_shell);
  o.exec_cmds = {"ls /etc"};
  p = plan_exercise(o, {}, {}, std::nullopt, false);
  EXPECT_EQ(p.execs[0], (std::vector<std::string>{"ls", "/etc"}));
  EXPECT_FALSE(p.probe_shell);
  EXPECT_EQ(p.user_execs, 1u);
  // A CMD-SHELL health check in an image without a shell: the same probe shell.
  p = plan_exercise(o, {}, {}, std::vector<std::string>{"/bin/sh", "-c", "check || exit 1"}, false);
  ASSERT_EQ(p.execs.size(), 2u);
  EXPECT_EQ(p.execs[1][0], k_probe_shell_path);
  EXPECT_TRUE(p.probe_shell);
  o.exec_cmds = {"ls /etc | wc -l"};
  // Probe requests without a port go to every port; none available is an error.
  o.exec_cmds.clear();
  p = plan_exercise(o, {probe::ProbeRequest{.method = "POST", .path = "/api", .port = 0}}, {80, 81},
                    std::nullopt, true);
  ASSERT_EQ(p.probes.size(), 2u);
  EXPECT_EQ(p.probes[0].method, "POST");
  EXPECT_THROW(plan_exercise(o, {probe::ProbeRequest{.port = 0}}, {}, std::nullopt, true), Error);
  o.http_probe = false;
  p = plan_exercise(o, {}, {80}, std::nullopt, true);
  EXPECT_TRUE(p.probes.empty());
  // A server that is not probed runs a while instead of being waited for until it exits.
  EXPECT_EQ(p.continue_after.kind, ContinueAfter::Kind::timeout);
  EXPECT_EQ(p.continue_after.seconds, k_unprobed_server_seconds);
}

} // namespace
} // namespace slim::pipeline
