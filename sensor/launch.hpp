#pragma once
// Starting the app (or an exec command) exactly as Docker would: its own argv and environment,
// user and groups, working directory, default signal state, no inherited descriptors beyond
// 0-2, the capabilities and seccomp policy of a plain `docker run` (confine.hpp). The child
// waits for a go-ahead so the tracer can seize it before it confines itself and execs.

#include "sensor/confine.hpp"
#include "sensor/users.hpp"

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace slim::sensor {

/// What to start.
struct LaunchSpec {
  std::vector<std::string> argv;            ///< argv[0] is looked up on PATH when it has no '/'
  std::vector<std::string> env;             ///< the complete environment
  std::optional<ResolvedUser> user;         ///< switch to it (groups too); nullopt keeps ours
  std::optional<std::string> workdir;       ///< chdir before exec
  const Confinement* confinement = nullptr; ///< applied before exec; must outlive go_ahead()
};

/// A started child, blocked before exec until go() is called.
struct Launched {
  pid_t pid = -1;
  std::string exec_path; ///< the path it will exec (after PATH lookup)
  int go_fd = -1;        ///< write end of the go-ahead pipe
  int error_fd = -1;     ///< read end: the child's errno if its set-up or exec failed
};

/// The program file `name` names on `path_var` (colon-separated), like execvp; a name with a
/// '/' is returned as is. nullopt when not found.
std::optional<std::string> find_program(const std::string& name, const std::string& path_var);

/// The PATH value of `env`, or Docker's default when unset.
std::string path_of(const std::vector<std::string>& env);

/// Forks the child; it sets itself up and waits. Error text on failure to fork.
Result<Launched> launch(const LaunchSpec& spec);

/// Lets the child go on to exec. It first confines itself (spec.confinement) with `mode`
/// (FilterMode::trace only when a tracer has seized it: each of its system calls then stops
/// once for the tracer, see Tracer); the tracer must handle its stops (Tracer::run_until_exec)
/// before started() can return. When confining fails the child does not exec (started()
/// reports why).
void go_ahead(Launched& launched, FilterMode mode);

/// Waits until the child exec'd; returns 0 when exec succeeded, else the child's errno (the
/// child has exited with 126 or 127 then) and a message in `message`.
int started(Launched& launched, std::string& message);

/// The environment of this process as a vector.
std::vector<std::string> current_environment();

/// Applies Docker's HOME rule for a user switch: when HOME is unset, or was set for root by the
/// runtime (equal to root's home) and `user` is someone else, HOME becomes the user's home.
void fix_home(std::vector<std::string>& env, const ResolvedUser& user,
              const std::string& root_home);

} // namespace slim::sensor

namespace slim::sensor {

/// Resolves `spec` against this file system's /etc/passwd and /etc/group (missing files read
/// as empty, as in scratch images); error text names what is missing.
Result<ResolvedUser> resolve_image_user(const std::string& spec);

/// Root's home from /etc/passwd ("/root" when not listed): what the runtime set HOME to.
std::string root_home();

} // namespace slim::sensor
