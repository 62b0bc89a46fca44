// `sensor run`: starts the app confined as a plain `docker run` would be (confine.hpp), records
// it (fanotify on one thread, ptrace on the main thread, which must be the tracing thread),
// does PID 1's duties, merges `sensor exec` recordings sent over the control socket, and
// writes the report when the app and everything it left running are gone.

#include "sensor/commands.hpp"
#include "sensor/confine.hpp"
#include "sensor/control.hpp"
#include "sensor/event_loop.hpp"
#include "sensor/fanotify_watch.hpp"
#include "sensor/launch.hpp"
#include "sensor/process_tree.hpp"
#include "sensor/report.hpp"
#include "sensor/syscall_table.hpp"
#include "sensor/tracer.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

#ifndef SLIM_VERSION
#define SLIM_VERSION "0.1.0"
#endif

namespace slim::sensor {

namespace {

using Clock = std::chrono::steady_clock;

int exit_status_of(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return 255;
}

std::string escape_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

// The directory of `path` ("." for a bare name).
std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// SIGKILLs what the app (and the exec sessions' commands) left running, until nothing of it
// is left but zombies: then nothing of the image's code can touch the report once it is
// written. Reaps our children (and tracees) on the way.
void end_app_processes(Tracer* tracer, pid_t app, const std::unordered_set<pid_t>& sessions) {
  pid_t self = ::getpid();
  for (int round = 0; round < 500; ++round) {
    auto victims = app_processes(list_processes(), self, app, sessions);
    if (victims.empty()) {
      return;
    }
    for (pid_t pid : victims) {
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    pid_t pid = 0;
    while ((pid = ::waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
      if (tracer != nullptr) {
        tracer->handle(pid, status);
      }
    }
    ::usleep(1000);
  }
}

std::string groups_text(const std::vector<gid_t>& groups) {
  if (groups.empty()) {
    return "-";
  }
  std::string out;
  for (gid_t g : groups) {
    out += (out.empty() ? "" : ",") + std::to_string(g);
  }
  return out;
}

} // namespace

int run_command(const RunOptions& options) {
  sigset_t forwarded;
  sigemptyset(&forwarded);
  for (int sig : k_forwarded_signals) {
    sigaddset(&forwarded, sig);
  }
  ::sigprocmask(SIG_BLOCK, &forwarded, nullptr);
  if (::getpid() != 1) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); // orphans come to us as they would to PID 1
  }

  ReportInfo info;
  info.arch = native_arch_name();
  info.sensor_version = SLIM_VERSION;
  info.argv = options.argv;

  LaunchSpec spec;
  spec.argv = options.argv;
  spec.env = current_environment();
  spec.workdir = options.workdir;
  ResolvedUser user;
  user.uid = ::getuid();
  user.gid = ::getgid();
  if (options.user) {
    auto resolved = resolve_image_user(*options.user);
    if (!resolved) {
      std::fprintf(stderr, "sensor: error: %s\n", resolved.error().c_str());
      return 125;
    }
    user = resolved.value();
    fix_home(spec.env, user, root_home());
    spec.user = user;
  } else {
    user.groups.clear();
  }
  info.user = std::to_string(user.uid) + ":" + std::to_string(user.gid);

  bool want_fanotify = options.mode != Mode::ptrace;
  bool want_ptrace = options.mode != Mode::fanotify;
  FanotifyWatch fanotify;
  bool fanotify_on = false;
  if (want_fanotify) {
    std::string note;
    std::string err = fanotify.open(note);
    fanotify_on = err.empty();
    if (!fanotify_on) {
      info.warnings.push_back("fanotify unavailable: recording with ptrace only");
      info.warnings.push_back("fanotify: " + err);
      want_ptrace = true;
    } else if (note != "filesystem") {
      info.warnings.push_back("fanotify: watching the root mount only: " + note);
    }
  }

  ::mkdir("/.slim", 0755);
  std::string listen_error;
  int listen_fd = listen_control(k_control_socket, listen_error);
  if (listen_fd < 0) {
    info.warnings.push_back("control socket unavailable: " + listen_error);
  }
  // How the app will be confined, prepared before it starts (after the socket listens: a
  // `ctl stop` right after the start finds it): fail closed if it cannot be.
  auto prepared = prepare_confinement(options.keep_caps);
  if (!prepared) {
    std::fprintf(stderr, "sensor: error: %s\n", prepared.error().c_str());
    return 125;
  }
  const Confinement& confinement = prepared.value();
  const CapSet taken = confinement.drop & own_capabilities().bounding;
  info.dropped_caps = capability_names(taken);
  spec.confinement = &confinement;

  // /.slim holds what the controller later runs (`docker exec /.slim/sensor`, with the
  // container's full capabilities) and reads: read-only for everyone from here on. The report
  // and the socket are reached through descriptors opened before.
  int slim_dir = ::open("/.slim", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int report_dir = ::open(parent_dir(options.report).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (::getpid() == 1) {
    std::string err = protect_directory("/.slim");
    if (!err.empty() && confinement.can_filter) {
      std::fprintf(stderr, "sensor: error: %s (the app could replace what the controller runs)\n",
                   err.c_str());
      return 125;
    }
    if (!err.empty()) {
      info.warnings.push_back("/.slim stays writable for the app: " + err);
    }
  } else {
    info.warnings.push_back("not PID 1: /.slim stays writable for the app");
  }

  auto launched = launch(spec);
  if (!launched) {
    std::fprintf(stderr, "sensor: error: %s\n", launched.error().c_str());
    info.exit_status = 127;
    info.mode = "none";
    info.warnings.push_back(launched.error());
    Recording empty;
    write_file_atomic(options.report, render_report(empty, info, syscall_name), report_dir);
    return 127;
  }
  Launched& child = launched.value();
  Tracer tracer(Source::app);
  bool tracing = false;
  if (want_ptrace) {
    std::string err = tracer.seize(child.pid);
    tracing = err.empty();
    if (!tracing && !fanotify_on && options.mode == Mode::ptrace) {
      // Asked for ptrace only but may not trace: fanotify still sees every open and exec.
      // The app is still waiting before its exec, so nothing is missed by starting it now.
      std::string note;
      fanotify_on = fanotify.open(note).empty();
    }
    if (!tracing) {
      info.warnings.push_back(fanotify_on ? "ptrace unavailable: recording with fanotify only"
                                          : "ptrace unavailable: nothing recorded");
      info.warnings.push_back("ptrace: " + err);
    }
  }
  info.mode = fanotify_on && tracing ? "both"
              : fanotify_on          ? "fanotify"
              : tracing              ? "ptrace"
                                     : "none";
  info.args_recorded = tracing;
  FilterMode filter = plan_confinement(tracing, confinement.can_filter);
  tracer.confine(filter, &confinement.errno_filter);
  info.confinement = confinement_name(filter);
  if (filter == FilterMode::errno_only) {
    info.warnings.push_back("no tracer: calls the seccomp policy refuses fail but are not listed");
  } else if (filter == FilterMode::errno_nnp) {
    info.warnings.push_back("no tracer and no CAP_SYS_ADMIN: the app runs with no_new_privs "
                            "(setuid programs gain no privileges)");
  }
  go_ahead(child, filter);
  // Forked dumpable; from now on no process without CAP_SYS_PTRACE may ptrace or read us.
  make_undumpable();
  // With the trace filter the child stops at each set-up call: let it reach its exec first.
  std::optional<int> early_status = tracing ? tracer.run_until_exec(child.pid) : std::nullopt;
  std::string start_error;
  if (started(child, start_error) != 0) {
    std::fprintf(stderr, "sensor: error: %s\n", start_error.c_str());
    info.warnings.push_back(start_error);
  } else if (tracing) {
    tracer.record_initial_exec(child.pid, child.exec_path);
  }

  std::string user_reply = "user " + std::to_string(user.uid) + " " + std::to_string(user.gid) +
                           " " + groups_text(user.groups) + " " + escape_line(user.home) + "\n";
  EventLoop events(options, fanotify, listen_fd, child.pid, user_reply, taken);
  events.start();

  int app_status = early_status ? exit_status_of(*early_status) : 255;
  while (!early_status) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, __WALL);
    if (pid < 0) {
      if (errno == EINTR) {
        continue;
      }
      break; // ECHILD: nothing left (cannot happen before the app is gone)
    }
    if (tracing) {
      tracer.handle(pid, status);
    }
    if (pid == child.pid && (WIFEXITED(status) || WIFSIGNALED(status))) {
      app_status = exit_status_of(status);
      break;
    }
  }

  events.finish();
  end_app_processes(tracing ? &tracer : nullptr, child.pid, events.sessions());
  info.exit_status = app_status;
  if (events.refused_clients() > 0) {
    info.warnings.push_back(std::to_string(events.refused_clients()) +
                            " control connections from the app's processes refused");
  }
  if (events.dropped_signals() > 0) {
    info.warnings.push_back(std::to_string(events.dropped_signals()) +
                            " signals the app sent to the sensor ignored");
  }
  Recording all = std::move(tracer.recording());
  all.merge(events.recording());
  if (events.fanotify_overflowed()) {
    info.warnings.push_back("fanotify queue overflowed: some opens may be missing");
  }
  if (tracer.foreign_syscalls() > 0) {
    info.warnings.push_back(std::to_string(tracer.foreign_syscalls()) +
                            " system calls of another architecture (32-bit) not recorded");
  }
  std::string err =
      write_file_atomic(options.report, render_report(all, info, syscall_name), report_dir);
  if (!err.empty()) {
    std::fprintf(stderr, "sensor: error: %s\n", err.c_str());
  }
  std::vector<pollfd> waiting;
  for (int fd : events.stop_clients()) {
    if (send_all(fd, (err.empty() ? "ok " : "error ") + std::to_string(app_status) + "\n")) {
      waiting.push_back({fd, POLLIN, 0});
    }
  }
  // When PID 1 exits, the kernel kills everything left in the container, `ctl` included: wait
  // (briefly) until each `ctl` has its answer and closed the connection by exiting.
  auto deadline = Clock::now() + std::chrono::seconds(2);
  while (!waiting.empty() && Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (::poll(waiting.data(), waiting.size(), static_cast<int>(left.count()) + 1) < 0 &&
        errno != EINTR) {
      break;
    }
    std::erase_if(waiting, [](const pollfd& p) { return p.revents != 0; });
  }
  events.close_clients();
  if (listen_fd >= 0) {
    ::close(listen_fd);
    ::unlinkat(slim_dir, "control.sock", 0);
  }
  return app_status;
}

} // namespace slim::sensor
