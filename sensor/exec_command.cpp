// `sensor exec` and `sensor ctl`: the short-lived commands that talk to PID 1 over the
// control socket. An exec's command is image code too: it is confined like the app.

#include "sensor/commands.hpp"
#include "sensor/confine.hpp"
#include "sensor/control.hpp"
#include "sensor/launch.hpp"
#include "sensor/tracer.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace slim::sensor {

namespace {

volatile sig_atomic_t g_child = 0;

void forward_to_child(int sig) {
  if (g_child > 0) {
    ::kill(static_cast<pid_t>(g_child), sig);
  }
}

// "user UID GID G1,G2|- HOME" from PID 1.
std::optional<ResolvedUser> parse_user_reply(const std::string& line) {
  std::istringstream in(line);
  std::string word;
  std::string groups;
  ResolvedUser user;
  if (!(in >> word >> user.uid >> user.gid >> groups) || word != "user") {
    return std::nullopt;
  }
  if (groups != "-") {
    std::istringstream list(groups);
    std::string g;
    while (std::getline(list, g, ',')) {
      user.groups.push_back(static_cast<gid_t>(std::stoul(g)));
    }
  }
  std::getline(in >> std::ws, user.home);
  if (user.home.empty()) {
    user.home = "/";
  }
  user.found = true;
  return user;
}

int exit_status_of(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 255;
}

} // namespace

int exec_command(const ExecOptions& options) {
  auto prepared = prepare_confinement(options.keep_caps);
  if (!prepared) {
    std::fprintf(stderr, "sensor exec: error: %s\n", prepared.error().c_str());
    return 126;
  }
  const Confinement& confinement = prepared.value();
  std::string error;
  int fd = connect_control(k_control_socket, error);
  std::string buffer;
  std::optional<ResolvedUser> app_user;
  if (fd < 0) {
    std::fprintf(stderr, "sensor exec: warning: no sensor to report to (%s); not recording\n",
                 error.c_str());
  } else {
    auto reply = send_all(fd, "exec-begin\n") ? read_line(fd, buffer, 10000) : std::nullopt;
    app_user = reply ? parse_user_reply(*reply) : std::nullopt;
    if (!app_user) {
      std::fprintf(stderr, "sensor exec: warning: PID 1 did not answer; not recording\n");
      ::close(fd);
      fd = -1;
    }
  }

  LaunchSpec spec;
  spec.argv = options.argv;
  spec.env = current_environment();
  spec.workdir = options.workdir;
  std::optional<ResolvedUser> user = app_user;
  if (options.user) {
    auto resolved = resolve_image_user(*options.user);
    if (!resolved) {
      std::fprintf(stderr, "sensor exec: error: %s\n", resolved.error().c_str());
      return 126;
    }
    user = resolved.value();
  }
  if (user && user->uid != ::getuid()) {
    fix_home(spec.env, *user, root_home());
  }
  if (user && user->uid == ::getuid() && user->gid == ::getgid() && user->groups.empty()) {
    user.reset(); // nothing to switch: keep our groups as docker exec gave them
  }
  spec.user = user;
  spec.confinement = &confinement;

  struct sigaction forward {};
  forward.sa_handler = forward_to_child;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
    ::sigaction(sig, &forward, nullptr);
  }

  auto launched = launch(spec);
  if (!launched) {
    std::fprintf(stderr, "sensor exec: error: %s\n", launched.error().c_str());
    return 127;
  }
  Launched& child = launched.value();
  g_child = child.pid;
  Tracer tracer(Source::exec);
  bool tracing = false;
  if (fd >= 0) {
    std::string err = tracer.seize(child.pid);
    tracing = err.empty();
    if (!tracing) {
      std::fprintf(stderr, "sensor exec: warning: %s; not recording\n", err.c_str());
    }
  }
  FilterMode filter = plan_confinement(tracing, confinement.can_filter);
  tracer.confine(filter, &confinement.errno_filter);
  go_ahead(child, filter);
  make_undumpable(); // the command cannot ptrace us (we keep the container's capabilities)
  // With the trace filter the child stops at each set-up call: let it reach its exec first.
  std::optional<int> early_status = tracing ? tracer.run_until_exec(child.pid) : std::nullopt;
  std::string start_error;
  if (started(child, start_error) != 0) {
    std::fprintf(stderr, "sensor exec: error: %s\n", start_error.c_str());
  } else if (tracing) {
    tracer.record_initial_exec(child.pid, child.exec_path);
  }
  int status_code = early_status ? exit_status_of(*early_status) : 255;
  while (!early_status) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (tracing) {
      tracer.handle(pid, status);
    }
    if (pid == child.pid && (WIFEXITED(status) || WIFSIGNALED(status))) {
      status_code = exit_status_of(status);
      break;
    }
  }
  if (fd >= 0 && tracing) {
    std::string data = encode_recording(tracer.recording());
    auto reply = send_all(fd, "data " + std::to_string(data.size()) + "\n" + data)
                     ? read_line(fd, buffer, 30000)
                     : std::nullopt;
    if (!reply || *reply != "ok") {
      std::fprintf(stderr, "sensor exec: warning: PID 1 did not take the recording\n");
    }
  }
  if (fd >= 0) {
    ::close(fd);
  }
  return status_code;
}

int ctl_command(const CtlOptions& options) {
  std::string error;
  int fd = connect_control(k_control_socket, error);
  if (fd < 0) {
    std::fprintf(stderr, "sensor ctl: error: no sensor is running: %s\n", error.c_str());
    return 1;
  }
  std::string request = "stop " + std::to_string(options.signal.value_or(0)) + " " +
                        std::to_string(options.grace.value_or(-1)) + "\n";
  std::string buffer;
  auto reply = send_all(fd, request) ? read_line(fd, buffer, -1) : std::nullopt;
  // The connection stays open until we exit: PID 1 waits for that before it exits itself
  // (which would kill us with the rest of the container).
  if (!reply) {
    std::fprintf(stderr, "sensor ctl: error: the sensor closed the connection without an answer\n");
    return 1;
  }
  if (!reply->starts_with("ok ")) {
    std::fprintf(stderr, "sensor ctl: error: %s\n", reply->c_str());
    return 1;
  }
  std::printf("stopped: app exit status %s\n", reply->c_str() + 3);
  return 0;
}

} // namespace slim::sensor
