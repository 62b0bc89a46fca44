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

const std::vector<int> k_non_http_ports = {
    21,   22,   23,   25,   53,    110,   143,   389,   445,   465,   587,  636,  993,
    995,  1433, 1521, 1883, 2181,  3306,  4369,  5432,  5671,  5672,  6379, 6432, 7000,
    7001, 8883, 9042, 9092, 11211, 25672, 26379, 27017, 28015, 61613, 61616};

ExercisePlan plan_exercise(const BuildOptions& options,
                           std::vector<probe::ProbeRequest> probe_requests,
                           const std::vector<int>& image_ports,
                           const std::optional<std::vector<std::string>>& healthcheck,
                           bool image_has_shell) {
  ExercisePlan plan;
  plan.probe_retries = options.probe_retries;
  plan.batch.first_retries = options.probe_retries;
  plan.crawl = options.http_crawl;
  plan.crawl_limits.max_depth = options.http_crawl_max_depth;
  plan.crawl_limits.max_pages = static_cast<std::size_t>(std::max(0, options.http_crawl_max_pages));
  plan.crawl_seconds = options.http_crawl_seconds;
  auto is_tcp_only = [&options](int port) {
    if (std::find(options.tcp_probe_ports.begin(), options.tcp_probe_ports.end(), port) !=
        options.tcp_probe_ports.end()) {
      return true;
    }
    // A well-known non-HTTP port gets HTTP only when the user names it in --http-probe-ports.
    return std::find(options.http_probe_ports.begin(), options.http_probe_ports.end(), port) ==
               options.http_probe_ports.end() &&
           std::find(k_non_http_ports.begin(), k_non_http_ports.end(), port) !=
               k_non_http_ports.end();
  };
  std::vector<int> ports =
      options.http_probe_ports.empty() ? image_ports : options.http_probe_ports;
  for (int port : options.tcp_probe_ports) {
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) {
      ports.push_back(port);
    }
  }
  bool probing = options.http_probe.value_or(!ports.empty() || !probe_requests.empty());
  if (probing) {
    if (!probe_requests.empty()) {
      for (auto& r : probe_requests) {
        r.source = probe::ProbeSource::user;
        r.crawl = r.crawl || (options.http_crawl && r.method == "GET");
        if (r.port > 0) {
          plan.probes.push_back(r);
          continue;
        }
        std::vector<int> http_ports;
        std::copy_if(ports.begin(), ports.end(), std::back_inserter(http_ports),
                     [&](int port) { return !is_tcp_only(port); });
        if (http_ports.empty()) {
          throw Error("a probe request `" + r.method + " " + r.path +
                      "` has no port and the image exposes no HTTP port: use --http-probe-ports");
        }
        for (int port : http_ports) {
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
        probe::ProbeRequest r{.method = "GET", .path = "/", .port = port};
        r.source = probe::ProbeSource::automatic;
        r.crawl = options.http_crawl;
        if (is_tcp_only(port)) {
          r.protocol = "tcp";
          r.crawl = false;
        }
        plan.probes.push_back(std::move(r));
      }
    }
  }
  plan.crawl = std::any_of(plan.probes.begin(), plan.probes.end(),
                           [](const probe::ProbeRequest& r) { return r.crawl; });
  // A command that needs a shell runs through the image's /bin/sh, or slim's own when the image
  // has none (distroless); one that does not runs directly.
  auto through_shell = [&plan, image_has_shell](const std::string& cmd) {
    if (image_has_shell) {
      return std::vector<std::string>{"/bin/sh", "-c", cmd};
    }
    plan.probe_shell = true;
    return std::vector<std::string>{k_probe_shell_path, "sh", "-c", cmd};
  };
  for (const auto& cmd : options.exec_cmds) {
    plan.execs.push_back(image_has_shell || needs_shell(cmd) ? through_shell(cmd)
                                                             : split_words(cmd));
    plan.exec_labels.push_back(cmd);
  }
  plan.user_execs = plan.execs.size();
  for (int code : options.exec_allow_exits) {
    plan.exec_allowed_exits.push_back(code);
  }
  if (healthcheck) {
    auto argv = *healthcheck;
    if (argv.size() == 3 && argv[0] == "/bin/sh" && argv[1] == "-c" && !image_has_shell) {
      argv = through_shell(argv[2]); // CMD-SHELL in an image without a shell
    }
    plan.execs.push_back(argv);
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
    } else if (!image_ports.empty()) {
      // A server that is not probed (--http-probe=false) would never exit by itself: let it
      // start and run for a while, as it would until its first request.
      plan.continue_after = {ContinueAfter::Kind::timeout, k_unprobed_server_seconds};
    } else {
      plan.continue_after.kind = ContinueAfter::Kind::exit;
    }
  }
  if (plan.continue_after.kind == ContinueAfter::Kind::exit && plan.continue_after.seconds > 0) {
    plan.exit_timeout_seconds = plan.continue_after.seconds;
  }
  return plan;
}

ExercisePlan verification_plan(const ExercisePlan& plan, const verify::Observation& original) {
  ExercisePlan out = plan;
  out.crawl = false;
  out.probes.clear();
  for (const auto& p : original.probes) {
    out.probes.push_back(p.first.request);
  }
  return out;
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

// An --exec command that fails in the original exercised nothing (or the wrong thing): an
// error of the profiling run, unless the user allowed that exit code. A failing HEALTHCHECK
// is only a warning (it may need a warm-up the run did not give it).
void check_exec(const ExercisePlan& plan, std::size_t i, const engine::ExecResult& r,
                std::vector<std::string>& warnings) {
  const auto& allowed = plan.exec_allowed_exits;
  if (std::find(allowed.begin(), allowed.end(), r.exit_code) != allowed.end()) {
    return;
  }
  std::string hint;
  if (r.exit_code == 127) {
    std::string first = plan.execs[i].empty() ? std::string() : plan.execs[i][0];
    bool shell = plan.execs[i].size() >= 3 && plan.execs[i][plan.execs[i].size() - 2] == "-c";
    hint = shell ? " (command not found)" : " (command not found: `" + first + "`)";
  } else if (r.exit_code == 126) {
    hint = " (not executable)";
  } else if (r.exit_code > 128 && r.exit_code < 160) {
    hint = " (killed by signal " + std::to_string(r.exit_code - 128) + ")";
  }
  std::string out = last_output(r.out + r.err, 5, 600);
  std::string what = "`" + plan.exec_labels[i] + "` exited " + std::to_string(r.exit_code) +
                     " in the original image" + hint;
  if (i >= plan.user_execs) {
    warnings.push_back("the image's " + what + (out.empty() ? "" : "; its output: " + out));
    return;
  }
  throw Error("the --exec command " + what + "; the app was not exercised" +
              (out.empty() ? " and it printed nothing" : "; its output: " + out) +
              " (--exec-allow-exit " + std::to_string(r.exit_code) +
              " accepts it if failing is what it checks)");
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

namespace {

// The probing of one run: the start probes, then (profiling run) HTTPS and TCP fall-backs for
// ports that do not answer HTTP, the crawl level by level, and the second sample.
class ProbeRun {
public:
  ProbeRun(engine::Client& client, ContainerRun& target, const ExercisePlan& plan,
           const std::string& sidecar, bool sensor, std::vector<std::string>& warnings)
      : m_client(client), m_target(target), m_plan(plan), m_sidecar(sidecar), m_sensor(sensor),
        m_warnings(warnings) {}

  std::vector<verify::ProbeObservation> run() {
    auto answers = batch(m_plan.probes, m_plan.batch.first_retries);
    if (m_sensor) {
      fall_back(answers);
      check_answered(answers);
      if (m_plan.crawl) {
        crawl(answers);
      }
    }
    std::vector<verify::ProbeObservation> out;
    for (auto& a : answers) {
      out.push_back({std::move(a), std::nullopt});
    }
    if (m_sensor) {
      second_sample(out);
    }
    return out;
  }

private:
  std::vector<probe::ProbeOutcome> batch(const std::vector<probe::ProbeRequest>& requests,
                                         int first_retries, double timeout = 0) {
    cancel::throw_if_requested();
    if (requests.empty()) {
      return {};
    }
    if (!m_target.running()) {
      throw Error(dead_app_message(m_target));
    }
    probe::BatchSettings settings = m_plan.batch;
    settings.first_retries = first_retries;
    if (timeout > 0) {
      settings.timeout = std::min(settings.timeout, timeout);
    }
    std::vector<probe::ProbeOutcome> out;
    try {
      out = run_probe_batch(m_client, m_sidecar, m_target.id(), requests, settings,
                            m_sensor ? "probe" : "verify-probe");
    } catch (const engine::EngineError&) {
      // The sidecar cannot join the network of a container that has just died.
      if (!m_target.running()) {
        throw Error(dead_app_message(m_target));
      }
      throw;
    }
    if (std::none_of(out.begin(), out.end(), [](const auto& o) { return o.connected; }) &&
        !m_target.running()) {
      throw Error(dead_app_message(m_target));
    }
    for (const auto& o : out) {
      SLIM_DEBUG("probe {}: {}", o.request.describe(),
                 o.status ? "status " + std::to_string(*o.status)
                 : o.connected && o.request.protocol == "tcp" ? std::string("connected")
                                                              : o.error);
    }
    return out;
  }

  // A port that accepts connections but gives no HTTP answer: try HTTPS; a default probe that
  // gets neither only connects from now on (a database, a cache, a broker).
  void fall_back(std::vector<probe::ProbeOutcome>& answers) {
    struct Retry {
      std::size_t answer, tls;
      std::optional<std::size_t> tcp;
    };
    std::vector<Retry> retries;
    std::vector<probe::ProbeRequest> requests;
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const auto& a = answers[i];
      if (a.ok() || !a.connected || a.request.protocol != "http") {
        continue;
      }
      Retry r{i, requests.size(), std::nullopt};
      probe::ProbeRequest tls = a.request;
      tls.protocol = "https";
      requests.push_back(tls);
      if (a.request.source == probe::ProbeSource::automatic) {
        probe::ProbeRequest tcp = a.request;
        tcp.protocol = "tcp";
        tcp.crawl = false;
        r.tcp = requests.size();
        requests.push_back(tcp);
      }
      retries.push_back(r);
    }
    // A server that is not TLS either tends to wait for more bytes of the handshake: a short
    // timeout, since the port is known to accept connections already.
    auto got = batch(requests, m_plan.batch.retries, 3.0);
    for (const auto& r : retries) {
      auto& a = answers[r.answer];
      if (got[r.tls].ok()) {
        a = got[r.tls];
      } else if (r.tcp && got[*r.tcp].ok()) {
        m_warnings.push_back("port " + std::to_string(a.request.port) +
                             " accepts connections but answers neither HTTP nor HTTPS (" + a.error +
                             "): the app was only connected to there; exercise it with --exec "
                             "or --http-probe-cmd (--tcp-probe-ports " +
                             std::to_string(a.request.port) + " skips the HTTP attempt)");
        a = got[*r.tcp];
      }
    }
  }

  // Nothing learnt, or an explicit probe without an HTTP answer: a slim image made now would
  // miss the files of what the user wanted exercised.
  void check_answered(const std::vector<probe::ProbeOutcome>& answers) {
    for (const auto& a : answers) {
      if (a.request.source == probe::ProbeSource::user && !a.ok() && a.connected) {
        throw Error("the probe `" + a.request.describe() + "` got no HTTP answer (" + a.error +
                    "): does port " + std::to_string(a.request.port) +
                    " speak HTTP? (exercise other protocols with --exec; --tcp-probe-ports " +
                    std::to_string(a.request.port) + " only connects)");
      }
    }
    if (!answers.empty() &&
        std::none_of(answers.begin(), answers.end(), [](const auto& a) { return a.ok(); })) {
      const auto& first = answers.front();
      std::string msg =
          "the app never answered a probe: " + first.request.describe() + ": " + first.error;
      std::string last = last_output(m_target.logs(10));
      msg += last.empty() ? "; it printed nothing" : "; its last output: " + last;
      throw Error(msg);
    }
  }

  // Breadth-first over same-origin links, one sidecar batch per level.
  void crawl(std::vector<probe::ProbeOutcome>& answers) {
    probe::Crawler crawler(m_plan.crawl_limits);
    for (const auto& r : m_plan.probes) {
      crawler.add_known(r);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(m_plan.crawl_seconds);
    std::vector<probe::ProbeOutcome> level = answers;
    int depth = 0;
    while (true) {
      auto next = crawler.next(level);
      if (next.empty()) {
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        m_warnings.push_back("the crawl stopped after " + std::to_string(m_plan.crawl_seconds) +
                             " s (--http-crawl-timeout) with " + std::to_string(next.size()) +
                             " links not followed");
        break;
      }
      level = batch(next, m_plan.batch.retries);
      ++depth;
      for (const auto& a : level) {
        answers.push_back(a);
      }
    }
    if (crawler.limit_reached()) {
      m_warnings.push_back("the crawl stopped at its limits (--http-crawl-max-depth " +
                           std::to_string(m_plan.crawl_limits.max_depth) +
                           ", --http-crawl-max-page-count " +
                           std::to_string(m_plan.crawl_limits.max_pages) + ")");
    }
    if (crawler.skipped_state_changing() > 0) {
      m_warnings.push_back("the crawl did not follow " +
                           std::to_string(crawler.skipped_state_changing()) +
                           " link(s) that look like they change the app's state (logout, "
                           "delete, shutdown...): probe them with --http-probe-cmd if they "
                           "matter");
    }
    if (crawler.crawled() > 0) {
      SLIM_INFO("crawl: {} more probe(s) from links, {} level(s)", crawler.crawled(), depth);
    }
  }

  // The same requests again: what changes between two answers of the original is drift.
  void second_sample(std::vector<verify::ProbeObservation>& probes) {
    std::vector<probe::ProbeRequest> again;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < probes.size(); ++i) {
      if (probes[i].first.status) {
        again.push_back(probes[i].first.request);
        which.push_back(i);
      }
    }
    auto got = batch(again, m_plan.batch.retries);
    for (std::size_t k = 0; k < which.size() && k < got.size(); ++k) {
      probes[which[k]].second = std::move(got[k]);
    }
  }

  engine::Client& m_client;
  ContainerRun& m_target;
  const ExercisePlan& m_plan;
  const std::string& m_sidecar;
  bool m_sensor;
  std::vector<std::string>& m_warnings;
};

} // namespace

verify::Observation exercise(engine::Client& client, ContainerRun& target, const ExercisePlan& plan,
                             const std::string& sidecar_image, bool sensor,
                             std::vector<std::string>& warnings) {
  verify::Observation obs;
  obs.probes = ProbeRun(client, target, plan, sidecar_image, sensor, warnings).run();
  for (const auto& p : obs.probes) {
    if (p.first.request.source != probe::ProbeSource::crawl) { // crawled ones: debug level
      SLIM_INFO("probe {}: {}", p.first.request.describe(),
                p.first.status ? "status " + std::to_string(*p.first.status)
                : p.first.ok() ? std::string("connected")
                               : p.first.error);
    }
  }
  for (std::size_t i = 0; i < plan.execs.size(); ++i) {
    cancel::throw_if_requested();
    if (!target.running()) {
      throw Error("the app exited before `" + plan.exec_labels[i] +
                  "` could run in its container (an image whose command ends at once, a CLI? "
                  "keep the container up while the commands run: --cmd 'sleep infinity')");
    }
    std::vector<std::string> argv = plan.execs[i];
    if (sensor) {
      std::vector<std::string> prefix = {k_sensor_path, "exec"};
      prefix.insert(prefix.end(), plan.sensor_exec_options.begin(), plan.sensor_exec_options.end());
      prefix.emplace_back("--");
      argv.insert(argv.begin(), prefix.begin(), prefix.end());
    }
    auto r = target.exec(argv);
    SLIM_INFO("exec {}: exit {}", plan.exec_labels[i], r.exit_code);
    if (r.exit_code == 137 && !target.running()) {
      // Killed with its container: the app ended while the command ran.
      throw Error("the app exited while `" + plan.exec_labels[i] +
                  "` ran in its container (an image whose command ends at once, a CLI? keep the "
                  "container up while the commands run: --cmd 'sleep infinity')");
    }
    if (sensor) {
      check_exec(plan, i, r, warnings);
    }
    obs.execs.push_back({plan.exec_labels[i], r.exit_code, r.out + r.err});
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
  obs.running_at_end = target.running();
  return obs;
}

} // namespace slim::pipeline
