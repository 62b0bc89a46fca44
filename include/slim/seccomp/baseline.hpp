#pragma once
// The harmless baseline: system calls every generated profile allows although the sensor may
// not have seen them, because they need no capability and reveal or change nothing outside the
// calling process. Blocking them only breaks code paths the probes happened to miss (a
// `user.Current()` behind an unprobed page, a clean exit). Nothing here opens, creates or
// changes a resource (files, sockets, memory maps, other processes, namespaces).

#include "slim/util/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace slim::seccomp {

/// Which baseline a generated profile gets (--seccomp-baseline).
enum class Baseline {
  none,     ///< only the calls seen (and the runtime's): the strict list
  harmless, ///< plus k_harmless_calls, and clone3 answered ENOSYS (the default)
};

/// A call of the baseline and why allowing it is harmless.
struct BaselineCall {
  std::string_view name;
  std::string_view why;
};

/// The harmless baseline (names libseccomp does not know on a profile's architectures, such
/// as the 32-bit aliases on riscv64, are left out of that profile).
extern const std::vector<BaselineCall> k_harmless_calls;

/// Why clone3 is answered ENOSYS (and not allowed) by the harmless baseline.
inline constexpr std::string_view k_clone3_enosys_why =
    "clone3 passes its flags in memory, where no seccomp filter can look; answering ENOSYS "
    "(as Docker's default profile does) makes glibc 2.34+ fall back to clone, whose rules "
    "apply, where EPERM would make every new thread fail";

/// "none" or "harmless"; fails on anything else.
Result<Baseline> parse_baseline(std::string_view text);

/// The baseline's name as parse_baseline reads it.
std::string_view to_string(Baseline baseline);

/// The names a baseline adds (empty for none), in k_harmless_calls order.
std::vector<std::string> baseline_names(Baseline baseline);

} // namespace slim::seccomp
