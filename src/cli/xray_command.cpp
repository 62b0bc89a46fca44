// `slim xray IMAGE [--json]`: layers, sizes, wasted bytes, efficiency, top directories,
// setuid/setgid files and files with capabilities.
#include "common.hpp"
#include "compat_options.hpp"
#include "slim/image/engine_io.hpp"
#include "slim/image/xray.hpp"
#include "slim/util/temp_dir.hpp"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

namespace slim::cli {

namespace {

struct XrayOptions {
  std::string image;
  bool json = false;
  std::size_t top = 20;
  bool ci = false;
  double lowest_efficiency = 0.9;   // dive's defaults
  std::string highest_wasted_bytes; // off unless given
  double highest_wasted_percent = 0.1;
};

// Returns the exit code: 0, or 2 when --ci rules failed.
int run_xray(const GlobalOptions& global, const XrayOptions& o) {
  auto client = connect_engine(global);
  nlohmann::json inspect = client.inspect_image(o.image);
  std::uint64_t size = inspect.value("Size", std::uint64_t{0});
  TempDir work("xray");
  image::SourceImage src = image::export_image(client, o.image, work.path());
  image::XrayReport report = image::xray(src, o.image, size, o.top);
  if (o.json) {
    // File names need not be UTF-8: invalid bytes become U+FFFD instead of failing the dump.
    std::printf("%s\n", image::to_json(report)
                            .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
  } else {
    std::fputs(image::to_text(report).c_str(), stdout);
  }
  if (!o.ci) {
    return 0;
  }
  image::XrayCiRules rules{.lowest_efficiency = o.lowest_efficiency,
                           .highest_wasted_percent = o.highest_wasted_percent};
  if (!o.highest_wasted_bytes.empty()) {
    rules.highest_wasted_bytes = image::parse_size(o.highest_wasted_bytes);
    if (!rules.highest_wasted_bytes) {
      throw Error("--highest-wasted-bytes: `" + o.highest_wasted_bytes +
                  "` is not a size (e.g. 20MB, 1.5GB, 512KiB)");
    }
  }
  int failed = 0;
  for (const auto& r : image::check_ci(report, rules)) {
    // On stderr with --json, so stdout stays one JSON document.
    std::fprintf(o.json ? stderr : stdout, "  %s: %s (%s)\n", r.passed ? "PASS" : "FAIL",
                 r.rule.c_str(), r.detail.c_str());
    failed += r.passed ? 0 : 1;
  }
  if (failed > 0) {
    throw Error("xray --ci: " + std::to_string(failed) + " rule(s) failed for `" + o.image + "`",
                2);
  }
  return 0;
}

} // namespace

void register_xray(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto opts = std::make_shared<XrayOptions>();
  auto* cmd = app.add_subcommand("xray", "show what is in an image: layers, sizes, wasted bytes");
  cmd->add_option("image", opts->image, "the image to examine (name or ID)")->required();
  cmd->add_flag("--json", opts->json, "print JSON instead of tables");
  cmd->add_option("--top", opts->top, "entries in each list (largest files, wasted, dirs)")
      ->check(CLI::Range(1, 10000));
  cmd->add_flag("--ci", opts->ci,
                "check dive's CI rules and exit 2 when one fails (with the thresholds below)");
  cmd->add_option("--lowest-efficiency", opts->lowest_efficiency,
                  "--ci: fail when the efficiency (0..1) is lower")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--highest-wasted-bytes", opts->highest_wasted_bytes,
                  "--ci: fail when more bytes are wasted (e.g. 20MB; off by default)");
  cmd->add_option("--highest-wasted-percent", opts->highest_wasted_percent,
                  "--ci: fail when a larger share (0..1) of the image is wasted")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  add_compat_xray_options(cmd, opts->top);
  cmd->callback([&global, &exit_code, opts] { exit_code = run_xray(global, *opts); });
}

} // namespace slim::cli
