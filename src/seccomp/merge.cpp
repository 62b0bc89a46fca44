#include "slim/seccomp/merge.hpp"

#include "slim/seccomp/arg_rules.hpp"
#include "slim/seccomp/formats.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

namespace slim::seccomp {

namespace {

using nlohmann::json;

Result<MergeInput> read_report(const json& j, MergeInput in) {
  using R = Result<MergeInput>;
  const std::string where = in.label + ": report";
  in.kind = InputKind::report;
  for (const auto& s : j["syscalls"]) {
    if (!s.is_string() || s.get_ref<const std::string&>().size() > 64) {
      return R::fail(where + ": syscalls: not an array of system call names");
    }
    in.seen.names.push_back(s.get<std::string>());
  }
  if (auto a = j.find("syscall_args"); a != j.end() && !a->is_null()) {
    auto args = parse_syscall_args(*a);
    if (!args.ok()) {
      return R::fail(where + ": " + args.error());
    }
    in.seen.args = std::move(args.value());
  }
  // slim.report.json says how the build made its profile; the sensor's report names its arch.
  if (auto s = j.find("seccomp"); s != j.end() && s->is_object()) {
    if (auto a = s->find("architectures"); a != s->end() && a->is_array()) {
      for (const auto& name : *a) {
        if (!name.is_string()) {
          return R::fail(where + ": seccomp.architectures: not an array of strings");
        }
        in.architectures.push_back(name.get<std::string>());
      }
    }
    if (auto b = s->find("baseline"); b != s->end() && b->is_string()) {
      auto baseline = parse_baseline(b->get<std::string>());
      if (!baseline.ok()) {
        return R::fail(where + ": seccomp.baseline: " + baseline.error());
      }
      in.generate.baseline = baseline.value();
    }
    if (auto d = s->find("default_action"); d != s->end() && d->is_string()) {
      in.generate.action = *d == "SCMP_ACT_LOG" ? DefaultAction::log : DefaultAction::errno_eperm;
    }
  }
  if (auto arch = j.find("arch");
      in.architectures.empty() && arch != j.end() && arch->is_string()) {
    auto known = seccomp_architectures(arch->get<std::string>());
    if (!known.ok()) {
      return R::fail(where + ": " + known.error());
    }
    in.architectures = known.value();
  }
  return in;
}

// A rule without its names: what several names can share.
struct RuleShape {
  std::string action;
  std::optional<int> errno_ret;
  std::vector<ArgCondition> args;
  friend bool operator<(const RuleShape& a, const RuleShape& b) {
    return std::tie(a.action, a.errno_ret, a.args) < std::tie(b.action, b.errno_ret, b.args);
  }
  friend bool operator==(const RuleShape& a, const RuleShape& b) = default;
};

std::string default_of(const SeccompProfile& p) {
  std::string d = p.default_action;
  if (d == "SCMP_ACT_ERRNO") {
    d += "(" + std::to_string(p.default_errno_ret.value_or(EPERM)) + ")";
  }
  return d;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    out += (out.empty() ? "" : ", ") + s;
  }
  return out;
}

} // namespace

std::string_view to_string(InputKind kind) {
  switch (kind) {
  case InputKind::profile:
    return "profile";
  case InputKind::oci_config:
    return "OCI config";
  case InputKind::spo_manifest:
    return "SeccompProfile";
  case InputKind::report:
    return "report";
  }
  return "profile";
}

Result<MergeInput> read_merge_input(std::string_view text, const std::string& label) {
  using R = Result<MergeInput>;
  if (text.size() > (std::size_t{64} << 20)) {
    return R::fail(label + ": larger than 64 MiB");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return R::fail(label + ": not a JSON object (YAML manifests: `kubectl get sp NAME -o json`)");
  }
  MergeInput in;
  in.label = label;
  const json* doc = &j;
  if (j.contains("defaultAction")) {
    in.kind = InputKind::profile;
  } else if (j.value("kind", "") == k_spo_kind && j.contains("spec")) {
    in.kind = InputKind::spo_manifest;
    doc = &j["spec"];
  } else if (j.contains("linux") && j["linux"].is_object() && j["linux"].contains("seccomp")) {
    in.kind = InputKind::oci_config;
    doc = &j["linux"]["seccomp"];
  } else if (j.contains("syscalls") && j["syscalls"].is_array()) {
    return read_report(j, std::move(in));
  } else {
    return R::fail(label + ": neither a seccomp profile (defaultAction), an OCI config "
                           "(linux.seccomp), a SeccompProfile (kind, spec) nor a report "
                           "(syscalls)");
  }
  auto p = profile_from_json(*doc);
  if (!p.ok()) {
    return R::fail(label + ": " + p.error());
  }
  in.profile = std::move(p.value());
  return in;
}

Result<MergedProfile> merge_seccomp_inputs(const std::vector<MergeInput>& inputs,
                                           const MergeOptions& options) {
  using R = Result<MergedProfile>;
  if (inputs.empty()) {
    return R::fail("seccomp merge: no inputs");
  }
  MergedProfile out;
  // The architectures first: reports without any take the profiles' (or --arch).
  std::vector<std::string> arches;
  auto add_arches = [&arches](const std::vector<std::string>& more) {
    for (const auto& a : more) {
      if (std::find(arches.begin(), arches.end(), a) == arches.end()) {
        arches.push_back(a);
      }
    }
  };
  for (const auto& in : inputs) {
    add_arches(in.kind == InputKind::report ? in.architectures : in.profile.architectures);
  }
  if (!options.arch.empty()) {
    auto known = seccomp_architectures(options.arch);
    if (!known.ok()) {
      return R::fail("seccomp merge: --arch: " + known.error());
    }
    add_arches(known.value());
  }
  std::vector<std::pair<std::string, SeccompProfile>> profiles;
  for (const auto& in : inputs) {
    if (in.kind != InputKind::report) {
      profiles.emplace_back(in.label, in.profile);
      continue;
    }
    GenerateOptions g = in.generate;
    g.architectures = in.architectures.empty() ? arches : in.architectures;
    if (g.architectures.empty()) {
      return R::fail("seccomp merge: " + in.label +
                     ": the report names no architectures and no other input does (--arch)");
    }
    auto generated = generate_seccomp_profile(in.seen, "", g);
    if (!generated.ok()) {
      return R::fail("seccomp merge: " + in.label + ": " + generated.error());
    }
    for (const auto& w : generated.value().warnings) {
      out.notes.push_back(in.label + ": " + w);
    }
    profiles.emplace_back(in.label, std::move(generated.value().profile));
  }

  // The default action.
  SeccompProfile& merged = out.profile;
  if (options.action) {
    merged.default_action =
        *options.action == DefaultAction::log ? "SCMP_ACT_LOG" : "SCMP_ACT_ERRNO";
    merged.default_errno_ret =
        *options.action == DefaultAction::log ? std::nullopt : std::optional<int>(EPERM);
  } else {
    merged.default_action = profiles.front().second.default_action;
    merged.default_errno_ret = profiles.front().second.default_errno_ret;
  }
  for (const auto& [label, p] : profiles) {
    if (p.default_action == "SCMP_ACT_ALLOW") {
      return R::fail("seccomp merge: " + label +
                     " is a deny list (defaultAction SCMP_ACT_ALLOW): merge takes allow lists");
    }
    if (!options.action && default_of(p) != default_of(merged)) {
      return R::fail("seccomp merge: " + profiles.front().first + " has defaultAction " +
                     default_of(merged) + ", " + label + " has " + default_of(p) +
                     ": choose one with --action errno|log");
    }
    if (p.architectures != profiles.front().second.architectures) {
      out.notes.push_back("architectures differ (" + profiles.front().first + ": " +
                          joined(profiles.front().second.architectures) + "; " + label + ": " +
                          joined(p.architectures) + "): the result has their union");
    }
  }
  merged.architectures = arches;

  // The rules, by name.
  std::set<std::string> plain;
  std::map<std::string, std::set<std::vector<ArgCondition>>> with_args;
  std::map<std::string, std::vector<RuleShape>> others; // first seen first
  for (const auto& [label, p] : profiles) {
    for (const auto& r : p.syscalls) {
      for (const auto& name : r.names) {
        if (r.action == "SCMP_ACT_ALLOW" && r.args.empty()) {
          plain.insert(name);
        } else if (r.action == "SCMP_ACT_ALLOW") {
          auto args = r.args;
          std::sort(args.begin(), args.end());
          with_args[name].insert(std::move(args));
        } else {
          RuleShape shape{r.action, r.errno_ret, r.args};
          auto& list = others[name];
          if (std::find(list.begin(), list.end(), shape) == list.end()) {
            list.push_back(std::move(shape));
          }
        }
      }
    }
  }
  if (!plain.empty()) {
    merged.syscalls.push_back({{plain.begin(), plain.end()}, "SCMP_ACT_ALLOW", {}, {}});
  }
  for (const auto& [name, sets] : with_args) {
    if (plain.count(name) != 0) {
      continue; // allowed whatever the arguments by some input
    }
    for (const auto& args : sets) {
      merged.syscalls.push_back({{name}, "SCMP_ACT_ALLOW", {}, args});
    }
  }
  // Rules with other actions (clone3's ENOSYS, ...) only for calls no input allows, grouped
  // by shape; one rule per call and arguments (libseccomp takes no two actions for them).
  std::map<RuleShape, std::set<std::string>> grouped;
  for (const auto& [name, shapes] : others) {
    if (plain.count(name) != 0 || with_args.count(name) != 0) {
      continue;
    }
    std::set<std::vector<ArgCondition>> taken;
    for (const auto& shape : shapes) {
      if (shape.action == merged.default_action &&
          shape.errno_ret.value_or(EPERM) == merged.default_errno_ret.value_or(EPERM)) {
        continue; // the default already
      }
      if (!taken.insert(shape.args).second) {
        out.notes.push_back("`" + name + "` has rules with different actions (" + shape.action +
                            " dropped): the first input's stays");
        continue;
      }
      grouped[shape].insert(name);
    }
  }
  for (const auto& [shape, names] : grouped) {
    merged.syscalls.push_back(
        {{names.begin(), names.end()}, shape.action, shape.errno_ret, shape.args});
  }
  auto bpf = compile_seccomp_profile(merged);
  if (!bpf.ok()) {
    return R::fail("seccomp merge: the merged profile does not compile: " + bpf.error());
  }
  out.bpf_bytes = bpf.value();
  return out;
}

} // namespace slim::seccomp
