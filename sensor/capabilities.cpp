#include "sensor/capabilities.hpp"

#include <array>
#include <cctype>
#include <charconv>

namespace slim::sensor {

namespace {

// linux/capability.h, in number order.
constexpr std::array<const char*, 41> k_names = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

} // namespace

std::optional<int> capability_number(std::string_view name) {
  if (name.size() > 4 && equal_ignoring_case(name.substr(0, 4), "CAP_")) {
    name.remove_prefix(4);
  }
  for (std::size_t i = 0; i < k_names.size(); ++i) {
    if (equal_ignoring_case(name, k_names[i])) {
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

std::string capability_name(int cap) {
  if (cap >= 0 && static_cast<std::size_t>(cap) < k_names.size()) {
    return k_names[static_cast<std::size_t>(cap)];
  }
  return "CAP_" + std::to_string(cap);
}

std::vector<std::string> capability_names(CapSet set) {
  std::vector<std::string> out;
  for (int cap = 0; cap < 64; ++cap) {
    if ((set & cap_bit(cap)) != 0) {
      out.push_back(capability_name(cap));
    }
  }
  return out;
}

CapSets without(const CapSets& sets, CapSet drop) {
  return CapSets{sets.bounding & ~drop, sets.permitted & ~drop, sets.effective & ~drop,
                 sets.inheritable & ~drop, sets.ambient & ~drop};
}

std::optional<CapSet> status_capabilities(std::string_view status, std::string_view field) {
  std::size_t at = 0;
  while (at < status.size()) {
    std::size_t end = status.find('\n', at);
    std::string_view line =
        status.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.size() > field.size() && line.starts_with(field) && line[field.size()] == ':') {
      std::string_view value = line.substr(field.size() + 1);
      while (!value.empty() && (value.front() == '\t' || value.front() == ' ')) {
        value.remove_prefix(1);
      }
      CapSet set = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), set, 16);
      if (ec != std::errc() || ptr != value.data() + value.size() || value.empty()) {
        return std::nullopt;
      }
      return set;
    }
    if (end == std::string_view::npos) {
      break;
    }
    at = end + 1;
  }
  return std::nullopt;
}

std::optional<CapSets> status_capability_sets(std::string_view status) {
  auto bnd = status_capabilities(status, "CapBnd");
  auto prm = status_capabilities(status, "CapPrm");
  auto eff = status_capabilities(status, "CapEff");
  auto inh = status_capabilities(status, "CapInh");
  if (!bnd || !prm || !eff || !inh) {
    return std::nullopt;
  }
  return CapSets{*bnd, *prm, *eff, *inh, status_capabilities(status, "CapAmb").value_or(0)};
}

} // namespace slim::sensor
