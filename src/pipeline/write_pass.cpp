// write, output and load: the one-layer image from the keep set, into the engine, tagged.
#include "passes.hpp"
#include "slim/image/engine_io.hpp"
#include "slim/image/image_writer.hpp"
#include "tag_rollback.hpp"

#include <set>

namespace slim::pipeline {

namespace {

image::ConfigOverrides overrides(const BuildOptions& opt, const image::ContainerConfig& cfg) {
  image::ConfigOverrides o;
  o.entrypoint = opt.new_entrypoint;
  o.cmd = opt.new_cmd;
  if (opt.new_entrypoint && !opt.new_cmd) {
    o.cmd = std::vector<std::string>{};
  }
  if (!opt.new_env.empty()) {
    std::vector<std::string> env = cfg.env;
    for (const auto& kv : opt.new_env) {
      auto key = kv.substr(0, kv.find('='));
      std::erase_if(env, [&key](const std::string& e) { return e.substr(0, e.find('=')) == key; });
      env.push_back(kv);
    }
    o.env = env;
  }
  o.working_dir = opt.new_workdir;
  if (!opt.new_expose.empty()) {
    std::vector<std::string> ports = cfg.exposed_ports;
    for (auto p : opt.new_expose) {
      if (p.find('/') == std::string::npos) {
        p += "/tcp";
      }
      ports.push_back(p);
    }
    o.exposed_ports = ports;
  }
  for (const auto& kv : opt.new_labels) {
    auto eq = kv.find('=');
    o.labels[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  return o;
}

} // namespace

void write_and_load(Context& ctx, TagRollback& rollback) {
  std::set<std::string> selection;
  for (const auto& [path, reason] : ctx.keep.paths) {
    selection.insert(path);
  }
  std::string created_by = "slim build " + ctx.opt.image + " (slim " + SLIM_VERSION + ")";
  std::optional<image::NewImage> img;
  pass(ctx, "write", [&] {
    img = image::write_image(ctx.files->index(), ctx.config, selection, ctx.files->content(),
                             overrides(ctx.opt, ctx.config.config), created_by, ctx.tmp->path());
    ctx.layer_bytes = img->layer.size;
    ctx.files->release(); // the pristine container is not needed any more
  });
  if (!ctx.opt.output_tar.empty()) {
    pass(ctx, "output", [&] {
      auto stream = ctx.opt.output_format == "oci" ? image::oci_archive(*img, ctx.tags)
                                                   : image::docker_archive(*img, ctx.tags);
      stream.write_to(ctx.opt.output_tar);
    });
  }
  pass(ctx, "load", [&] {
    rollback.arm();
    // Loaded untagged, then tagged: a load cut short by Ctrl-C may still complete inside the
    // engine after the rollback has looked at the tags, and must not carry them then.
    auto stream = image::docker_archive(*img, {});
    ctx.result_id = image::load_image(ctx.client, stream, img->image_id);
    for (const auto& tag : ctx.tags) {
      auto colon = tag.rfind(':'); // normalised: always REPO:TAG
      ctx.client.tag_image(ctx.result_id, tag.substr(0, colon), tag.substr(colon + 1));
    }
    auto inspected = ctx.client.inspect_image(ctx.result_id);
    ctx.result_size = inspected.value("Size", std::int64_t{0});
  });
}

} // namespace slim::pipeline
