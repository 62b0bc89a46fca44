// `slim squash IMAGE --tag NAME`: all files of IMAGE in one layer with the same config, loaded
// into the engine (or written as a docker-archive / OCI layout tar with --output-tar).
#include "common.hpp"
#include "slim/image/engine_io.hpp"
#include "slim/image/image_writer.hpp"
#include "slim/image/xray.hpp"
#include "slim/util/log.hpp"
#include "slim/util/temp_dir.hpp"

#include <cstdio>
#include <memory>

namespace slim::cli {

namespace {

struct SquashOptions {
  std::string image;
  std::string tag;
  std::string output_tar;
  std::string format = "docker";
};

void run_squash(const GlobalOptions& global, const SquashOptions& o) {
  auto client = connect_engine(global);
  TempDir work("squash");
  SLIM_INFO("exporting {}", o.image);
  image::SourceImage src = image::export_image(client, o.image, work.path());
  SLIM_INFO("read {} layers, {} paths; writing one layer", src.layers.size(), src.index.size());
  image::NewImage img = image::write_image(src, image::all_paths(src.index), {},
                                           "slim squash " + o.image, work.path());
  std::vector<std::string> tags = {o.tag};
  if (!o.output_tar.empty()) {
    auto archive =
        o.format == "oci" ? image::oci_archive(img, tags) : image::docker_archive(img, tags);
    archive.write_to(o.output_tar);
    std::printf("wrote %s (%s archive, %zu layers -> 1, layer %s) image %s\n", o.output_tar.c_str(),
                o.format.c_str(), src.layers.size(), image::human_size(img.layer.size).c_str(),
                img.image_id.c_str());
    return;
  }
  // Named as the engine names local images (Podman: localhost/NAME).
  tags = {engine::local_image_name(client.engine(), image::normalize_tag(o.tag))};
  auto archive = image::docker_archive(img, tags);
  std::string id = image::load_image(client, archive, img.image_id);
  std::printf("squashed %s (%zu layers -> 1, layer %s) into %s: %s\n", o.image.c_str(),
              src.layers.size(), image::human_size(img.layer.size).c_str(), tags.front().c_str(),
              id.c_str());
}

} // namespace

void register_squash(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto opts = std::make_shared<SquashOptions>();
  auto* cmd = app.add_subcommand("squash", "write all files of an image as one layer, same config");
  cmd->add_option("image", opts->image, "the image to squash (name or ID)")->required();
  cmd->add_option("-t,--tag", opts->tag, "name:tag of the squashed image")->required();
  cmd->add_option("--output-tar", opts->output_tar,
                  "write the image to this tar file instead of loading it into the engine");
  cmd->add_option("--format", opts->format, "archive format of --output-tar: docker or oci")
      ->check(CLI::IsMember({"docker", "oci"}));
  cmd->callback([&global, &exit_code, opts] {
    run_squash(global, *opts);
    exit_code = 0;
  });
}

} // namespace slim::cli
