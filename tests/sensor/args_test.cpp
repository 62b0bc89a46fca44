#include "sensor/args.hpp"
#include "sensor/exec_image.hpp"
#include "sensor/recording.hpp"
#include "sensor/syscall_table.hpp"

#include <csignal>
#include <gtest/gtest.h>
#include <sys/syscall.h>

using namespace slim::sensor;

TEST(SensorArgs, RunWithAllOptions) {
  auto c = parse_command_line({"run", "--report", "/tmp/r.json", "--mode=ptrace", "--user",
                               "app:staff", "--workdir", "/srv", "--stop-signal", "SIGQUIT",
                               "--stop-grace", "2.5", "--", "python3", "-m", "http.server"});
  ASSERT_TRUE(c.ok()) << c.error();
  const auto& run = c.value().run;
  EXPECT_EQ(c.value().kind, Command::Kind::run);
  EXPECT_EQ(run.report, "/tmp/r.json");
  EXPECT_EQ(run.mode, Mode::ptrace);
  EXPECT_EQ(run.user, "app:staff");
  EXPECT_EQ(run.workdir, "/srv");
  EXPECT_EQ(run.stop_signal, SIGQUIT);
  EXPECT_DOUBLE_EQ(run.stop_grace, 2.5);
  EXPECT_EQ(run.argv, (std::vector<std::string>{"python3", "-m", "http.server"}));
}

TEST(SensorArgs, RunDefaultsAndCommandOptionsAfterDashDash) {
  auto c = parse_command_line({"run", "--", "ls", "--report", "x"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value().run.report, "/.slim/report.json");
  EXPECT_EQ(c.value().run.mode, Mode::both);
  EXPECT_EQ(c.value().run.stop_signal, SIGTERM);
  EXPECT_EQ(c.value().run.argv, (std::vector<std::string>{"ls", "--report", "x"}));
}

TEST(SensorArgs, KeepCapForRunAndExec) {
  auto run = parse_command_line(
      {"run", "--keep-cap", "SYS_ADMIN", "--keep-cap=cap_sys_ptrace", "--", "true"});
  ASSERT_TRUE(run.ok()) << run.error();
  EXPECT_EQ(run.value().run.keep_caps, k_sensor_only_caps);
  auto exec = parse_command_line({"exec", "--keep-cap", "SYS_PTRACE", "--", "true"});
  ASSERT_TRUE(exec.ok()) << exec.error();
  EXPECT_EQ(exec.value().exec.keep_caps, cap_bit(k_cap_sys_ptrace));
  EXPECT_EQ(parse_command_line({"run", "--", "true"}).value().run.keep_caps, 0U);
  auto bad = parse_command_line({"run", "--keep-cap", "SYS_EVERYTHING", "--", "true"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("SYS_EVERYTHING"), std::string::npos);
  // Nothing but the sensor's own capabilities is taken from the app: keeping another is an
  // error, not a no-op.
  EXPECT_FALSE(parse_command_line({"exec", "--keep-cap", "NET_ADMIN", "--", "true"}).ok());
}

TEST(SensorArgs, Errors) {
  EXPECT_FALSE(parse_command_line({"run"}).ok());
  EXPECT_FALSE(parse_command_line({"run", "--"}).ok());
  EXPECT_FALSE(parse_command_line({"run", "--mode", "strace", "--", "x"}).ok());
  EXPECT_FALSE(parse_command_line({"run", "--bogus", "--", "x"}).ok());
  EXPECT_FALSE(parse_command_line({"run", "--report"}).ok());
  EXPECT_FALSE(parse_command_line({"ctl", "start"}).ok());
  EXPECT_FALSE(parse_command_line({"probe"}).ok());
  EXPECT_FALSE(parse_command_line({"probe", "http://a", "--header", "nocolon"}).ok());
  EXPECT_FALSE(parse_command_line({"frobnicate"}).ok());
}

TEST(SensorArgs, CtlExecProbeVersion) {
  auto ctl = parse_command_line({"ctl", "stop", "--signal", "INT", "--grace", "1"});
  ASSERT_TRUE(ctl.ok());
  EXPECT_EQ(ctl.value().ctl.signal, SIGINT);
  EXPECT_EQ(ctl.value().ctl.grace, 1.0);
  auto exec = parse_command_line({"exec", "--user", "nobody", "--", "sh", "-c", "true"});
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec.value().exec.user, "nobody");
  EXPECT_EQ(exec.value().exec.argv.size(), 3U);
  auto probe = parse_command_line({"probe", "http://127.0.0.1:80/", "--header", "A: b", "--data",
                                   "x", "--timeout", "3", "--retries", "4"});
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe.value().probe.method, "POST"); // a body without --method means POST
  EXPECT_EQ(probe.value().probe.retries, 4);
  EXPECT_EQ(probe.value().probe.headers.size(), 1U);
  EXPECT_EQ(parse_command_line({"--version"}).value().kind, Command::Kind::version);
}

TEST(SensorArgs, Signals) {
  EXPECT_EQ(parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(parse_signal("10"), 10);
  EXPECT_EQ(parse_signal("SIGNOPE"), std::nullopt);
  EXPECT_EQ(parse_signal("0"), std::nullopt);
}

TEST(SensorSyscalls, PathCallsTable) {
  const PathCall* openat = path_call(SYS_openat);
  ASSERT_NE(openat, nullptr);
  EXPECT_EQ(openat->op, op_open);
  EXPECT_EQ(openat->first.dirfd, 0);
  EXPECT_EQ(openat->first.path, 1);
  EXPECT_EQ(openat->style, FlagStyle::open_flags);
  const PathCall* readlinkat = path_call(SYS_readlinkat);
  ASSERT_NE(readlinkat, nullptr);
  EXPECT_FALSE(readlinkat->follow);
  const PathCall* getdents = path_call(SYS_getdents64);
  ASSERT_NE(getdents, nullptr);
  EXPECT_EQ(getdents->first.path, -1); // from the fd
  const PathCall* rename = path_call(SYS_renameat2);
  ASSERT_NE(rename, nullptr);
  EXPECT_EQ(rename->second.path, 3);
  EXPECT_EQ(path_call(SYS_read), nullptr);
  EXPECT_EQ(path_call(-1), nullptr);
  EXPECT_EQ(syscall_name(SYS_openat), "openat");
  EXPECT_EQ(syscall_name(SYS_execve), "execve");
}

TEST(SensorExecImage, FindsShebangAndElfInterpreter) {
  EXPECT_EQ(interpreter_of("#!/bin/sh -e\necho"), "/bin/sh");
  EXPECT_EQ(interpreter_of("#! /usr/bin/env python3\n"), "/usr/bin/env");
  EXPECT_EQ(interpreter_of("plain text"), std::nullopt);
  // A minimal 64-bit ELF header with one PT_INTERP program header.
  std::string elf(256, '\0');
  elf.replace(0, 4,
              "\x7f"
              "ELF");
  elf[4] = 2; // 64-bit
  elf[5] = 1; // little-endian
  auto put = [&](std::size_t off, std::uint64_t v, int size) {
    for (int i = 0; i < size; ++i) {
      elf[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
  };
  put(32, 64, 8);      // e_phoff
  put(54, 56, 2);      // e_phentsize
  put(56, 1, 2);       // e_phnum
  put(64, 3, 4);       // p_type = PT_INTERP
  put(64 + 8, 200, 8); // p_offset
  put(64 + 32, 28, 8); // p_filesz
  elf.replace(200, 28, std::string("/lib64/ld-linux-x86-64.so.2\0", 28));
  EXPECT_EQ(interpreter_of(elf), "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(interpreter_of(elf.substr(0, 150)), std::nullopt); // string beyond the head
}
