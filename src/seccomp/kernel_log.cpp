#include "slim/seccomp/kernel_log.hpp"

#include "slim/util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <linux/seccomp.h>
#include <map>
#include <seccomp.h>
#include <set>
#include <tuple>

namespace slim::seccomp {

namespace {

// x86_64's x32 ABI: the same AUDIT_ARCH, system call numbers with this bit.
constexpr long k_x32_syscall_bit = 0x40000000;

bool is_separator(char c) {
  return c == ' ' || c == '\t' || c == '\x1d' || c == '\r' || c == '\n';
}

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::optional<unsigned long long> parse_number(std::string_view text, int base) {
  if (text.empty() || text.size() > 20) {
    return std::nullopt;
  }
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, base);
  if (errno != 0 || end == s.c_str() || *end != '\0' || s.front() == '-') {
    return std::nullopt;
  }
  return v;
}

// audit logs untrusted names (comm, exe) in hex when they hold a space, a quote or a byte
// outside printable ASCII; quoted otherwise.
std::string decode_untrusted(std::string_view value, bool quoted) {
  if (quoted || value.empty()) {
    return std::string(value);
  }
  // Not hex: ausearch -i prints names unquoted and decoded.
  return decode_hex(value).value_or(std::string(value));
}

// ausearch -i names the architecture; map its names to libseccomp's.
std::optional<std::string> arch_from_machine(std::string_view machine) {
  if (machine == "x86_64") {
    return "SCMP_ARCH_X86_64";
  }
  if (machine == "i386" || machine == "i686") {
    return "SCMP_ARCH_X86";
  }
  if (machine == "aarch64") {
    return "SCMP_ARCH_AARCH64";
  }
  if (machine == "arm" || machine == "armeb" || machine == "armv7l") {
    return "SCMP_ARCH_ARM";
  }
  if (machine == "ppc64le") {
    return "SCMP_ARCH_PPC64LE";
  }
  if (machine == "s390x") {
    return "SCMP_ARCH_S390X";
  }
  if (machine == "riscv64") {
    return "SCMP_ARCH_RISCV64";
  }
  return std::nullopt;
}

} // namespace

std::optional<SeccompLogRecord> parse_seccomp_log_line(std::string_view line) {
  std::size_t start = line.find("type=1326");
  if (start == std::string_view::npos) {
    start = line.find("type=SECCOMP");
  }
  if (start == std::string_view::npos) {
    return std::nullopt;
  }
  SeccompLogRecord r;
  bool have_syscall = false;
  std::size_t i = start;
  while (i < line.size()) {
    while (i < line.size() && (is_separator(line[i]) || line[i] == ':')) {
      ++i;
    }
    std::size_t key_start = i;
    while (i < line.size() && is_key_char(line[i])) {
      ++i;
    }
    std::string_view key = line.substr(key_start, i - key_start);
    if (i >= line.size() || line[i] != '=' || key.empty()) {
      // not key=value (the "audit(...)" stamp, a word): skip it
      while (i < line.size() && !is_separator(line[i])) {
        ++i;
      }
      continue;
    }
    ++i;
    std::string_view value;
    bool quoted = i < line.size() && line[i] == '"';
    if (quoted) {
      std::size_t end = line.find('"', i + 1);
      if (end == std::string_view::npos) {
        end = line.size();
      }
      value = line.substr(i + 1, end - i - 1);
      i = end + 1;
    } else {
      std::size_t end = i;
      while (end < line.size() && !is_separator(line[end])) {
        ++end;
      }
      value = line.substr(i, end - i);
      i = end;
    }
    // Lower-case keys only: audit.log's enriched fields (ARCH=, SYSCALL=) repeat them.
    if (key == "arch") {
      r.arch = std::string(value);
    } else if (key == "syscall") {
      r.syscall = std::string(value);
      have_syscall = !value.empty();
    } else if (key == "code") {
      r.code = std::string(value);
    } else if (key == "pid") {
      if (auto n = parse_number(value, 10)) {
        r.pid = static_cast<long>(*n);
      }
    } else if (key == "comm") {
      r.comm = decode_untrusted(value, quoted);
    } else if (key == "exe") {
      r.exe = decode_untrusted(value, quoted);
    }
  }
  if (!have_syscall) {
    return std::nullopt;
  }
  return r;
}

ResolvedCall resolve_seccomp_record(const SeccompLogRecord& record) {
  ResolvedCall out;
  out.arch = record.arch;
  std::optional<std::uint32_t> token;
  if (auto hex = parse_number(record.arch, 16)) {
    if (auto name = seccomp_arch_name(static_cast<std::uint32_t>(*hex))) {
      out.arch = *name;
      token = static_cast<std::uint32_t>(*hex);
    }
  } else if (auto name = arch_from_machine(record.arch)) {
    out.arch = *name;
    token = seccomp_arch_token(*name);
  }
  auto nr = parse_number(record.syscall, 10);
  if (!nr) {
    out.name = record.syscall; // ausearch -i resolved it already
    return out;
  }
  out.number = static_cast<long>(*nr);
  if (token && *token == SCMP_ARCH_X86_64 && (out.number & k_x32_syscall_bit) != 0) {
    token = SCMP_ARCH_X32;
    out.arch = "SCMP_ARCH_X32";
  }
  out.name = "#" + std::to_string(out.number);
  if (token && out.number >= 0 && out.number <= 0x7fffffff) {
    char* name = seccomp_syscall_resolve_num_arch(*token, static_cast<int>(out.number));
    if (name != nullptr) {
      out.name = name;
      std::free(name);
    }
  }
  return out;
}

std::string seccomp_action_name(std::string_view code) {
  auto v = parse_number(code, 0);
  if (!v || *v > 0xffffffffULL) {
    return std::string(code); // ausearch -i: "log", "errno", ...
  }
  auto ret = static_cast<std::uint32_t>(*v);
  switch (ret & SECCOMP_RET_ACTION_FULL) {
  case SECCOMP_RET_KILL_PROCESS:
    return "kill_process";
  case SECCOMP_RET_KILL_THREAD:
    return "kill_thread";
  case SECCOMP_RET_TRAP:
    return "trap";
  case SECCOMP_RET_ERRNO:
    return "errno(" + std::to_string(ret & SECCOMP_RET_DATA) + ")";
  case SECCOMP_RET_USER_NOTIF:
    return "user_notif";
  case SECCOMP_RET_TRACE:
    return "trace";
  case SECCOMP_RET_LOG:
    return "log";
  case SECCOMP_RET_ALLOW:
    return "allow";
  }
  return std::string(code);
}

Explanation explain_seccomp_log(std::string_view text, const SeccompProfile* profile) {
  Explanation out;
  struct Acc {
    ExplainedCall call;
    std::set<std::string> actions, programs;
  };
  std::map<std::tuple<std::string, std::string>, Acc> by_call; // (arch, name)
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++out.lines;
    if (std::size_t s = line.find(" callbacks suppressed"); s != std::string_view::npos) {
      // "kauditd_printk_skb: 12 callbacks suppressed"
      std::size_t b = line.rfind(' ', s - 1);
      if (auto n = parse_number(line.substr(b + 1, s - b - 1), 10)) {
        out.suppressed += static_cast<std::size_t>(*n);
      }
      continue;
    }
    auto record = parse_seccomp_log_line(line);
    if (!record) {
      continue;
    }
    ++out.records;
    ResolvedCall rc = resolve_seccomp_record(*record);
    Acc& acc = by_call[{rc.arch, rc.name}];
    acc.call.name = rc.name;
    acc.call.arch = rc.arch;
    acc.call.number = rc.number;
    ++acc.call.count;
    if (!record->code.empty()) {
      acc.actions.insert(seccomp_action_name(record->code));
    }
    if (acc.programs.size() < 8) {
      std::string prog = record->comm.empty() ? "?" : record->comm;
      if (!record->exe.empty()) {
        prog += " (" + record->exe + ")";
      }
      acc.programs.insert(prog);
    }
  }
  std::vector<std::string> allowed, with_args;
  if (profile != nullptr) {
    allowed = profile->allowed();
    with_args = profile->allowed_with_args();
  }
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::binary_search(v.begin(), v.end(), s);
  };
  for (auto& [key, acc] : by_call) {
    acc.call.actions = {acc.actions.begin(), acc.actions.end()};
    acc.call.programs = {acc.programs.begin(), acc.programs.end()};
    if (profile != nullptr) {
      acc.call.in_profile = has(allowed, acc.call.name)     ? "yes"
                            : has(with_args, acc.call.name) ? "args"
                                                            : "no";
    }
    out.calls.push_back(std::move(acc.call));
  }
  std::sort(out.calls.begin(), out.calls.end(), [](const ExplainedCall& a, const ExplainedCall& b) {
    return std::tie(b.count, a.name, a.arch) < std::tie(a.count, b.name, b.arch);
  });
  return out;
}

std::string to_text(const Explanation& e, bool with_profile) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%zu seccomp record(s) in %zu line(s): %zu system call(s)\n",
                e.records, e.lines, e.calls.size());
  out += buf;
  if (e.suppressed > 0) {
    std::snprintf(buf, sizeof buf,
                  "the kernel suppressed %zu message(s) (rate limit): counts are lower bounds\n",
                  e.suppressed);
    out += buf;
  }
  if (e.calls.empty()) {
    out += "no seccomp records: was the profile's defaultAction SCMP_ACT_LOG? With auditd "
           "running they are in /var/log/audit/audit.log (ausearch -m SECCOMP)\n";
    return out;
  }
  std::size_t wname = 7;
  std::size_t warch = 4;
  for (const auto& c : e.calls) {
    wname = std::max(wname, c.name.size());
    warch = std::max(warch, c.arch.size());
  }
  auto row = [&](const std::string& count, const std::string& name, const std::string& arch,
                 const std::string& action, const std::string& profile, const std::string& prog) {
    std::string line = count;
    line.insert(0, count.size() < 6 ? 6 - count.size() : 0, ' ');
    line += "  " + name + std::string(wname - name.size(), ' ');
    line += "  " + arch + std::string(warch - arch.size(), ' ');
    line += "  " + action + std::string(action.size() < 12 ? 12 - action.size() : 0, ' ');
    if (with_profile) {
      line += "  " + profile + std::string(profile.size() < 10 ? 10 - profile.size() : 0, ' ');
    }
    line += "  " + prog;
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line + "\n";
  };
  row("count", "syscall", "arch", "action", "in profile", "programs");
  std::vector<std::string> missing;
  for (const auto& c : e.calls) {
    std::string actions, programs;
    for (const auto& a : c.actions) {
      actions += (actions.empty() ? "" : ",") + a;
    }
    for (const auto& p : c.programs) {
      programs += (programs.empty() ? "" : ", ") + p;
    }
    row(std::to_string(c.count), c.name, c.arch, actions, c.in_profile, programs);
    if (c.in_profile == "no" &&
        std::find(missing.begin(), missing.end(), c.name) == missing.end()) {
      missing.push_back(c.name);
    }
  }
  if (with_profile) {
    if (missing.empty()) {
      out += "every call is in the profile (\"args\": allowed for other argument values only)\n";
    } else {
      std::string names;
      for (const auto& m : missing) {
        names += (names.empty() ? "" : ", ") + m;
      }
      out += "not in the profile yet: " + names + "\n";
    }
  }
  return out;
}

} // namespace slim::seccomp
