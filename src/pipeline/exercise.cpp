#include "slim/pipeline/exercise.hpp"

#include "slim/util/cancel.hpp"
#include "slim/util/log.hpp"
#include "slim/util/shell_words.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <csignal>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <thread>
#include <unistd.h>

namespace slim::pipeline {

std::vector<int> tcp_ports(const std::vector<std::string>& exposed_ports) {
  std::vector<int> ports;
  for (const auto& p : exposed_ports) {
    auto slash = p.find('/');
    std::string proto = slash == std::string::npos ? "tcp" : p.substr(slash + 1);
    std::string num = p.substr(0, slash);
    int n = 0;
    auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
    if (proto == "tcp" && ec == std::errc() && end == num.data() + num.size() && n > 0 &&
        n < 65536) {
      ports.push_back(n);
    }
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

std::optional<std::vector<std::string>> healthcheck_argv(const nlohmann::json& healthcheck) {
  if (!healthcheck.is_object()) {
    return std::nullopt;
  }
  auto test = healthcheck.find("Test");
  if (test == healthcheck.end() || !test->is_array() || test->empty() || !(*test)[0].is_string()) {
    return std::nullopt;
  }
  std::string kind = (*test)[0];
  std::vector<std::string> rest;
  for (std::size_t i = 1; i < test->size(); ++i) {
    if ((*test)[i].is_string()) {
      rest.push_back((*test)[i]);
    }
  }
  if (kind == "CMD" && !rest.empty()) {
    return rest;
  }
  if (kind == "CMD-SHELL" && !rest.empty()) {
    return std::vector<std::string>{"/bin/sh", "-c", rest[0]};
  }
  return std::nullopt;
}

ExercisePlan plan_exercise(const BuildOptions& options,
                           std::vector<probe::ProbeRequest> probe_requests,
                           const std::vector<int>& image_ports,
                           const std::optional<std::vector<std::string>>& healthcheck,
                           bool image_has_shell) {
  ExercisePlan plan;
  plan.probe_retries = options.probe_retries;
  std::vector<int> ports =
      options.http_probe_ports.empty() ? image_ports : options.http_probe_ports;
  bool probing = options.http_probe.value_or(!ports.empty() || !probe_requests.empty());
  if (probing) {
    if (!probe_requests.empty()) {
      for (auto& r : probe_requests) {
        if (r.port > 0) {
          plan.probes.push_back(r);
          continue;
        }
        if (ports.empty()) {
          throw Error("a probe request `" + r.method + " " + r.path +
                      "` has no port and the image exposes none: use --http-probe-ports");
        }
        for (int port : ports) {
          probe::ProbeRequest copy = r;
          copy.port = port;
          plan.probes.push_back(std::move(copy));
        }
      }
    } else {
      if (ports.empty()) {
        throw Error("--http-probe needs a port: the image exposes none; use --http-probe-ports");
      }
      for (int port : ports) {
        plan.probes.push_back(probe::ProbeRequest{.method = "GET", .path = "/", .port = port});
      }
    }
  }
  for (const auto& cmd : options.exec_cmds) {
    plan.execs.push_back(image_has_shell ? std::vector<std::string>{"/bin/sh", "-c", cmd}
                                         : split_words(cmd));
    plan.exec_labels.push_back(cmd);
  }
  if (healthcheck) {
    plan.execs.push_back(*healthcheck);
    std::string label = "HEALTHCHECK";
    for (const auto& w : *healthcheck) {
      label += " " + shell_quote(w);
    }
    plan.exec_labels.push_back(label);
  }
  plan.continue_after = options.continue_after;
  if (plan.continue_after.kind == ContinueAfter::Kind::automatic) {
    if (!plan.probes.empty()) {
      plan.continue_after.kind = ContinueAfter::Kind::probe;
    } else if (!options.exec_cmds.empty()) {
      plan.continue_after.kind = ContinueAfter::Kind::exec;
    } else {
      plan.continue_after.kind = ContinueAfter::Kind::exit;
    }
  }
  if (plan.continue_after.kind == ContinueAfter::Kind::exit && plan.continue_after.seconds > 0) {
    plan.exit_timeout_seconds = plan.continue_after.seconds;
  }
  return plan;
}

std::string last_output(const std::string& logs, std::size_t lines, std::size_t max_chars) {
  std::vector<std::string> kept;
  std::size_t end = logs.size();
  while (end > 0 && kept.size() < lines) {
    std::size_t start = logs.rfind('\n', end - 1);
    std::size_t from = start == std::string::npos ? 0 : start + 1;
    std::string line = logs.substr(from, end - from);
    for (char& c : line) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        c = ' '; // one line, no terminal control characters from the app
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    if (!line.empty()) {
      kept.insert(kept.begin(), std::move(line));
    }
    if (start == std::string::npos) {
      break;
    }
    end = start;
  }
  std::string out;
  for (const auto& l : kept) {
    out += (out.empty() ? "" : " | ") + l;
  }
  if (out.size() > max_chars) {
    out = "..." + out.substr(out.size() - max_chars);
  }
  return out;
}

namespace {

std::atomic<bool> g_usr1{false};
void on_usr1(int /*sig*/) {
  g_usr1.store(true);
}

// Sleeps in small steps so Ctrl-C and the app's exit end the wait early.
// True once a line, or the end of input (stdin closed, as in CI), arrived on stdin; never blocks.
bool enter_pressed() {
  pollfd in{STDIN_FILENO, POLLIN, 0};
  while (::poll(&in, 1, 0) > 0) {
    char c = 0;
    if (::read(STDIN_FILENO, &c, 1) <= 0 || c == '\n') {
      return true;
    }
  }
  return false;
}

void wait_until(ContainerRun& target, std::chrono::seconds limit,
                const std::function<bool()>& done) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    cancel::throw_if_requested();
    if (done() || !target.running()) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::string dead_app_message(ContainerRun& target) {
  auto status = target.wait(std::chrono::milliseconds(2000));
  std::string msg = "the app exited";
  if (status) {
    msg += " with status " + std::to_string(*status);
  }
  msg += " before it could be probed";
  std::string last = last_output(target.logs(10));
  if (!last.empty()) {
    msg += "; its last output: " + last;
  }
  return msg;
}

} // namespace

verify::Observation exercise(engine::Client& client, ContainerRun& target, const ExercisePlan& plan,
                             const std::string& sidecar_image, bool sensor) {
  verify::Observation obs;
  for (std::size_t i = 0; i < plan.probes.size(); ++i) {
    cancel::throw_if_requested();
    const auto& req = plan.probes[i];
    if (!target.running()) {
      throw Error(dead_app_message(target));
    }
    // Only the first probe of a port waits long for it to open.
    int retries = plan.probe_retries;
    for (std::size_t j = 0; j < i; ++j) {
      if (plan.probes[j].port == req.port) {
        retries = 2;
      }
    }
    verify::ProbeObservation po;
    try {
      po.first = run_probe(client, sidecar_image, target.id(), req, retries,
                           sensor ? "probe" : "verify-probe");
    } catch (const engine::EngineError&) {
      // The sidecar cannot join the network of a container that has just died.
      if (!target.running()) {
        throw Error(dead_app_message(target));
      }
      throw;
    }
    if (!po.first.ok() && req.protocol == "http" &&
        po.first.error.find("refused") == std::string::npos &&
        po.first.error.find("retries") == std::string::npos) {
      // Not HTTP on this port: try TLS, as the default probe does.
      probe::ProbeRequest tls = req;
      tls.protocol = "https";
      auto second_try = run_probe(client, sidecar_image, target.id(), tls, 2);
      if (second_try.ok()) {
        po.first = second_try;
      }
    }
    if (!po.first.ok() && !target.running()) {
      throw Error(dead_app_message(target));
    }
    SLIM_INFO("probe {}: {}", po.first.request.describe(),
              po.first.ok() ? "status " + std::to_string(*po.first.status) : po.first.error);
    if (sensor && po.first.ok()) {
      po.second = run_probe(client, sidecar_image, target.id(), po.first.request, 2);
    }
    obs.probes.push_back(std::move(po));
  }
  if (sensor && !obs.probes.empty() &&
      std::none_of(obs.probes.begin(), obs.probes.end(),
                   [](const verify::ProbeObservation& p) { return p.first.ok(); })) {
    // Nothing was learnt from the app's serving: a slim image made now would miss its files.
    const auto& first = obs.probes.front().first;
    std::string msg =
        "the app never answered a probe: " + first.request.describe() + ": " + first.error;
    std::string last = last_output(target.logs(10));
    msg += last.empty() ? "; it printed nothing" : "; its last output: " + last;
    throw Error(msg);
  }
  for (std::size_t i = 0; i < plan.execs.size(); ++i) {
    cancel::throw_if_requested();
    if (!target.running()) {
      throw Error("the app exited before `" + plan.exec_labels[i] + "` could run in its container");
    }
    std::vector<std::string> argv = plan.execs[i];
    if (sensor) {
      argv.insert(argv.begin(), {k_sensor_path, "exec", "--"});
    }
    auto r = target.exec(argv);
    SLIM_INFO("exec {}: exit {}", plan.exec_labels[i], r.exit_code);
    obs.execs.push_back({plan.exec_labels[i], r.exit_code, r.out});
  }
  using K = ContinueAfter::Kind;
  switch (plan.continue_after.kind) {
  case K::exit: {
    SLIM_INFO("waiting for the app to exit (at most {} s)", plan.exit_timeout_seconds);
    auto status = target.wait(std::chrono::seconds(plan.exit_timeout_seconds));
    if (!status) {
      throw Error("the app did not exit within " + std::to_string(plan.exit_timeout_seconds) +
                  " s (use --continue-after timeout:N for servers)");
    }
    obs.app_exit = *status;
    break;
  }
  case K::timeout:
    SLIM_INFO("letting the app run for {} s", plan.continue_after.seconds);
    wait_until(target, std::chrono::seconds(plan.continue_after.seconds), [] { return false; });
    break;
  case K::signal: {
    g_usr1.store(false);
    std::signal(SIGUSR1, on_usr1);
    SLIM_INFO("send SIGUSR1 to slim (pid {}) to end the run", static_cast<int>(getpid()));
    wait_until(target, std::chrono::hours(24), [] { return g_usr1.load(); });
    break;
  }
  case K::enter:
    // Polled, not a blocking read: Ctrl-C and an app that exits must still end the wait.
    std::fprintf(stderr, "press Enter to end the run\n");
    wait_until(target, std::chrono::hours(24), enter_pressed);
    break;
  case K::probe:
  case K::exec:
  case K::automatic:
    break;
  }
  return obs;
}

} // namespace slim::pipeline
