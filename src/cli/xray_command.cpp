// `slim xray IMAGE [--json]`: layers, sizes, wasted bytes, efficiency, top directories,
// setuid/setgid files and files with capabilities.
#include "common.hpp"
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
};

void run_xray(const GlobalOptions& global, const XrayOptions& o) {
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
}

} // namespace

void register_xray(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto opts = std::make_shared<XrayOptions>();
  auto* cmd = app.add_subcommand("xray", "show what is in an image: layers, sizes, wasted bytes");
  cmd->add_option("image", opts->image, "the image to examine (name or ID)")->required();
  cmd->add_flag("--json", opts->json, "print JSON instead of tables");
  cmd->add_option("--top", opts->top, "entries in each list (largest files, wasted, dirs)")
      ->check(CLI::Range(1, 10000));
  cmd->callback([&global, &exit_code, opts] {
    run_xray(global, *opts);
    exit_code = 0;
  });
}

} // namespace slim::cli
