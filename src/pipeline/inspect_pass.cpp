// inspect: what the source image is; and where its files are read from.
#include "passes.hpp"
#include "slim/image/image_writer.hpp"
#include "slim/pipeline/naming.hpp"

namespace slim::pipeline {

namespace {

std::vector<std::string> json_strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) {
        out.push_back(v.get<std::string>());
      }
    }
  }
  return out;
}

std::optional<std::vector<std::string>> json_argv(const nlohmann::json& j) {
  if (!j.is_array()) {
    return std::nullopt;
  }
  return json_strings(j);
}

} // namespace

void inspect_pass(Context& ctx) {
  try {
    ctx.inspect = ctx.client.inspect_image(ctx.opt.image);
  } catch (const engine::EngineError& e) {
    if (e.status() == 404) {
      throw Error("no image `" + ctx.opt.image + "` in the engine (build or pull it first)");
    }
    throw;
  }
  ctx.source_id = ctx.inspect.value("Id", "");
  ctx.config =
      image::config_from_inspect(ctx.inspect, "the engine's inspect of `" + ctx.opt.image + "`");
  ctx.source_size = ctx.inspect.value("Size", std::int64_t{0});
  ctx.tags = ctx.opt.tags.empty() ? std::vector<std::string>{default_result_tag(ctx.opt.image)}
                                  : ctx.opt.tags;
  for (auto& t : ctx.tags) {
    t = engine::local_image_name(ctx.client.engine(), image::normalize_tag(t));
    try {
      ctx.tags_before.emplace_back(ctx.client.inspect_image(t).value("Id", ""));
    } catch (const engine::EngineError& e) {
      if (e.status() != 404) {
        throw;
      }
      ctx.tags_before.emplace_back(std::nullopt);
    }
  }
  ctx.seccomp_path =
      ctx.opt.seccomp_path.empty() ? default_seccomp_path(ctx.opt.image) : ctx.opt.seccomp_path;
  const auto& cfg = ctx.inspect["Config"];
  ctx.argv =
      app_argv(json_argv(cfg.value("Entrypoint", nlohmann::json())),
               json_argv(cfg.value("Cmd", nlohmann::json())), ctx.opt.entrypoint, ctx.opt.cmd);
}

std::unique_ptr<FileSource> open_source(const engine::Client& client, const std::string& kind,
                                        SourceRequest request) {
  if (kind == "export") {
    return export_files(client, request);
  }
  return pristine_files(client, request);
}

} // namespace slim::pipeline
