#include "slim/seccomp/formats.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <vector>

namespace slim::seccomp {

namespace {

using nlohmann::json;

// The values the OCI runtime spec (config-linux.md, libseccomp 2.5 constants) lists.
constexpr std::array<std::string_view, 9> k_oci_actions = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
constexpr std::array<std::string_view, 19> k_oci_arches = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"};
constexpr std::array<std::string_view, 7> k_oci_ops = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// The spec's checks that slim's own model does not already make.
Result<bool> check_oci(const SeccompProfile& p) {
  using R = Result<bool>;
  if (!listed(k_oci_actions, p.default_action)) {
    return R::fail("OCI seccomp: defaultAction `" + p.default_action.substr(0, 64) +
                   "` is not one the runtime spec lists");
  }
  for (const auto& a : p.architectures) {
    if (!listed(k_oci_arches, a)) {
      return R::fail("OCI seccomp: architecture `" + a.substr(0, 64) +
                     "` is not one the runtime spec lists");
    }
  }
  for (std::size_t i = 0; i < p.syscalls.size(); ++i) {
    const SeccompRule& r = p.syscalls[i];
    const std::string where = "OCI seccomp: syscalls[" + std::to_string(i) + "]";
    if (r.names.empty()) {
      return R::fail(where + ": `names` must have at least one entry");
    }
    if (!listed(k_oci_actions, r.action)) {
      return R::fail(where + ": action `" + r.action.substr(0, 64) +
                     "` is not one the runtime spec lists");
    }
    if (r.errno_ret && *r.errno_ret < 0) {
      return R::fail(where + ": errnoRet must be unsigned");
    }
    for (const auto& a : r.args) {
      if (!listed(k_oci_ops, a.op)) {
        return R::fail(where + ": op `" + a.op.substr(0, 64) +
                       "` is not one the runtime spec lists");
      }
    }
  }
  if (p.default_errno_ret && *p.default_errno_ret < 0) {
    return R::fail("OCI seccomp: defaultErrnoRet must be unsigned");
  }
  return true;
}

bool yaml_plain_ok(const std::string& s) {
  if (s.empty() || s.size() > 200) {
    return false;
  }
  // Words YAML 1.1 readers (the Kubernetes tooling among them) take for booleans or null.
  std::string lower;
  for (char c : s) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const char* w : {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"}) {
    if (lower == w) {
      return false;
    }
  }
  const char first = s.front();
  if (!(std::isalpha(static_cast<unsigned char>(first)) || first == '_' || first == '/')) {
    return false; // digits, signs and dots could be read as numbers
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == '/';
  });
}

std::string yaml_scalar(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    // A JSON string literal is a valid YAML double-quoted scalar.
    return yaml_plain_ok(s) ? s : v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return v.dump();
}

bool is_collection(const json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void emit_yaml(const json& v, int indent, std::string& out);

// One `key: value` or `- value` line (and what is nested under it).
void emit_entry(const std::string& lead, const json& v, int indent, std::string& out) {
  out += lead;
  if (!is_collection(v)) {
    out += " " + (v.is_array() ? std::string("[]") : v.is_object() ? "{}" : yaml_scalar(v)) + "\n";
    return;
  }
  out += "\n";
  emit_yaml(v, indent + 2, out);
}

void emit_yaml(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      emit_entry(pad + yaml_scalar(json(it.key())) + ":", it.value(), indent, out);
    }
    return;
  }
  for (const auto& item : v) {
    if (item.is_object() && !item.empty()) {
      // "- key: value" with the object's other keys under the first one
      std::string nested;
      emit_yaml(item, indent + 2, nested);
      out += pad + "- " + nested.substr(static_cast<std::size_t>(indent) + 2);
    } else {
      emit_entry(pad + "-", item, indent, out);
    }
  }
}

} // namespace

Result<ProfileFormat> parse_profile_format(std::string_view text) {
  if (text == "docker") {
    return ProfileFormat::docker;
  }
  if (text == "oci") {
    return ProfileFormat::oci;
  }
  if (text == "kubernetes") {
    return ProfileFormat::kubernetes;
  }
  return Result<ProfileFormat>::fail("seccomp format `" + std::string(text.substr(0, 64)) +
                                     "`: use docker, oci or kubernetes");
}

std::string_view to_string(ProfileFormat format) {
  switch (format) {
  case ProfileFormat::docker:
    return "docker";
  case ProfileFormat::oci:
    return "oci";
  case ProfileFormat::kubernetes:
    return "kubernetes";
  }
  return "docker";
}

std::string_view file_extension(ProfileFormat format) {
  return format == ProfileFormat::kubernetes ? ".yaml" : ".json";
}

Result<json> to_oci_seccomp(const SeccompProfile& profile) {
  auto ok = check_oci(profile);
  if (!ok.ok()) {
    return Result<json>::fail(ok.error());
  }
  // slim's Docker JSON uses only fields the spec has (no archMap, includes or comments).
  return profile_to_json(profile);
}

std::string spo_name(std::string_view text) {
  // Labels between dots: lower-case letters, digits and inner dashes.
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  std::vector<std::string> labels(1);
  for (char c : text) {
    if (c == '.') {
      labels.emplace_back();
    } else if (alnum(c)) {
      labels.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!labels.back().empty() && labels.back().back() != '-') {
      labels.back() += '-';
    }
  }
  std::string out;
  for (auto& l : labels) {
    while (!l.empty() && !alnum(l.back())) {
      l.pop_back();
    }
    if (!l.empty()) {
      out += (out.empty() ? "" : ".") + l;
    }
  }
  if (out.size() > 253) {
    out.resize(253);
    while (!out.empty() && !alnum(out.back())) {
      out.pop_back();
    }
  }
  return out.empty() ? "seccomp-profile" : out;
}

Result<json> to_spo_manifest(const SeccompProfile& profile, std::string_view name) {
  using R = Result<json>;
  auto oci = to_oci_seccomp(profile); // the CRD's enums are the spec's lists
  if (!oci.ok()) {
    return R::fail(oci.error());
  }
  if (profile.default_errno_ret && *profile.default_errno_ret != EPERM) {
    return R::fail("SeccompProfile: the CRD has no defaultErrnoRet, so the default errno "
                   "would be EPERM instead of " +
                   std::to_string(*profile.default_errno_ret));
  }
  for (const auto& r : profile.syscalls) {
    if (r.args.size() > 6) {
      return R::fail("SeccompProfile: a rule for `" + r.names.front() +
                     "` has more than 6 conditions (the CRD's limit)");
    }
  }
  const std::string n = spo_name(name);
  if (n != name) {
    return R::fail("SeccompProfile: `" + std::string(name.substr(0, 64)) +
                   "` is not a Kubernetes object name (try `" + n + "`)");
  }
  // Keys come out sorted (nlohmann::json), which happens to read well: apiVersion, kind,
  // metadata, spec.
  json spec = oci.value();
  spec.erase("defaultErrnoRet");
  return json{{"apiVersion", k_spo_api_version},
              {"kind", k_spo_kind},
              {"metadata", {{"name", n}}},
              {"spec", std::move(spec)}};
}

std::string to_yaml(const json& doc) {
  std::string out;
  if (is_collection(doc)) {
    emit_yaml(doc, 0, out);
  } else {
    out = (doc.is_array() ? std::string("[]") : doc.is_object() ? "{}" : yaml_scalar(doc)) + "\n";
  }
  return out;
}

Result<std::string> render_profile(const SeccompProfile& profile, ProfileFormat format,
                                   std::string_view name) {
  using R = Result<std::string>;
  switch (format) {
  case ProfileFormat::docker:
    return to_json_text(profile);
  case ProfileFormat::oci: {
    auto j = to_oci_seccomp(profile);
    if (!j.ok()) {
      return R::fail(j.error());
    }
    return j.value().dump(2) + "\n";
  }
  case ProfileFormat::kubernetes: {
    auto j = to_spo_manifest(profile, name);
    if (!j.ok()) {
      return R::fail(j.error());
    }
    return to_yaml(j.value());
  }
  }
  return R::fail("seccomp format: unknown");
}

} // namespace slim::seccomp
