#pragma once
// Argument filters: for a few security-relevant calls the sensor records the argument values
// it saw, and the profile allows the call only for those values (Docker's JSON `args`).
//
// What the sensor delivers (the sensor report's `syscall_args`, copied into slim.report.json
// as its top-level `syscall_args`; absent when the sensor records no argument values):
//   "syscall_args": [
//     {"name": "socket",      "index": 0, "values": [1, 2, 10]},        // family
//     {"name": "clone",       "index": 0, "values": [18874385, 4001536]}, // flags, raw
//     {"name": "clone3",      "index": 0, "values": [4001536]},          // clone_args.flags
//     {"name": "unshare",     "index": 0, "values": [1024]},             // flags, raw
//     {"name": "personality", "index": 0, "values": [4294967295]},
//     {"name": "prctl",       "index": 0, "values": [15, 38]}            // option
//   ]
// One entry per call the sensor saw (a seen call of k_arg_policies without an entry is allowed
// with any arguments, with a warning). `values` are the distinct 64-bit values as the filter
// reads them from seccomp_data.args[index] (the register; flag words raw, not masked: the
// profile side masks). `index` is the argument's position as seccomp numbers it (clone's flags
// are 1 on s390x); for clone3, whose flags live in memory, `values` are clone_args.flags and
// `index` is 0.

#include "slim/seccomp/profile.hpp"
#include "slim/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace slim::seccomp {

/// The argument values seen for one call (see the file comment for the JSON).
struct SyscallArgs {
  std::string name;                  ///< the call, as in the report's `syscalls`
  unsigned index = 0;                ///< the argument, 0-5
  std::vector<std::uint64_t> values; ///< distinct values seen
  friend bool operator==(const SyscallArgs&, const SyscallArgs&) = default;
};

/// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
/// CLONE_NEWNET: the bits of clone's flags that make namespaces (Docker's default masks the same).
inline constexpr std::uint64_t k_clone_namespace_flags = 0x7E020000;
/// k_clone_namespace_flags | CLONE_NEWTIME (0x80, which clone reads as part of the exit signal).
inline constexpr std::uint64_t k_unshare_namespace_flags = k_clone_namespace_flags | 0x80;

/// How one call's argument is filtered.
struct ArgPolicy {
  std::string_view name;
  /// 0: each value seen is allowed exactly (SCMP_CMP_EQ); else only these bits are compared
  /// (SCMP_CMP_MASKED_EQ), one rule per distinct `value & mask`.
  std::uint64_t mask = 0;
  std::string_view what; ///< what the argument is, for the report and the README
};

/// socket (family), clone (namespace flags), unshare (namespace flags), personality (persona),
/// prctl (option). clone3 is not here: its flags are out of a filter's reach, so it is answered
/// ENOSYS and its values are allowed on clone (glibc's fallback passes the same flags).
extern const std::vector<ArgPolicy> k_arg_policies;

/// At most this many distinct values per call; more and the call gets a name-only rule (it is
/// then no small set of options, and the filter would grow without bound).
inline constexpr std::size_t k_max_arg_values = 64;

/// The policy for `name`, or nullptr when slim does not filter its arguments.
const ArgPolicy* find_arg_policy(std::string_view name);

/// Where the flags of clone are on these architectures: 1 on s390x, else 0.
unsigned clone_flags_index(const std::vector<std::string>& architectures);

/// One call allowed only for some argument values, as the report states it.
struct FilteredCall {
  std::string name;
  unsigned index = 0;
  std::uint64_t mask = 0;             ///< 0: `allowed` are exact values; else masked values
  std::vector<std::uint64_t> allowed; ///< sorted
};

/// The SCMP_ACT_ALLOW rules for `call`: one per allowed value, sorted.
std::vector<SeccompRule> allow_rules(const FilteredCall& call);

/// The FilteredCall for `values` of argument `index` of `policy`'s call (masked and deduplicated).
FilteredCall filtered_call(const ArgPolicy& policy, unsigned index,
                           const std::set<std::uint64_t>& values);

/// `syscall_args` as JSON: entries sorted by name and index, values sorted.
nlohmann::json syscall_args_to_json(const std::vector<SyscallArgs>& args);

/// Reads `syscall_args` (untrusted input): an array of {name, index, values}; at most 512
/// entries and 4096 values each; fails naming the entry that is wrong. Entries for one name and
/// index are merged.
Result<std::vector<SyscallArgs>> parse_syscall_args(const nlohmann::json& doc);

} // namespace slim::seccomp
