// The `slim build` pipeline: one context, a straight list of timed passes.
#include "slim/build/pipeline.hpp"

#include "slim/build/container_run.hpp"
#include "slim/build/exercise.hpp"
#include "slim/build/keep_set.hpp"
#include "slim/build/naming.hpp"
#include "slim/build/observation.hpp"
#include "slim/build/probe_spec.hpp"
#include "slim/build/report.hpp"
#include "slim/build/seccomp_profile.hpp"
#include "slim/build/sensor_report.hpp"
#include "slim/build/sidecar.hpp"
#include "slim/image/engine_io.hpp"
#include "slim/image/image_writer.hpp"
#include "slim/image/source_image.hpp"
#include "slim/util/cancel.hpp"
#include "slim/util/log.hpp"
#include "slim/util/shell_words.hpp"
#include "slim/util/temp_dir.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

namespace slim::build {

namespace {

using Clock = std::chrono::steady_clock;

struct Context {
  engine::Client& client;
  const BuildOptions& opt;
  std::vector<std::pair<std::string, double>> timings; ///< pass -> seconds
  std::vector<std::string> warnings;

  // inspect
  nlohmann::json inspect;
  std::string source_id;
  std::int64_t source_size = 0;
  std::vector<std::string> tags;
  std::vector<std::optional<std::string>> tags_before; ///< each tag's image ID before the build
  std::string seccomp_path;

  // export
  std::optional<TempDir> tmp;
  image::SourceImage source;

  // run + exercise + stop
  std::string sensor_bytes;
  std::string sidecar;
  ExercisePlan plan;
  std::vector<std::string> argv;
  Observation original;
  SensorReport report;
  std::string app_logs;

  // keep
  KeepSet keep;

  // write + load
  std::string result_id;
  std::int64_t result_size = 0;
  std::uint64_t layer_bytes = 0;

  // seccomp
  std::string seccomp_json;
  std::vector<std::string> seccomp_added;

  // verify
  std::optional<Observation> verified;
  std::vector<Difference> differences;
};

template <typename Fn> void pass(Context& ctx, const char* name, Fn&& fn) {
  cancel::throw_if_requested();
  test_pause_point(name);
  auto start = Clock::now();
  SLIM_DEBUG("pass {}: start", name);
  fn();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  ctx.timings.emplace_back(name, secs);
  SLIM_INFO("{:<8} done in {:.2f} s", name, secs);
}

std::string read_host_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(errno_message("cannot read", path, errno));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_host_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw Error(errno_message("cannot write", tmp, errno));
    }
    out << text;
    if (!out.flush()) {
      throw Error(errno_message("cannot write", tmp, errno));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw Error(errno_message("cannot rename into", path, errno));
  }
}

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

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& w : argv) {
    out += (out.empty() ? "" : " ") + shell_quote(w);
  }
  return out;
}

// -- passes ------------------------------------------------------------------------------------

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
  ctx.source_size = ctx.inspect.value("Size", std::int64_t{0});
  ctx.tags = ctx.opt.tags.empty() ? std::vector<std::string>{default_result_tag(ctx.opt.image)}
                                  : ctx.opt.tags;
  for (auto& t : ctx.tags) {
    t = image::normalize_tag(t);
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

// Streams the image out of the engine into the temp dir and flattens it. Uses its own
// connection so it can run on another thread while the app is profiled.
image::SourceImage export_source(const engine::Client& client, const std::string& id,
                                 const std::filesystem::path& dir) {
  test_pause_point("export"); // on this thread when the export overlaps the run
  engine::ClientOptions options{.endpoint = client.endpoint(), .api_version = client.api_version()};
  engine::Client own(std::move(options));
  own.connect();
  return image::export_image(own, id, dir);
}

std::vector<ProbeRequest> probe_requests(const BuildOptions& opt) {
  std::vector<ProbeRequest> out;
  for (const auto& spec : opt.http_probe_cmds) {
    out.push_back(to_probe_request(parse_probe_cmd(spec)));
  }
  if (!opt.http_probe_cmd_file.empty()) {
    for (const auto& spec : parse_probe_cmd_file(read_host_file(opt.http_probe_cmd_file))) {
      out.push_back(to_probe_request(spec));
    }
  }
  return out;
}

void prepare_run(Context& ctx) {
  ctx.sensor_bytes = read_host_file(find_sensor(ctx.opt.sensor_path));
  const auto& cfg = ctx.inspect["Config"];
  auto ports = tcp_ports([&] {
    std::vector<std::string> p;
    if (cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object()) {
      for (const auto& [k, v] : cfg["ExposedPorts"].items()) {
        p.push_back(k);
      }
    }
    return p;
  }());
  bool has_shell = ctx.source.index.resolve("/bin/sh").has_value() &&
                   ctx.source.index.find(*ctx.source.index.resolve("/bin/sh")) != nullptr;
  ctx.plan = plan_exercise(ctx.opt, probe_requests(ctx.opt), ports,
                           healthcheck_argv(cfg.value("Healthcheck", nlohmann::json())), has_shell);
  if (!ctx.plan.probes.empty()) {
    ctx.sidecar = ensure_sidecar_image(ctx.client, ctx.sensor_bytes);
  }
}

ContainerSpec target_spec(const Context& ctx) {
  const auto& cfg = ctx.inspect["Config"];
  std::vector<std::string> cmd = {"run", "--mode", ctx.opt.sensor_mode};
  std::string user = ctx.opt.user.value_or(cfg.value("User", ""));
  if (!user.empty()) {
    cmd.insert(cmd.end(), {"--user", user});
  }
  if (ctx.opt.workdir) {
    cmd.insert(cmd.end(), {"--workdir", *ctx.opt.workdir});
  }
  std::string stop_signal = cfg.value("StopSignal", "");
  if (!stop_signal.empty()) {
    cmd.insert(cmd.end(), {"--stop-signal", stop_signal});
  }
  cmd.insert(cmd.end(), {"--stop-grace", std::to_string(ctx.opt.stop_timeout)});
  cmd.emplace_back("--");
  cmd.insert(cmd.end(), ctx.argv.begin(), ctx.argv.end());
  return ContainerSpec{.image = ctx.source_id,
                       .entrypoint = std::vector<std::string>{k_sensor_path},
                       .cmd = cmd,
                       .env = ctx.opt.env,
                       .user = "0:0",
                       .workdir = ctx.opt.workdir,
                       .network = ctx.opt.network.value_or("none"),
                       .cap_add = {"SYS_ADMIN", "SYS_PTRACE"},
                       .security_opt = {"seccomp=unconfined", "apparmor=unconfined"},
                       .binds = ctx.opt.mounts,
                       .role = "target"};
}

void run_and_exercise(Context& ctx) {
  ContainerRun target(ctx.client, target_spec(ctx));
  target.put_sensor(ctx.sensor_bytes);
  pass(ctx, "run", [&] { target.start(); });
  pass(ctx, "exercise",
       [&] { ctx.original = exercise(ctx.client, target, ctx.plan, ctx.sidecar, true); });
  pass(ctx, "stop", [&] {
    // An app that ended before we told it to stop ended on its own: a failure is the app's.
    bool ended_on_its_own = !target.running();
    if (!ended_on_its_own) {
      auto r = target.exec({k_sensor_path, "ctl", "stop"});
      if (r.exit_code != 0) {
        ctx.warnings.push_back("`sensor ctl stop` failed: " + r.err);
      }
    }
    // The grace period, then the report: a minute is plenty for the latter.
    int limit = ctx.opt.stop_timeout + 60;
    auto status = target.wait(std::chrono::seconds(limit));
    if (!status) {
      throw Error("the sensor in container `" + target.id().substr(0, 12) +
                  "` did not finish within " + std::to_string(limit) +
                  " s after it was told to stop");
    }
    if (!ctx.original.app_exit && ctx.plan.continue_after.kind == ContinueAfter::Kind::exit) {
      ctx.original.app_exit = *status;
    }
    ctx.app_logs = target.logs(200);
    std::string last = last_output(ctx.app_logs);
    std::string text;
    try {
      text = target.read_file(k_report_path, k_report_max_bytes);
    } catch (const engine::EngineError& e) {
      throw Error("the sensor in container `" + target.id().substr(0, 12) +
                  "` ended without a report (exit status " + std::to_string(*status) +
                  "; was it killed?)" + (last.empty() ? "" : "; the last output: " + last));
    }
    ctx.report = parse_sensor_report(text).value();
    for (const auto& w : ctx.report.warnings) {
      ctx.warnings.push_back("sensor: " + w);
    }
    int app_status = ctx.report.exit_status.value_or(*status);
    if (ended_on_its_own && app_status != 0) {
      // A failed run shows only the files of the way to its failure: no image from it, unless
      // failing is what the app does (a CLI whose default command prints help and exits 1).
      std::string what = "the app `" + shell_join(ctx.argv) + "` failed with exit status " +
                         std::to_string(app_status) + " during the profiling run";
      if (!ctx.opt.allow_app_failure) {
        throw Error(what + (last.empty() ? " and printed nothing" : "; its last output: " + last) +
                    " (--allow-app-failure builds anyway)");
      }
      ctx.warnings.push_back(what);
    }
  });
  if (ctx.opt.show_clogs) {
    std::fprintf(stderr, "--- the app's output ---\n%s--- end ---\n", ctx.app_logs.c_str());
  }
}

// "SRC:DST[:ro]" -> DST (as docker's -v takes it).
std::string mount_destination(const std::string& spec) {
  auto first = spec.find(':');
  if (first == std::string::npos) {
    return spec; // an anonymous volume: only a destination
  }
  auto second = spec.find(':', first + 1);
  return spec.substr(first + 1,
                     second == std::string::npos ? std::string::npos : second - first - 1);
}

std::optional<std::string> read_entry_prefix(const image::SourceImage& src, const image::Entry& e,
                                             std::size_t max_bytes) {
  if (e.type != image::EntryType::regular || e.data.layer >= src.layers.size()) {
    return std::nullopt;
  }
  const auto& lf = src.layers[e.data.layer].tar;
  std::size_t n = static_cast<std::size_t>(
      std::min<std::int64_t>(e.size, static_cast<std::int64_t>(max_bytes)));
  std::string buf(n, '\0');
  int fd = ::open(lf.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  std::size_t got = 0;
  while (got < n) {
    ssize_t r =
        ::pread(fd, buf.data() + got, n - got, static_cast<off_t>(lf.offset + e.data.offset + got));
    if (r <= 0) {
      break;
    }
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  buf.resize(got);
  return buf;
}

void keep_pass(Context& ctx) {
  KeepInputs in;
  in.include_paths = ctx.opt.include_paths;
  in.include_bins = ctx.opt.include_bins;
  in.include_shell = ctx.opt.include_shell;
  in.exclude_patterns = ctx.opt.exclude_patterns;
  const auto& cfg = ctx.source.config.config;
  in.working_dir = ctx.opt.new_workdir.value_or(cfg.working_dir);
  in.volumes = cfg.volumes;
  in.env = cfg.env;
  for (const auto& m : ctx.opt.mounts) {
    in.mount_points.push_back(mount_destination(m));
  }
  ctx.keep = compute_keep_set(ctx.source.index, ctx.report, in,
                              [&ctx](const image::Entry& e, std::size_t max) {
                                return read_entry_prefix(ctx.source, e, max);
                              });
  for (const auto& w : ctx.keep.warnings) {
    ctx.warnings.push_back(w);
  }
  SLIM_INFO("keeping {} of {} paths", ctx.keep.paths.size(), ctx.source.index.size());
}

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

// Puts the result tags back as they were before the build unless disarmed: a build that fails or
// is interrupted after the load must not leave its image under the tags.
class TagRollback {
public:
  explicit TagRollback(Context& ctx) : m_ctx(ctx) {}
  ~TagRollback() {
    if (!m_armed) {
      return;
    }
    cancel::Shield shield; // after Ctrl-C too
    for (std::size_t i = 0; i < m_ctx.tags.size() && i < m_ctx.tags_before.size(); ++i) {
      const auto& tag = m_ctx.tags[i];
      const auto& before = m_ctx.tags_before[i];
      try {
        std::string now;
        try {
          now = m_ctx.client.inspect_image(tag).value("Id", "");
        } catch (const engine::EngineError& e) {
          if (e.status() == 404) {
            continue; // never tagged
          }
          throw;
        }
        if (before && *before == now) {
          continue;
        }
        if (before) {
          auto colon = tag.rfind(':');
          m_ctx.client.tag_image(*before, tag.substr(0, colon), tag.substr(colon + 1));
        } else {
          m_ctx.client.remove_image(tag, false);
        }
        SLIM_DEBUG("put the tag {} back as it was", tag);
      } catch (const std::exception& e) {
        SLIM_WARN("could not put the tag {} back as it was: {}", tag, e.what());
      }
    }
  }
  TagRollback(const TagRollback&) = delete;
  TagRollback& operator=(const TagRollback&) = delete;
  /// From now on the tags may have moved.
  void arm() noexcept { m_armed = true; }
  /// The build succeeded: the tags stay.
  void disarm() noexcept { m_armed = false; }

private:
  Context& m_ctx;
  bool m_armed = false;
};

void write_and_load(Context& ctx, TagRollback& rollback) {
  std::set<std::string> selection;
  for (const auto& [path, reason] : ctx.keep.paths) {
    selection.insert(path);
  }
  std::string created_by = "slim build " + ctx.opt.image + " (slim " + SLIM_VERSION + ")";
  std::optional<image::NewImage> img;
  pass(ctx, "write", [&] {
    img = image::write_image(ctx.source, selection, overrides(ctx.opt, ctx.source.config.config),
                             created_by, ctx.tmp->path());
    ctx.layer_bytes = img->layer.size;
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

void seccomp_pass(Context& ctx) {
  auto profile = make_seccomp_profile(ctx.report.syscalls, ctx.report.arch);
  for (const auto& w : profile.warnings) {
    ctx.warnings.push_back(w);
  }
  ctx.seccomp_json = profile.json;
  ctx.seccomp_added = profile.added_by_runtime;
  write_host_file(ctx.seccomp_path, ctx.seccomp_json);
}

void verify_pass(Context& ctx) {
  ContainerSpec spec{.image = ctx.result_id,
                     .entrypoint = ctx.opt.new_entrypoint ? std::nullopt : ctx.opt.entrypoint,
                     .cmd = ctx.opt.new_cmd || ctx.opt.new_entrypoint ? std::nullopt : ctx.opt.cmd,
                     .env = ctx.opt.env,
                     .user = ctx.opt.user,
                     .workdir = ctx.opt.workdir,
                     .network = ctx.opt.network.value_or("none"),
                     .binds = ctx.opt.mounts,
                     .role = "verify"};
  if (ctx.opt.seccomp) {
    spec.security_opt.push_back("seccomp=" + ctx.seccomp_json);
  }
  ContainerRun run(ctx.client, spec);
  run.start();
  try {
    ctx.verified = exercise(ctx.client, run, ctx.plan, ctx.sidecar, false);
  } catch (const Error& e) {
    // The slim image died or could not be exercised: that is a verification failure.
    ctx.verified = Observation{};
    ctx.differences.push_back({"the slim image's run", "ran", e.what()});
    std::string logs = run.logs(20);
    if (!logs.empty()) {
      ctx.warnings.push_back("the slim image's last output: " + logs);
    }
    return;
  }
  for (auto& d : compare_observations(ctx.original, *ctx.verified)) {
    ctx.differences.push_back(std::move(d));
  }
}

void report_pass(Context& ctx) {
  BuildReport r;
  r.source_image = ctx.opt.image;
  r.source_id = ctx.source_id;
  r.source_size = ctx.source_size;
  r.result_tags = ctx.tags;
  r.result_id = ctx.result_id;
  r.result_size = ctx.result_size;
  if (!ctx.opt.profile_only) {
    r.keep = &ctx.keep;
    r.index = &ctx.source.index;
  }
  r.syscalls = ctx.report.syscalls;
  r.seccomp_profile = ctx.opt.seccomp ? ctx.seccomp_path : "";
  r.seccomp_added_by_runtime = ctx.seccomp_added;
  r.original = &ctx.original;
  r.verified = ctx.verified ? &*ctx.verified : nullptr;
  r.differences = ctx.differences;
  r.timings = ctx.timings;
  r.warnings = ctx.warnings;
  nlohmann::json j = to_json(r);
  j["target"] = {{"argv", ctx.argv},
                 {"exit_status", ctx.report.exit_status ? nlohmann::json(*ctx.report.exit_status)
                                                        : nlohmann::json()}};
  if (ctx.opt.profile_only) {
    j["files"] = nlohmann::json::array();
    for (const auto& f : ctx.report.files) {
      j["files"].push_back(
          {{"path", f.path}, {"ops", file_op_names(f.ops)}, {"from_exec", f.from_exec}});
    }
  }
  // Paths need not be UTF-8: invalid bytes become U+FFFD instead of failing the report.
  write_host_file(ctx.opt.report_path,
                  j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

std::string human_size(std::int64_t bytes) {
  char buf[32];
  if (bytes >= (1 << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(bytes) / 1e3);
  }
  return buf;
}

} // namespace

int run_build(engine::Client& client, const BuildOptions& options) {
  Context ctx{.client = client, .opt = options};
  auto started = Clock::now();
  pass(ctx, "inspect", [&] { inspect_pass(ctx); });
  ctx.tmp.emplace("build");
  if (options.keep_temp) {
    ctx.tmp->release();
    SLIM_INFO("keeping the temporary directory {}", ctx.tmp->path().string());
  }
  // The export is the longest pass of slim's own and does not depend on the run, so it goes on
  // while the app is profiled; only planning --exec commands needs the image's files first
  // (does it have a shell?). Declared after ctx: it is joined before the temp dir goes.
  std::future<image::SourceImage> exporting;
  bool overlap = options.exec_cmds.empty();
  if (overlap) {
    exporting = std::async(std::launch::async, export_source, std::cref(client), ctx.source_id,
                           ctx.tmp->path());
  } else {
    pass(ctx, "export",
         [&] { ctx.source = export_source(client, ctx.source_id, ctx.tmp->path()); });
  }
  // When the run fails while the export still goes on, stop the export instead of waiting for
  // it (minutes for a large image): slim is ending with that error anyway. Declared after the
  // future, so this runs before the future's destructor waits for the thread.
  struct StopExportOnError {
    std::future<image::SourceImage>& exporting;
    int uncaught = std::uncaught_exceptions();
    ~StopExportOnError() {
      if (std::uncaught_exceptions() > uncaught && exporting.valid()) {
        cancel::request();
      }
    }
  } stop_export{exporting};
  prepare_run(ctx);
  run_and_exercise(ctx);
  if (overlap) {
    // Only the time still spent waiting for the export is counted here.
    pass(ctx, "export", [&] { ctx.source = exporting.get(); });
  }
  SLIM_INFO("exported {} ({} layers, {} paths)", options.image, ctx.source.layers.size(),
            ctx.source.index.size());
  TagRollback rollback(ctx);
  if (!options.profile_only) {
    pass(ctx, "keep", [&] { keep_pass(ctx); });
    write_and_load(ctx, rollback);
  }
  if (options.seccomp) {
    pass(ctx, "seccomp", [&] { seccomp_pass(ctx); });
  }
  if (!options.profile_only && options.verify) {
    pass(ctx, "verify", [&] { verify_pass(ctx); });
  }
  pass(ctx, "report", [&] { report_pass(ctx); });
  // Built and reported: the image stays, also when verification found differences (exit 2;
  // the report names them and the image is there to look at).
  rollback.disarm();
  for (const auto& w : ctx.warnings) {
    SLIM_WARN("{}", w);
  }
  double total = std::chrono::duration<double>(Clock::now() - started).count();
  if (options.profile_only) {
    std::printf("profiled %s in %.1f s: %zu files, %zu syscalls; report %s%s%s\n",
                options.image.c_str(), total, ctx.report.files.size(), ctx.report.syscalls.size(),
                options.report_path.c_str(), options.seccomp ? ", seccomp profile " : "",
                options.seccomp ? ctx.seccomp_path.c_str() : "");
    return 0;
  }
  double ratio = ctx.result_size > 0
                     ? static_cast<double>(ctx.source_size) / static_cast<double>(ctx.result_size)
                     : 0;
  std::printf("%s: %s -> %s (%s, %.1fx smaller) in %.1f s\n", ctx.tags.front().c_str(),
              human_size(ctx.source_size).c_str(), human_size(ctx.result_size).c_str(),
              ctx.result_id.substr(0, 19).c_str(), ratio, total);
  std::printf("report: %s%s%s\n", options.report_path.c_str(),
              options.seccomp ? "; seccomp profile: " : "",
              options.seccomp ? ctx.seccomp_path.c_str() : "");
  if (!ctx.differences.empty()) {
    for (const auto& d : ctx.differences) {
      std::fprintf(stderr, "slim: verify: %s: original %s, slim image %s\n", d.what.c_str(),
                   d.original.c_str(), d.result.c_str());
    }
    throw Error("verification failed: the slim image `" + ctx.tags.front() +
                    "` answered differently in " + std::to_string(ctx.differences.size()) +
                    " way(s) (see above and " + options.report_path + ")",
                2);
  }
  if (options.verify) {
    std::printf("verified: %zu probe(s), %zu exec(s)%s behave the same%s\n", ctx.plan.probes.size(),
                ctx.plan.execs.size(), ctx.original.app_exit ? " and the exit status" : "",
                options.seccomp ? " under the seccomp profile" : "");
  }
  return 0;
}

} // namespace slim::build
