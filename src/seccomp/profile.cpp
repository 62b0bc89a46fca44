#include "slim/seccomp/profile.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <seccomp.h>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace slim::seccomp {

namespace {

using nlohmann::json;

struct ArchName {
  std::string_view name;
  std::uint32_t token;
};

constexpr std::array<ArchName, 8> k_arches = {{
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
}};

struct OpName {
  std::string_view name;
  scmp_compare op;
};

constexpr std::array<OpName, 7> k_ops = {{
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
}};

std::optional<scmp_compare> op_value(std::string_view name) {
  for (const auto& o : k_ops) {
    if (o.name == name) {
      return o.op;
    }
  }
  return std::nullopt;
}

// libseccomp's action for a Docker action name; nullopt when unknown.
std::optional<std::uint32_t> action_value(std::string_view action, std::optional<int> errno_ret) {
  if (action == "SCMP_ACT_ALLOW") {
    return SCMP_ACT_ALLOW;
  }
  if (action == "SCMP_ACT_ERRNO") {
    return SCMP_ACT_ERRNO(static_cast<std::uint32_t>(errno_ret.value_or(EPERM)));
  }
  if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") {
    return SCMP_ACT_KILL;
  }
  if (action == "SCMP_ACT_KILL_PROCESS") {
    return SCMP_ACT_KILL_PROCESS;
  }
  if (action == "SCMP_ACT_TRAP") {
    return SCMP_ACT_TRAP;
  }
  if (action == "SCMP_ACT_LOG") {
    return SCMP_ACT_LOG;
  }
  return std::nullopt;
}

bool plausible_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Owns one libseccomp filter context.
class FilterCtx {
public:
  explicit FilterCtx(std::uint32_t def) : m_ctx(seccomp_init(def)) {}
  ~FilterCtx() {
    if (m_ctx != nullptr) {
      seccomp_release(m_ctx);
    }
  }
  FilterCtx(const FilterCtx&) = delete;
  FilterCtx& operator=(const FilterCtx&) = delete;
  scmp_filter_ctx get() const { return m_ctx; }

private:
  scmp_filter_ctx m_ctx;
};

class Fd {
public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return m_fd; }

private:
  int m_fd;
};

// The libseccomp comparisons of one rule, or an error naming the bad condition. runc adds a
// rule whose conditions repeat an argument as one rule per condition (libseccomp refuses two
// comparisons of one argument in a rule), so the result is a list of comparison sets.
Result<std::vector<std::vector<scmp_arg_cmp>>> comparisons(const SeccompRule& rule,
                                                           const std::string& field) {
  using R = Result<std::vector<std::vector<scmp_arg_cmp>>>;
  std::vector<scmp_arg_cmp> all;
  std::set<unsigned> indexes;
  for (std::size_t k = 0; k < rule.args.size(); ++k) {
    const ArgCondition& a = rule.args[k];
    const std::string where = field + ".args[" + std::to_string(k) + "]";
    if (a.index > 5) {
      return R::fail(where + ": index " + std::to_string(a.index) + " (system calls have 6)");
    }
    auto op = op_value(a.op);
    if (!op) {
      return R::fail(where + ": unknown op `" + a.op.substr(0, 64) + "`");
    }
    all.push_back(scmp_arg_cmp{a.index, *op, a.value, a.value_two});
    indexes.insert(a.index);
  }
  if (indexes.size() == all.size()) {
    return std::vector<std::vector<scmp_arg_cmp>>{all};
  }
  std::vector<std::vector<scmp_arg_cmp>> split;
  for (const auto& c : all) {
    split.push_back({c});
  }
  return split;
}

// One filter context holding every architecture of the profile, as runc builds it: names are
// resolved for the native architecture (pseudo numbers for calls it lacks) and libseccomp
// translates each rule to every architecture that has the call.
Result<std::size_t> compile_all(const SeccompProfile& profile,
                                const std::vector<std::uint32_t>& arches, std::uint32_t def,
                                bool load) {
  using R = Result<std::size_t>;
  const std::string where = "seccomp profile";
  FilterCtx ctx(def);
  if (ctx.get() == nullptr) {
    return R::fail(where + ": seccomp_init failed");
  }
  const std::uint32_t native = seccomp_arch_native();
  bool keep_native = false;
  for (auto a : arches) {
    if (a == native) {
      keep_native = true;
      continue;
    }
    if (int rc = seccomp_arch_add(ctx.get(), a); rc != 0 && rc != -EEXIST) {
      return R::fail(where + ": seccomp_arch_add: " + std::strerror(-rc));
    }
  }
  if (!keep_native) {
    if (int rc = seccomp_arch_remove(ctx.get(), native); rc != 0) {
      return R::fail(where + ": seccomp_arch_remove: " + std::strerror(-rc));
    }
  }
  for (std::size_t i = 0; i < profile.syscalls.size(); ++i) {
    const SeccompRule& rule = profile.syscalls[i];
    const std::string field = where + ": syscalls[" + std::to_string(i) + "]";
    auto act = action_value(rule.action, rule.errno_ret);
    if (!act) {
      return R::fail(field + ": unknown action `" + rule.action.substr(0, 64) + "`");
    }
    auto cmps = comparisons(rule, field);
    if (!cmps.ok()) {
      return R::fail(cmps.error());
    }
    if (*act == def) {
      continue; // libseccomp refuses rules that repeat the default; Docker skips them too
    }
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      for (std::size_t k = 0; nr == __NR_SCMP_ERROR && k < arches.size(); ++k) {
        nr = seccomp_syscall_resolve_name_arch(arches[k], name.c_str());
      }
      if (nr == __NR_SCMP_ERROR) {
        return R::fail(field + ": unknown system call `" + name.substr(0, 64) + "`");
      }
      for (const auto& set : cmps.value()) {
        int rc = seccomp_rule_add_array(ctx.get(), *act, nr, static_cast<unsigned>(set.size()),
                                        set.empty() ? nullptr : set.data());
        if (rc == -EEXIST) {
          return R::fail(field + ": `" + name +
                         "` has another action for the same arguments in an earlier rule");
        }
        if (rc != 0) {
          return R::fail(field + ": rule for `" + name + "`: " + std::strerror(-rc));
        }
      }
    }
  }
  Fd fd(::memfd_create("slim-seccomp", MFD_CLOEXEC));
  if (fd.get() < 0) {
    return R::fail(where + ": memfd_create: " + std::strerror(errno));
  }
  if (int rc = seccomp_export_bpf(ctx.get(), fd.get()); rc != 0) {
    return R::fail(where + ": seccomp_export_bpf: " + std::strerror(-rc));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return R::fail(where + ": fstat: " + std::strerror(errno));
  }
  if (load) {
    if (int rc = seccomp_load(ctx.get()); rc != 0) {
      return R::fail(where + ": seccomp_load: " + std::strerror(-rc));
    }
  }
  return static_cast<std::size_t>(st.st_size);
}

// An unsigned integer field of an `args` entry; nullopt (with `error` set) when it is not one.
std::optional<std::uint64_t> unsigned_field(const json& j, const char* key, bool required,
                                            const std::string& where, std::string& error) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) {
      error = where + "." + key + ": missing";
      return std::nullopt;
    }
    return std::uint64_t{0};
  }
  if (it->is_number_unsigned()) {
    return it->get<std::uint64_t>();
  }
  if (it->is_number_integer() && it->get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(it->get<std::int64_t>());
  }
  error = where + "." + key + ": not an unsigned integer";
  return std::nullopt;
}

Result<std::vector<ArgCondition>> parse_args(const json& a, const std::string& field) {
  using R = Result<std::vector<ArgCondition>>;
  std::vector<ArgCondition> out;
  if (a.is_null()) {
    return out;
  }
  if (!a.is_array()) {
    return R::fail(field + ".args: not an array");
  }
  for (std::size_t k = 0; k < a.size(); ++k) {
    const json& c = a[k];
    const std::string where = field + ".args[" + std::to_string(k) + "]";
    if (!c.is_object()) {
      return R::fail(where + ": not an object");
    }
    std::string error;
    auto index = unsigned_field(c, "index", true, where, error);
    auto value = index ? unsigned_field(c, "value", false, where, error) : std::nullopt;
    auto two = value ? unsigned_field(c, "valueTwo", false, where, error) : std::nullopt;
    if (!two) {
      return R::fail(error);
    }
    auto op = c.find("op");
    if (op == c.end() || !op->is_string()) {
      return R::fail(where + ".op: missing or not a string");
    }
    if (*index > 5) {
      return R::fail(where + ".index: " + std::to_string(*index) + " (system calls have 6)");
    }
    out.push_back({static_cast<unsigned>(*index), *value, *two, op->get<std::string>()});
  }
  return out;
}

} // namespace

std::vector<std::string> SeccompProfile::allowed() const {
  std::set<std::string> out;
  for (const auto& r : syscalls) {
    if (r.action == "SCMP_ACT_ALLOW" && r.args.empty()) {
      out.insert(r.names.begin(), r.names.end());
    }
  }
  return {out.begin(), out.end()};
}

std::vector<std::string> SeccompProfile::allowed_with_args() const {
  std::set<std::string> out;
  for (const auto& r : syscalls) {
    if (r.action == "SCMP_ACT_ALLOW" && !r.args.empty()) {
      out.insert(r.names.begin(), r.names.end());
    }
  }
  return {out.begin(), out.end()};
}

std::size_t SeccompProfile::name_count() const {
  std::set<std::string> out;
  for (const auto& r : syscalls) {
    out.insert(r.names.begin(), r.names.end());
  }
  return out.size();
}

Result<std::vector<std::string>> seccomp_architectures(std::string_view arch) {
  using R = Result<std::vector<std::string>>;
  if (arch == "x86_64" || arch == "amd64") {
    return std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  }
  if (arch == "aarch64" || arch == "arm64") {
    return std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
  }
  if (arch == "i386" || arch == "i686" || arch == "386") {
    return std::vector<std::string>{"SCMP_ARCH_X86"};
  }
  if (arch == "armv7l" || arch == "arm") {
    return std::vector<std::string>{"SCMP_ARCH_ARM"};
  }
  if (arch == "ppc64le") {
    return std::vector<std::string>{"SCMP_ARCH_PPC64LE"};
  }
  if (arch == "s390x") {
    return std::vector<std::string>{"SCMP_ARCH_S390X"};
  }
  if (arch == "riscv64") {
    return std::vector<std::string>{"SCMP_ARCH_RISCV64"};
  }
  return R::fail("seccomp: unknown architecture `" + std::string(arch.substr(0, 64)) + "`");
}

std::optional<std::uint32_t> seccomp_arch_token(std::string_view name) {
  for (const auto& a : k_arches) {
    if (a.name == name) {
      return a.token;
    }
  }
  return std::nullopt;
}

std::optional<std::string> seccomp_arch_name(std::uint32_t token) {
  for (const auto& a : k_arches) {
    if (a.token == token) {
      return std::string(a.name);
    }
  }
  return std::nullopt;
}

bool seccomp_name_known(const std::string& name, const std::vector<std::string>& architectures) {
  if (!plausible_name(name)) {
    return false;
  }
  for (const auto& a : architectures) {
    if (auto token = seccomp_arch_token(a)) {
      if (seccomp_syscall_resolve_name_arch(*token, name.c_str()) >= 0) {
        return true;
      }
    }
  }
  return false;
}

Result<std::size_t> compile_seccomp_profile(const SeccompProfile& profile, bool load) {
  using R = Result<std::size_t>;
  auto def = action_value(profile.default_action, profile.default_errno_ret);
  if (!def) {
    return R::fail("seccomp profile: unknown defaultAction `" +
                   profile.default_action.substr(0, 64) + "`");
  }
  if (profile.architectures.empty()) {
    return R::fail("seccomp profile: no architectures");
  }
  std::vector<std::uint32_t> arches;
  for (const auto& a : profile.architectures) {
    auto token = seccomp_arch_token(a);
    if (!token) {
      return R::fail("seccomp profile: unknown architecture `" + a.substr(0, 64) + "`");
    }
    arches.push_back(*token);
  }
  return compile_all(profile, arches, *def, load);
}

json profile_to_json(const SeccompProfile& profile) {
  json j = json::object();
  j["defaultAction"] = profile.default_action;
  if (profile.default_errno_ret) {
    j["defaultErrnoRet"] = *profile.default_errno_ret;
  }
  j["architectures"] = profile.architectures;
  json rules = json::array();
  for (const auto& r : profile.syscalls) {
    json rule = {{"names", r.names}, {"action", r.action}};
    if (r.errno_ret) {
      rule["errnoRet"] = *r.errno_ret;
    }
    if (!r.args.empty()) {
      json args = json::array();
      for (const auto& a : r.args) {
        json c = {{"index", a.index}, {"value", a.value}};
        if (a.op == "SCMP_CMP_MASKED_EQ" || a.value_two != 0) {
          c["valueTwo"] = a.value_two;
        }
        c["op"] = a.op;
        args.push_back(std::move(c));
      }
      rule["args"] = std::move(args);
    }
    rules.push_back(std::move(rule));
  }
  j["syscalls"] = std::move(rules);
  return j;
}

std::string to_json_text(const SeccompProfile& profile) {
  return profile_to_json(profile).dump(2) + "\n";
}

Result<SeccompProfile> parse_seccomp_profile(std::string_view text) {
  using R = Result<SeccompProfile>;
  if (text.size() > (std::size_t{16} << 20)) {
    return R::fail("seccomp profile: larger than 16 MiB");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return R::fail("seccomp profile: not a JSON object");
  }
  return profile_from_json(j);
}

Result<SeccompProfile> profile_from_json(const json& j) {
  using R = Result<SeccompProfile>;
  if (!j.is_object()) {
    return R::fail("seccomp profile: not a JSON object");
  }
  SeccompProfile p;
  auto da = j.find("defaultAction");
  if (da == j.end() || !da->is_string()) {
    return R::fail("seccomp profile: defaultAction: missing or not a string");
  }
  p.default_action = da->get<std::string>();
  if (auto it = j.find("defaultErrnoRet"); it != j.end()) {
    if (!it->is_number_integer()) {
      return R::fail("seccomp profile: defaultErrnoRet: not an integer");
    }
    p.default_errno_ret = it->get<int>();
  }
  if (auto it = j.find("architectures"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) {
      return R::fail("seccomp profile: architectures: not an array");
    }
    for (const auto& a : *it) {
      if (!a.is_string()) {
        return R::fail("seccomp profile: architectures: not an array of strings");
      }
      p.architectures.push_back(a.get<std::string>());
    }
  }
  if (auto it = j.find("archMap"); it != j.end() && it->is_array() && p.architectures.empty()) {
    for (const auto& m : *it) {
      if (!m.is_object() || !m.contains("architecture") || !m["architecture"].is_string()) {
        return R::fail("seccomp profile: archMap: entries need an `architecture` string");
      }
      p.architectures.push_back(m["architecture"].get<std::string>());
      if (auto sub = m.find("subArchitectures"); sub != m.end() && sub->is_array()) {
        for (const auto& s : *sub) {
          if (s.is_string()) {
            p.architectures.push_back(s.get<std::string>());
          }
        }
      }
    }
  }
  auto sc = j.find("syscalls");
  if (sc != j.end() && !sc->is_null()) {
    if (!sc->is_array()) {
      return R::fail("seccomp profile: syscalls: not an array");
    }
    for (std::size_t i = 0; i < sc->size(); ++i) {
      const json& r = (*sc)[i];
      const std::string field = "seccomp profile: syscalls[" + std::to_string(i) + "]";
      if (!r.is_object()) {
        return R::fail(field + ": not an object");
      }
      SeccompRule rule;
      if (auto n = r.find("names"); n != r.end() && n->is_array()) {
        for (const auto& name : *n) {
          if (!name.is_string()) {
            return R::fail(field + ".names: not an array of strings");
          }
          rule.names.push_back(name.get<std::string>());
        }
      } else if (auto n1 = r.find("name"); n1 != r.end() && n1->is_string()) {
        rule.names.push_back(n1->get<std::string>());
      } else {
        return R::fail(field + ": needs `names` (an array) or `name`");
      }
      std::sort(rule.names.begin(), rule.names.end());
      auto act = r.find("action");
      if (act == r.end() || !act->is_string()) {
        return R::fail(field + ".action: missing or not a string");
      }
      rule.action = act->get<std::string>();
      if (auto e = r.find("errnoRet"); e != r.end() && e->is_number_integer()) {
        rule.errno_ret = e->get<int>();
      }
      if (auto a = r.find("args"); a != r.end()) {
        auto args = parse_args(*a, field);
        if (!args.ok()) {
          return R::fail(args.error());
        }
        rule.args = std::move(args.value());
      }
      p.syscalls.push_back(std::move(rule));
    }
  }
  return p;
}

} // namespace slim::seccomp
