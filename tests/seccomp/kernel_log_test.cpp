// The kernel log parser of `slim seccomp explain`, on recorded lines: dmesg (recorded on this
// project's CI host from a log-mode profile), and the same records as journalctl -k, audit.log
// and ausearch -i print them (tests/data/seccomp/README.md).
#include "slim/seccomp/generate.hpp"
#include "slim/seccomp/kernel_log.hpp"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace slim::seccomp {
namespace {

std::string data(const std::string& name) {
  std::ifstream in(std::string(SLIM_TEST_DATA_DIR) + "/seccomp/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const ExplainedCall* find_call(const Explanation& e, const std::string& name) {
  for (const auto& c : e.calls) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

TEST(SeccompKernelLog, ParsesADmesgRecord) {
  auto r = parse_seccomp_log_line(
      "[ 2858.026391] audit: type=1326 audit(1796158493.498:2): auid=4294967295 uid=0 gid=0 "
      "ses=4294967295 pid=31830 comm=\"runc:[2:INIT]\" exe=\"/\" sig=0 arch=c000003e "
      "syscall=157 compat=0 ip=0x40828e code=0x7ffc0000");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->arch, "c000003e");
  EXPECT_EQ(r->syscall, "157");
  EXPECT_EQ(r->code, "0x7ffc0000");
  EXPECT_EQ(r->pid, 31830);
  EXPECT_EQ(r->comm, "runc:[2:INIT]");
  EXPECT_EQ(r->exe, "/");
  ResolvedCall c = resolve_seccomp_record(*r);
  EXPECT_EQ(c.arch, "SCMP_ARCH_X86_64");
  EXPECT_EQ(c.name, "prctl");
  EXPECT_EQ(c.number, 157);
  EXPECT_EQ(seccomp_action_name(r->code), "log");
}

TEST(SeccompKernelLog, OtherLinesAreNoRecords) {
  EXPECT_FALSE(parse_seccomp_log_line("[    1.341221] EXT4-fs (vda): mounted filesystem"));
  EXPECT_FALSE(parse_seccomp_log_line("audit: type=1400 audit(1.2:3): apparmor=\"DENIED\""));
  EXPECT_FALSE(parse_seccomp_log_line(""));
  EXPECT_FALSE(parse_seccomp_log_line("audit: type=1326 audit(1.2:3): truncated"));
}

TEST(SeccompKernelLog, ArchitecturesAndActions) {
  auto resolved = [](const std::string& arch, const std::string& nr) {
    SeccompLogRecord r;
    r.arch = arch;
    r.syscall = nr;
    return resolve_seccomp_record(r);
  };
  EXPECT_EQ(resolved("40000003", "102").name, "socketcall"); // i386
  EXPECT_EQ(resolved("40000003", "102").arch, "SCMP_ARCH_X86");
  EXPECT_EQ(resolved("c00000b7", "198").name, "socket"); // aarch64
  EXPECT_EQ(resolved("c00000b7", "198").arch, "SCMP_ARCH_AARCH64");
  auto x32 = resolved("c000003e", std::to_string(0x40000000 + 41));
  EXPECT_EQ(x32.arch, "SCMP_ARCH_X32");
  EXPECT_EQ(x32.name, "socket");
  EXPECT_EQ(resolved("c000003e", "4000").name, "#4000");
  EXPECT_EQ(resolved("deadbeef", "41").arch, "deadbeef"); // unknown: as logged
  EXPECT_EQ(resolved("x86_64", "socket").name, "socket"); // ausearch -i
  EXPECT_EQ(resolved("x86_64", "socket").arch, "SCMP_ARCH_X86_64");

  EXPECT_EQ(seccomp_action_name("0x7ffc0000"), "log");
  EXPECT_EQ(seccomp_action_name("0x50001"), "errno(1)");
  EXPECT_EQ(seccomp_action_name("0x80000000"), "kill_process");
  EXPECT_EQ(seccomp_action_name("0x0"), "kill_thread");
  EXPECT_EQ(seccomp_action_name("0x30000"), "trap");
  EXPECT_EQ(seccomp_action_name("log"), "log");
}

TEST(SeccompKernelLog, HexEncodedNamesAreDecoded) {
  auto r = parse_seccomp_log_line(
      "[ 3834.529514] audit: type=1326 audit(1796159470.001:557): auid=4294967295 uid=0 gid=0 "
      "ses=4294967295 pid=25633 comm=6D7920617070 exe=\"/bin/busybox\" sig=0 arch=c000003e "
      "syscall=273 compat=0 ip=0x495a96 code=0x7ffc0000");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->comm, "my app");
  EXPECT_EQ(resolve_seccomp_record(*r).name, "set_robust_list");
}

// The same recorded run, in each of the formats: the same calls and counts.
void expect_recorded_run(const Explanation& e, std::size_t records) {
  EXPECT_EQ(e.records, records);
  const ExplainedCall* robust = find_call(e, "set_robust_list");
  ASSERT_NE(robust, nullptr);
  EXPECT_EQ(robust->count, 7u);
  EXPECT_EQ(robust->arch, "SCMP_ARCH_X86_64");
  EXPECT_EQ(robust->actions, (std::vector<std::string>{"log"}));
  const ExplainedCall* socket = find_call(e, "socket");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->count, 1u);
  EXPECT_EQ(socket->programs, (std::vector<std::string>{"nc (/bin/busybox)"}));
  const ExplainedCall* uname = find_call(e, "uname");
  ASSERT_NE(uname, nullptr);
  EXPECT_EQ(uname->count, 2u);
  EXPECT_EQ(e.calls.front().name, "set_robust_list"); // the most frequent first
  EXPECT_EQ(e.calls.size(), 14u);
}

TEST(SeccompKernelLog, DmesgWithTimestampsAndSuppressedMessages) {
  Explanation e = explain_seccomp_log(data("dmesg.txt"), nullptr);
  EXPECT_EQ(e.lines, 32u);
  EXPECT_EQ(e.suppressed, 31u);
  expect_recorded_run(e, 30);
  const ExplainedCall* robust = find_call(e, "set_robust_list");
  ASSERT_NE(robust, nullptr);
  EXPECT_NE(std::find(robust->programs.begin(), robust->programs.end(), "my app (/bin/busybox)"),
            robust->programs.end());
  std::string text = to_text(e, false);
  EXPECT_NE(text.find("30 seccomp record(s) in 32 line(s): 14 system call(s)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("suppressed 31 message(s)"), std::string::npos);
  EXPECT_EQ(text.find("in profile"), std::string::npos);
}

TEST(SeccompKernelLog, DmesgHumanTimestampsJournalctlAndAuditLog) {
  expect_recorded_run(explain_seccomp_log(data("dmesg-T.txt"), nullptr), 30);
  expect_recorded_run(explain_seccomp_log(data("journalctl-k.txt"), nullptr), 30);
  Explanation audit = explain_seccomp_log(data("audit.log"), nullptr);
  expect_recorded_run(audit, 30);
  EXPECT_EQ(audit.lines, 31u); // the SERVICE_START record is no seccomp record
}

TEST(SeccompKernelLog, AusearchInterpretedRecords) {
  Explanation e = explain_seccomp_log(data("ausearch-i.txt"), nullptr);
  EXPECT_EQ(e.records, 6u);
  const ExplainedCall* socket = find_call(e, "socket");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->arch, "SCMP_ARCH_X86_64");
  EXPECT_EQ(socket->programs, (std::vector<std::string>{"nc (/bin/busybox)"}));
  EXPECT_EQ(socket->actions, (std::vector<std::string>{"log"}));
}

TEST(SeccompKernelLog, SaysWhichCallsTheProfileLacks) {
  SeenCalls seen;
  seen.names = {"set_robust_list", "uname", "bind"};
  seen.args = std::vector<SyscallArgs>{{"socket", 0, {1}}}; // AF_UNIX only
  auto profile = generate_seccomp_profile(seen, "x86_64").value().profile;
  Explanation e = explain_seccomp_log(data("dmesg.txt"), &profile);
  EXPECT_EQ(find_call(e, "set_robust_list")->in_profile, "yes");
  EXPECT_EQ(find_call(e, "getrandom")->in_profile, "yes"); // the harmless baseline has it
  EXPECT_EQ(find_call(e, "socket")->in_profile, "args");
  EXPECT_EQ(find_call(e, "listen")->in_profile, "no");
  std::string text = to_text(e, true);
  EXPECT_NE(text.find("in profile"), std::string::npos);
  auto tail = text.substr(text.find("not in the profile yet: "));
  EXPECT_NE(tail.find("listen"), std::string::npos) << text;
  EXPECT_EQ(tail.find("uname"), std::string::npos) << text;
  EXPECT_EQ(tail.find("socket"), std::string::npos) << text;
}

TEST(SeccompKernelLog, NoRecordsSaysWhereToLook) {
  std::string text = to_text(explain_seccomp_log("[ 1.0] hello\n", nullptr), false);
  EXPECT_NE(text.find("0 seccomp record(s) in 1 line(s)"), std::string::npos) << text;
  EXPECT_NE(text.find("SCMP_ACT_LOG"), std::string::npos);
  EXPECT_NE(text.find("audit.log"), std::string::npos);
}

} // namespace
} // namespace slim::seccomp
