#include "compat_options.hpp"

#include "slim/util/error.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>

namespace slim::cli {

namespace {

// A flag slim refuses: using it is an error that says what to do instead. `takes_value`: the
// flag is followed by a value (so `--flag VALUE` fails on the flag, not on a stray VALUE).
void refuse(CLI::App* cmd, const std::string& name, const std::string& instead,
            bool takes_value = false) {
  auto fail = [name, instead](const auto&) -> void {
    throw CLI::ValidationError(name, "not supported by slim: " + instead);
  };
  if (takes_value) {
    cmd->add_option_function<std::string>(name, fail, "(DockerSlim) refused: " + instead)
        ->group("");
  } else {
    cmd->add_flag_function(name, fail, "(DockerSlim) refused: " + instead)->group("");
  }
}

std::string read_file(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(errno_message(std::string("cannot read the ") + flag + " file", path, errno));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

void add_compat_run_options(CLI::App* cmd, pipeline::BuildOptions& o, CompatState& state) {
  cmd->add_flag_callback(
         "--http-probe-off", [&o] { o.http_probe = false; },
         "(mint) the same as --http-probe=false")
      ->group("");
  cmd->add_option("--http-probe-retry-count", o.probe_retries,
                  "(DockerSlim) the same as --probe-retries")
      ->group("");
  cmd->add_option("--exec-file", state.exec_files,
                  "a file whose content is one more --exec command (repeatable)");
  cmd->add_flag_function(
         "--exclude-mounts",
         [](std::int64_t n) {
           if (n < 0) {
             throw CLI::ValidationError("--exclude-mounts=false",
                                        "slim never copies what was mounted while profiling");
           }
         },
         "(DockerSlim) what slim always does: --mount contents never go into the image")
      ->group("");
  refuse(cmd, "--http-probe-full", "probes send GET; other methods: --http-probe-cmd 'POST /x'");
  refuse(cmd, "--http-probe-exit-on-failure",
         "slim always stops when no probe gets an answer (and says why)", true);
  refuse(cmd, "--http-probe-retry-wait", "probes retry every 0.5 s (--probe-retries)", true);
  refuse(cmd, "--http-probe-apispec", "list the API's requests with --http-probe-cmd-file", true);
  refuse(cmd, "--link", "the profiling run has network none or host (--network)", true);
  refuse(cmd, "--etc-hosts-map", "the profiling run has network none or host (--network)", true);
  refuse(cmd, "--container-dns", "the profiling run has network none or host (--network)", true);
  refuse(cmd, "--pull", "slim does not pull: docker pull (or build) the image first");
  refuse(cmd, "--cap-drop", "the app gets a plain docker run's capabilities; --cap-add adds", true);
  refuse(cmd, "--show-blogs", "slim builds no image with docker build");
  refuse(cmd, "--dockerfile", "docker build the image first, then slim build IMAGE", true);
}

void add_compat_build_options(CLI::App* cmd, pipeline::BuildOptions& o, CompatState& state) {
  cmd->add_option("--include-path-file", state.include_path_files,
                  "a file of paths to keep, one per line (# comments; repeatable)");
  cmd->add_option("--include-exe", o.include_exes,
                  "keep this program (a name found on the image's PATH) and what it needs "
                  "(repeatable)");
  cmd->add_flag("--include-cert-all", o.include_cert_all,
                "keep every CA bundle and certificate directory the image has (Debian, Alpine, "
                "RHEL, SUSE locations)");
  cmd->add_flag("--include-zoneinfo", o.include_zoneinfo,
                "keep the time zone database (/usr/share/zoneinfo, /etc/localtime)");
  cmd->add_option("--expose", o.new_expose, "(DockerSlim) the same as --new-expose")->group("");
  cmd->add_option("--copy-meta-artifacts", o.copy_meta_artifacts,
                  "copy the reports and the seccomp profile into this directory too");
  refuse(cmd, "--new-volume", "the new image keeps the original's VOLUMEs", true);
  refuse(cmd, "--keep-perms", "slim always keeps the original's owners and modes");
  refuse(cmd, "--path-perms", "slim always keeps the original's owners and modes", true);
  refuse(cmd, "--preserve-path", "keep a path with --include-path", true);
  refuse(cmd, "--preserve-path-file", "keep paths with --include-path-file", true);
  refuse(cmd, "--remove-file-artifacts", "slim writes only the reports and the profile");
  refuse(cmd, "--obfuscate-metadata", "not a goal of slim");
  refuse(cmd, "--image-overrides", "override the new image's config with --new-*", true);
}

void add_compat_xray_options(CLI::App* cmd, std::size_t& top) {
  cmd->add_option("--top-changes-max", top, "(DockerSlim) the same as --top")
      ->group("")
      ->check(CLI::Range(1, 10000));
  for (const char* flag : {"--changes", "--changes-output", "--layer", "--layer-changes-max",
                           "--all-changes-max", "--add-changes-max", "--modify-changes-max",
                           "--delete-changes-max", "--change-path", "--change-data"}) {
    refuse(cmd, flag, "slim xray --json lists every layer's added, changed and deleted files",
           true);
  }
  for (const char* flag : {"--add-image-manifest", "--add-image-config"}) {
    refuse(cmd, flag, "docker image inspect shows the config; slim xray --json the layers");
  }
  for (const char* flag : {"--hash-data", "--detect-duplicates", "--show-duplicates",
                           "--detect-utf8", "--reuse-saved-image", "--export-all-data-artifacts"}) {
    refuse(cmd, flag, "slim xray reports sizes, wasted bytes, efficiency and special bits only");
  }
}

void finish_compat_options(pipeline::BuildOptions& o, const CompatState& state) {
  for (const auto& f : state.exec_files) {
    o.exec_cmds.push_back(read_file(f, "--exec-file"));
  }
  for (const auto& f : state.include_path_files) {
    std::istringstream lines(read_file(f, "--include-path-file"));
    std::string line;
    while (std::getline(lines, line)) {
      auto start = line.find_first_not_of(" \t\r");
      if (start == std::string::npos || line[start] == '#') {
        continue;
      }
      auto end = line.find_last_not_of(" \t\r");
      o.include_paths.push_back(line.substr(start, end - start + 1));
    }
  }
}

} // namespace slim::cli
