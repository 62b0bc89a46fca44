#pragma once
// Capability sets as data (pure): names as Docker spells them, the sets of /proc/PID/status,
// and which capabilities the sensor holds only for itself, so the app can run with exactly what
// a plain `docker run` of its image would give it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::sensor {

/// A set of capabilities, bit N = capability N (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40).
using CapSet = std::uint64_t;

/// The set holding only capability `cap` (0..63).
constexpr CapSet cap_bit(int cap) {
  return CapSet{1} << cap;
}

inline constexpr int k_cap_sys_ptrace = 19;
inline constexpr int k_cap_sys_admin = 21;

/// What the controller adds to the profiling container for the sensor alone: fanotify and the
/// trace filter without no_new_privs (SYS_ADMIN), tracing (SYS_PTRACE). The app loses these
/// unless the user asked for them (`--keep-cap`, from `slim --cap-add`).
inline constexpr CapSet k_sensor_only_caps = cap_bit(k_cap_sys_admin) | cap_bit(k_cap_sys_ptrace);

/// The number of a capability named as Docker accepts it ("SYS_ADMIN", "CAP_SYS_ADMIN", any
/// case); nullopt when unknown.
std::optional<int> capability_number(std::string_view name);

/// Docker's name of capability `cap` ("SYS_ADMIN"), or "CAP_<n>" when unknown.
std::string capability_name(int cap);

/// The names of the capabilities in `set`, ascending by number.
std::vector<std::string> capability_names(CapSet set);

/// The five sets of a process.
struct CapSets {
  CapSet bounding = 0;
  CapSet permitted = 0;
  CapSet effective = 0;
  CapSet inheritable = 0;
  CapSet ambient = 0;
  bool operator==(const CapSets&) const = default;
};

/// `sets` without the capabilities in `drop`, in all five sets.
CapSets without(const CapSets& sets, CapSet drop);

/// The capabilities to take from the app: what only the sensor needs, except those the user
/// keeps for the app.
constexpr CapSet caps_to_drop(CapSet keep) {
  return k_sensor_only_caps & ~keep;
}

/// The value of one hex field of /proc/PID/status text ("CapBnd", "CapEff", ...); nullopt when
/// the field is missing or malformed.
std::optional<CapSet> status_capabilities(std::string_view status, std::string_view field);

/// All five sets from /proc/PID/status text; nullopt when one is missing (CapAmb may be absent
/// on old kernels: then 0).
std::optional<CapSets> status_capability_sets(std::string_view status);

} // namespace slim::sensor
