#include "slim/seccomp/arg_rules.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>
#include <utility>

namespace slim::seccomp {

namespace {

// A non-negative JSON integer (parsed ones are unsigned, built ones may be signed).
std::optional<std::uint64_t> as_unsigned(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    return v.get<std::uint64_t>();
  }
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  return std::nullopt;
}

} // namespace

const std::vector<ArgPolicy> k_arg_policies = {
    {"socket", 0, "address family (AF_PACKET and AF_NETLINK only when seen)"},
    {"clone", k_clone_namespace_flags, "namespace flags (none unless seen)"},
    {"unshare", k_unshare_namespace_flags, "namespace flags (none unless seen)"},
    {"personality", 0, "persona"},
    {"prctl", 0, "option"},
};

const ArgPolicy* find_arg_policy(std::string_view name) {
  for (const auto& p : k_arg_policies) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

unsigned clone_flags_index(const std::vector<std::string>& architectures) {
  // s390 passes clone's stack first and its flags second (Docker's default profile too).
  return std::find(architectures.begin(), architectures.end(), "SCMP_ARCH_S390X") !=
                 architectures.end()
             ? 1
             : 0;
}

FilteredCall filtered_call(const ArgPolicy& policy, unsigned index,
                           const std::set<std::uint64_t>& values) {
  std::set<std::uint64_t> allowed;
  for (auto v : values) {
    allowed.insert(policy.mask == 0 ? v : (v & policy.mask));
  }
  return {std::string(policy.name), index, policy.mask, {allowed.begin(), allowed.end()}};
}

std::vector<SeccompRule> allow_rules(const FilteredCall& call) {
  std::vector<SeccompRule> out;
  for (auto v : call.allowed) {
    SeccompRule r;
    r.names = {call.name};
    r.action = "SCMP_ACT_ALLOW";
    if (call.mask == 0) {
      r.args = {{call.index, v, 0, "SCMP_CMP_EQ"}};
    } else {
      r.args = {{call.index, call.mask, v, "SCMP_CMP_MASKED_EQ"}};
    }
    out.push_back(std::move(r));
  }
  return out;
}

nlohmann::json syscall_args_to_json(const std::vector<SyscallArgs>& args) {
  std::vector<SyscallArgs> sorted = args;
  std::sort(sorted.begin(), sorted.end(), [](const SyscallArgs& a, const SyscallArgs& b) {
    return std::tie(a.name, a.index) < std::tie(b.name, b.index);
  });
  nlohmann::json out = nlohmann::json::array();
  for (auto& a : sorted) {
    std::sort(a.values.begin(), a.values.end());
    a.values.erase(std::unique(a.values.begin(), a.values.end()), a.values.end());
    out.push_back({{"name", a.name}, {"index", a.index}, {"values", a.values}});
  }
  return out;
}

Result<std::vector<SyscallArgs>> parse_syscall_args(const nlohmann::json& doc) {
  using R = Result<std::vector<SyscallArgs>>;
  constexpr std::size_t k_max_entries = 512;
  constexpr std::size_t k_max_values = 4096;
  if (!doc.is_array()) {
    return R::fail("syscall_args: not an array");
  }
  if (doc.size() > k_max_entries) {
    return R::fail("syscall_args: more than " + std::to_string(k_max_entries) + " entries");
  }
  std::map<std::pair<std::string, unsigned>, std::set<std::uint64_t>> merged;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto& e = doc[i];
    const std::string where = "syscall_args[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      return R::fail(where + ": not an object");
    }
    auto name = e.find("name");
    if (name == e.end() || !name->is_string() || name->get_ref<const std::string&>().empty() ||
        name->get_ref<const std::string&>().size() > 64) {
      return R::fail(where + ".name: missing or not a system call name");
    }
    auto index = e.find("index");
    auto index_value = index == e.end() ? std::nullopt : as_unsigned(*index);
    if (!index_value || *index_value > 5) {
      return R::fail(where + ".index: missing or not 0-5");
    }
    auto values = e.find("values");
    if (values == e.end() || !values->is_array() || values->size() > k_max_values) {
      return R::fail(where + ".values: missing, not an array or more than " +
                     std::to_string(k_max_values) + " values");
    }
    auto& set = merged[{name->get<std::string>(), static_cast<unsigned>(*index_value)}];
    for (const auto& v : *values) {
      auto value = as_unsigned(v);
      if (!value) {
        return R::fail(where + ".values: not an array of unsigned integers");
      }
      set.insert(*value);
    }
  }
  std::vector<SyscallArgs> out;
  for (auto& [key, values] : merged) {
    out.push_back({key.first, key.second, {values.begin(), values.end()}});
  }
  return out;
}

} // namespace slim::seccomp
