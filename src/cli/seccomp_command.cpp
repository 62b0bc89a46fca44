// `slim seccomp explain [FILE|-] [--profile P]` and `slim seccomp merge IN... -o OUT`: the
// helpers of a staged rollout. Neither talks to the engine; the work is in slim/seccomp.
#include "common.hpp"
#include "slim/seccomp/formats.hpp"
#include "slim/seccomp/kernel_log.hpp"
#include "slim/seccomp/merge.hpp"
#include "slim/util/error.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace slim::cli {

namespace {

// Kernel logs can be long; this bounds what one explain holds in memory.
constexpr std::size_t k_max_input = std::size_t{256} << 20;

// The bytes of `path`, or of stdin for "-"; throws slim::Error.
std::string read_input(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      throw Error(errno_message("cannot read", path, errno));
    }
    if (std::filesystem::is_directory(path)) {
      throw Error(errno_message("cannot read", path, EISDIR));
    }
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  if (text.size() > k_max_input) {
    throw Error("cannot read `" + path + "`: larger than 256 MiB");
  }
  return text;
}

// Writes `text` to PATH.tmp and renames it over `path` (never a half-written profile); throws.
void write_output(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw Error(errno_message("cannot write", tmp, errno));
    }
    out << text;
    out.flush();
    if (!out) {
      throw Error(errno_message("cannot write", tmp, errno));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw Error("cannot write `" + path + "`: " + ec.message());
  }
}

struct ExplainOptions {
  std::string input = "-";
  std::string profile;
};

void run_explain(const ExplainOptions& o) {
  std::optional<seccomp::SeccompProfile> profile;
  if (!o.profile.empty()) {
    auto in = seccomp::read_merge_input(read_input(o.profile), o.profile);
    if (!in.ok()) {
      throw Error("cannot read the profile: " + in.error());
    }
    if (in.value().kind == seccomp::InputKind::report) {
      throw Error("`" + o.profile + "` is a report, not a profile (--profile takes a profile)");
    }
    profile = std::move(in.value().profile);
  }
  seccomp::Explanation e =
      seccomp::explain_seccomp_log(read_input(o.input), profile ? &*profile : nullptr);
  std::fputs(seccomp::to_text(e, profile.has_value()).c_str(), stdout);
}

struct MergeCommandOptions {
  std::vector<std::string> inputs;
  std::string output;
  std::string format = "docker";
  std::string name;
  std::string arch;
  std::string action;
};

void run_merge(const MergeCommandOptions& o) {
  std::vector<seccomp::MergeInput> inputs;
  for (const auto& path : o.inputs) {
    auto in = seccomp::read_merge_input(read_input(path), path);
    if (!in.ok()) {
      throw Error("cannot merge: " + in.error());
    }
    inputs.push_back(std::move(in.value()));
  }
  seccomp::MergeOptions options;
  options.arch = o.arch;
  if (!o.action.empty()) {
    options.action = seccomp::parse_default_action(o.action).value();
  }
  auto merged = seccomp::merge_seccomp_inputs(inputs, options);
  if (!merged.ok()) {
    throw Error("cannot merge: " + merged.error());
  }
  const auto format = seccomp::parse_profile_format(o.format).value();
  if (!o.name.empty() && format != seccomp::ProfileFormat::kubernetes) {
    throw Error("--name is a SeccompProfile's metadata.name: it needs --format kubernetes");
  }
  const std::string name =
      seccomp::spo_name(o.name.empty() ? std::filesystem::path(o.output).stem().string() : o.name);
  auto text = seccomp::render_profile(merged.value().profile, format, name);
  if (!text.ok()) {
    throw Error("cannot write `" + o.output + "`: " + text.error());
  }
  for (const auto& note : merged.value().notes) {
    std::fprintf(stderr, "slim: note: %s\n", note.c_str());
  }
  if (o.output == "-") {
    std::fputs(text.value().c_str(), stdout);
    return;
  }
  write_output(o.output, text.value());
  const auto& p = merged.value().profile;
  std::printf("merged %zu input(s) into %s (%s): %zu rule(s), %zu name(s), %zu bytes of BPF\n",
              inputs.size(), o.output.c_str(), o.format.c_str(), p.syscalls.size(), p.name_count(),
              merged.value().bpf_bytes);
}

} // namespace

void register_seccomp(CLI::App& app, const GlobalOptions& /*global: no engine*/, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "seccomp", "work with seccomp profiles: explain what a log-mode profile logged, merge runs");
  cmd->require_subcommand(1);

  auto explain = std::make_shared<ExplainOptions>();
  auto* ex = cmd->add_subcommand(
      "explain", "turn the kernel's seccomp records (dmesg, journalctl -k, audit.log) into "
                 "system call names with counts and programs");
  ex->add_option("FILE", explain->input, "the log to read; - (the default) reads stdin")
      ->capture_default_str();
  ex->add_option(
      "--profile", explain->profile,
      "a profile (Docker/OCI JSON or a SeccompProfile as JSON): say which calls it lacks");
  ex->callback([&exit_code, explain] {
    run_explain(*explain);
    exit_code = 0;
  });

  auto merge = std::make_shared<MergeCommandOptions>();
  auto* mg = cmd->add_subcommand(
      "merge", "merge profiles and build reports of several runs into one profile (the union of "
               "calls and argument values), compiled before it is written");
  mg->add_option("INPUT", merge->inputs,
                 "profiles (Docker/OCI JSON, config.json, a SeccompProfile as JSON) and reports "
                 "(slim.report.json), told apart by their content")
      ->required();
  mg->add_option("-o,--output", merge->output, "where to write the merged profile (- : stdout)")
      ->required();
  mg->add_option("--format", merge->format, "docker, oci or kubernetes")
      ->check(CLI::IsMember({"docker", "oci", "kubernetes"}))
      ->capture_default_str();
  mg->add_option("--name", merge->name,
                 "metadata.name of a kubernetes SeccompProfile (default: the output's file name)");
  mg->add_option("--arch", merge->arch,
                 "add this architecture's (x86_64, aarch64, ...) to the result; reports that "
                 "name none need it when no other input names one");
  mg->add_option(
        "--action", merge->action,
        "the result's default action, errno or log (default: the inputs', which must agree)")
      ->check(CLI::IsMember({"errno", "log"}));
  mg->callback([&exit_code, merge] {
    run_merge(*merge);
    exit_code = 0;
  });
}

} // namespace slim::cli
