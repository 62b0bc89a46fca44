#include "sensor/launch.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

extern char** environ; // NOLINT(readability-redundant-declaration)

namespace slim::sensor {

namespace {

constexpr const char* k_default_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

// Closes every descriptor >= 3 except `keep1` and `keep2`.
void close_other_fds(int keep1, int keep2) {
  int lo = std::min(keep1, keep2);
  int hi = std::max(keep1, keep2);
  auto close_range = [](unsigned first, unsigned last) {
    if (first <= last) {
      ::syscall(SYS_close_range, first, last, 0);
    }
  };
  close_range(3, static_cast<unsigned>(lo) - 1);
  close_range(static_cast<unsigned>(lo) + 1, static_cast<unsigned>(hi) - 1);
  close_range(static_cast<unsigned>(hi) + 1, ~0U);
}

// Which step of the child failed (the message started() gives).
enum Stage : int { stage_start = 0, stage_confine = 1 };

[[noreturn]] void child_fail(int error_fd, int err, int stage = stage_start) {
  int report[2] = {err, stage};
  (void)!::write(error_fd, report, sizeof report);
  ::_exit(err == ENOENT && stage == stage_start ? 127 : 126);
}

} // namespace

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    env.emplace_back(*e);
  }
  return env;
}

std::string path_of(const std::vector<std::string>& env) {
  for (const auto& entry : env) {
    if (entry.starts_with("PATH=")) {
      return entry.substr(5);
    }
  }
  return k_default_path;
}

void fix_home(std::vector<std::string>& env, const ResolvedUser& user,
              const std::string& root_home) {
  for (auto& entry : env) {
    if (entry.starts_with("HOME=")) {
      if (user.uid != 0 && entry.substr(5) == root_home) {
        entry = "HOME=" + user.home;
      }
      return;
    }
  }
  env.push_back("HOME=" + user.home);
}

std::optional<std::string> find_program(const std::string& name, const std::string& path_var) {
  if (name.empty()) {
    return std::nullopt;
  }
  if (name.find('/') != std::string::npos) {
    return name;
  }
  std::size_t start = 0;
  while (start <= path_var.size()) {
    auto end = path_var.find(':', start);
    std::string dir =
        path_var.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (is_executable_file(candidate)) {
      return candidate;
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return std::nullopt;
}

Result<Launched> launch(const LaunchSpec& spec) {
  Launched out;
  auto program = find_program(spec.argv.at(0), path_of(spec.env));
  if (!program) {
    return Result<Launched>::fail("executable `" + spec.argv[0] + "` not found in $PATH");
  }
  out.exec_path = *program;
  int go_pipe[2];
  int err_pipe[2];
  if (::pipe2(go_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return Result<Launched>::fail(std::string("pipe: ") + std::strerror(errno));
  }
  // Everything the child needs is prepared before fork: no allocation after it.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.env) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  envp.push_back(nullptr);
  const char* exec_path = out.exec_path.c_str();
  const char* workdir = spec.workdir ? spec.workdir->c_str() : nullptr;
  const Confinement* confinement = spec.confinement;

  pid_t pid = ::fork();
  if (pid < 0) {
    return Result<Launched>::fail(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    int go_fd = go_pipe[0];
    int error_fd = err_pipe[1];
    close_other_fds(go_fd, error_fd);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      ::sigaction(sig, &dfl, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Wait for the go-ahead first: only then is the tracer attached, and the filter must
    // be installed while we still have root's capabilities (CAP_SYS_ADMIN: without it only
    // no_new_privs allows a filter, which would change how setuid programs behave). The
    // sensor-only capabilities go right after, before the user switch and the exec.
    char byte = 0;
    ssize_t got = 0;
    while ((got = ::read(go_fd, &byte, 1)) < 0 && errno == EINTR) {
    }
    ::close(go_fd);
    if (got != 1) {
      ::_exit(126); // the sensor is gone: never exec unconfined
    }
    if (confinement != nullptr) {
      if (int err = confine_self(*confinement, static_cast<FilterMode>(byte - 1)); err != 0) {
        child_fail(error_fd, err, stage_confine);
      }
    }
    if (spec.user) {
      const auto& user = *spec.user;
      // As runc does for a container USER: hand stdio to the app's uid so it can reopen
      // /dev/stdout and /dev/stderr (lighttpd's errorlog); /dev/null is left alone.
      for (int fd = 0; fd <= 2; ++fd) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))) {
          [[maybe_unused]] int ignored = ::fchown(fd, user.uid, static_cast<gid_t>(-1));
        }
      }
      if (::setgroups(user.groups.size(), user.groups.data()) != 0 || ::setgid(user.gid) != 0 ||
          ::setuid(user.uid) != 0) {
        child_fail(error_fd, errno);
      }
    }
    if (workdir != nullptr && ::chdir(workdir) != 0) {
      child_fail(error_fd, errno);
    }
    ::execve(exec_path, argv.data(), envp.data());
    child_fail(error_fd, errno);
  }
  ::close(go_pipe[0]);
  ::close(err_pipe[1]);
  out.pid = pid;
  out.go_fd = go_pipe[1];
  out.error_fd = err_pipe[0];
  return out;
}

void go_ahead(Launched& launched, FilterMode mode) {
  char byte = static_cast<char>(static_cast<int>(mode) + 1);
  (void)!::write(launched.go_fd, &byte, 1);
  ::close(launched.go_fd);
  launched.go_fd = -1;
}

int started(Launched& launched, std::string& message) {
  int report[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(launched.error_fd, report, sizeof report);
  } while (n < 0 && errno == EINTR);
  ::close(launched.error_fd);
  launched.error_fd = -1;
  if (n == static_cast<ssize_t>(sizeof report)) {
    message = (report[1] == stage_confine ? "cannot confine `" + launched.exec_path +
                                                "` (seccomp filter or capability drop): "
                                          : "cannot start `" + launched.exec_path + "`: ") +
              std::strerror(report[0]);
    return report[0];
  }
  return 0;
}

} // namespace slim::sensor

namespace slim::sensor {

namespace {

std::string read_small_file(const char* path) {
  std::string out;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return out;
  }
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < (16 << 20)) {
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

} // namespace

Result<ResolvedUser> resolve_image_user(const std::string& spec) {
  return resolve_user(spec, read_small_file("/etc/passwd"), read_small_file("/etc/group"));
}

std::string root_home() {
  for (const auto& entry : parse_passwd(read_small_file("/etc/passwd"))) {
    if (entry.uid == 0) {
      return entry.home.empty() ? "/" : entry.home;
    }
  }
  return "/root";
}

} // namespace slim::sensor
