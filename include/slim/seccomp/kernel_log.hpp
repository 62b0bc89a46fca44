#pragma once
// The kernel's seccomp audit records (what a profile with defaultAction SCMP_ACT_LOG leaves in
// the kernel log) turned back into system call names: `slim seccomp explain`. Reads the lines
// of dmesg (with or without timestamps, -T too), journalctl -k, /var/log/audit/audit.log
// (type=SECCOMP, with or without the enriched fields) and `ausearch -i`.

#include "slim/seccomp/profile.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::seccomp {

/// One seccomp record, its fields as the log spells them.
struct SeccompLogRecord {
  std::string arch;    ///< `arch=`: "c000003e" (AUDIT_ARCH_*, hex) or "x86_64" (ausearch -i)
  std::string syscall; ///< `syscall=`: "41", or "socket" (ausearch -i)
  std::string code;    ///< `code=`: "0x7ffc0000" (the filter's return value), or "log"
  std::optional<long> pid;
  std::string comm; ///< decoded: audit writes names with spaces or quotes in hex
  std::string exe;
};

/// The record in `line`, or nullopt when the line holds none (type=1326 / type=SECCOMP).
std::optional<SeccompLogRecord> parse_seccomp_log_line(std::string_view line);

/// A record's call: its SCMP_ARCH_* (x86_64 numbers with the x32 bit are SCMP_ARCH_X32) and
/// its name through libseccomp (seccomp_syscall_resolve_num_arch); "#NR" when unknown.
struct ResolvedCall {
  std::string arch; ///< "SCMP_ARCH_X86_64", or the log's text when slim does not know it
  std::string name;
  long number = -1; ///< -1 when the log gave a name
};

/// Resolves `record`'s arch and syscall.
ResolvedCall resolve_seccomp_record(const SeccompLogRecord& record);

/// What a `code=` means: "log", "errno(1)", "kill_process", "kill_thread", "trap", "trace",
/// "user_notif", "allow", or the text itself when it is none of them.
std::string seccomp_action_name(std::string_view code);

/// One system call of the log, with everything the records said about it.
struct ExplainedCall {
  std::string name;
  std::string arch;
  long number = -1;
  std::size_t count = 0;
  std::vector<std::string> actions;  ///< sorted
  std::vector<std::string> programs; ///< "comm (exe)", sorted, at most 8
  /// With a profile: "no" (not in it), "args" (only for some argument values), "yes".
  std::string in_profile;
};

/// The calls of a log.
struct Explanation {
  std::size_t lines = 0;
  std::size_t records = 0;
  std::size_t suppressed = 0; ///< records the kernel's rate limit dropped ("callbacks suppressed")
  std::vector<ExplainedCall> calls; ///< most frequent first, then by name
};

/// Explains the seccomp records of `text` (other lines are skipped); `profile` (may be null)
/// fills ExplainedCall::in_profile.
Explanation explain_seccomp_log(std::string_view text, const SeccompProfile* profile);

/// The explanation as a table, plus a line naming the calls not in the profile (with one).
std::string to_text(const Explanation& explanation, bool with_profile);

} // namespace slim::seccomp
