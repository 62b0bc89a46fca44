// write, output and load: the one-layer image from the keep set, into the engine, tagged.
#include "passes.hpp"
#include "slim/image/engine_io.hpp"
#include "slim/image/image_writer.hpp"
#include "tag_rollback.hpp"

#include <cstdio>
#include <filesystem>
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

std::string describe_entry(const image::Entry& e) {
  char mode[16];
  std::snprintf(mode, sizeof mode, "%04o", e.mode);
  return "type " + std::to_string(static_cast<int>(e.type)) + ", mode " + mode + ", owner " +
         std::to_string(e.uid) + ":" + std::to_string(e.gid) + ", size " + std::to_string(e.size) +
         ", mtime " + std::to_string(e.mtime) + "." + std::to_string(e.mtime_nsec) + ", " +
         std::to_string(e.xattrs.size()) + " xattrs" +
         (e.link_target.empty() ? "" : ", link " + e.link_target);
}

// The first written path whose entries differ between two indexes, or that the bytes differ.
std::string first_difference(const image::FileIndex& a, const image::FileIndex& b,
                             const std::set<std::string>& selection) {
  std::set<std::string> written;
  for (const auto& p : selection) {
    for (std::string cur = p; cur != "/" && written.insert(cur).second;) {
      cur = image::parent_path(cur);
    }
  }
  for (const auto& p : written) {
    const image::Entry* x = a.find(p);
    const image::Entry* y = b.find(p);
    if ((x == nullptr) != (y == nullptr)) {
      return "`" + p + "` is in " + (x != nullptr ? "the pristine container's" : "the export's") +
             " index only";
    }
    if (x == nullptr) {
      continue;
    }
    if (x->type != y->type || x->mode != y->mode || x->uid != y->uid || x->gid != y->gid ||
        x->size != y->size || x->mtime != y->mtime || x->mtime_nsec != y->mtime_nsec ||
        x->xattrs != y->xattrs || x->link_target != y->link_target ||
        x->dev_major != y->dev_major || x->dev_minor != y->dev_minor) {
      return "`" + p + "`: " + describe_entry(*x) + " against " + describe_entry(*y);
    }
  }
  return "the files' bytes differ";
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
    if (ctx.check_files) {
      auto other =
          image::write_layer(ctx.check_files->index(), selection, ctx.check_files->content(),
                             ctx.tmp->path() / "layer-export.tar");
      if (other.diff_id != img->layer.diff_id) {
        throw Error("--source compare: the pristine container and the export give different "
                    "layers (" +
                    img->layer.diff_id + " and " + other.diff_id + "): " +
                    first_difference(ctx.files->index(), ctx.check_files->index(), selection));
      }
      SLIM_INFO("--source compare: both sources give the layer {}", other.diff_id);
      std::filesystem::remove(other.path);
    }
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
