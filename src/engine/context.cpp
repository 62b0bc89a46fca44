#include "slim/engine/context.hpp"

#include "slim/util/sha256.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace slim::engine {

namespace {

std::string get(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  return v == nullptr ? std::string() : std::string(v);
}

} // namespace

std::string docker_config_dir(const EnvLookup& env) {
  std::string dir = get(env, "DOCKER_CONFIG");
  if (!dir.empty()) {
    return dir;
  }
  std::string home = get(env, "HOME");
  return (home.empty() ? std::string("/root") : home) + "/.docker";
}

std::string current_context(const std::optional<std::string>& flag, const EnvLookup& env,
                            const ReadText& read) {
  if (flag && !flag->empty()) {
    return *flag;
  }
  if (std::string v = get(env, "DOCKER_CONTEXT"); !v.empty()) {
    return v;
  }
  std::string path = docker_config_dir(env) + "/config.json";
  auto text = read(path);
  if (!text) {
    return "default";
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error("the docker CLI's config `" + path + "` is not a JSON object");
  }
  auto it = j.find("currentContext");
  return it != j.end() && it->is_string() && !it->get<std::string>().empty()
             ? it->get<std::string>()
             : std::string("default");
}

Endpoint context_endpoint(const std::string& name, const std::string& config_dir,
                          const EnvLookup& env, const ReadText& read) {
  if (name == "default") {
    // The docker CLI's default context: DOCKER_HOST is not consulted here (it came first).
    return endpoint_from(std::string(), [&env](const char* n) {
      return std::string(n) == "DOCKER_HOST" ? nullptr : env(n);
    });
  }
  std::string id = sha256_hex(name);
  std::string meta_path = config_dir + "/contexts/meta/" + id + "/meta.json";
  auto text = read(meta_path);
  if (!text) {
    throw Error("no docker context `" + name + "` (no `" + meta_path +
                "`; `docker context ls` lists them)");
  }
  auto meta = nlohmann::json::parse(*text, nullptr, false);
  const nlohmann::json* docker = nullptr;
  if (meta.is_object() && meta.contains("Endpoints") && meta["Endpoints"].is_object() &&
      meta["Endpoints"].contains("docker") && meta["Endpoints"]["docker"].is_object()) {
    docker = &meta["Endpoints"]["docker"];
  }
  if (docker == nullptr || !docker->contains("Host") || !(*docker)["Host"].is_string()) {
    throw Error("docker context `" + name + "`: `" + meta_path +
                "` has no Endpoints.docker.Host string");
  }
  auto parsed = parse_docker_host((*docker)["Host"].get<std::string>());
  if (!parsed) {
    throw Error("docker context `" + name + "`: " + parsed.error());
  }
  Endpoint e = std::move(parsed.value());
  e.display += " (context " + name + ")";
  if (e.kind == Endpoint::Kind::tcp) {
    std::string tls_dir = config_dir + "/contexts/tls/" + id + "/docker";
    bool skip_verify = docker->contains("SkipTLSVerify") &&
                       (*docker)["SkipTLSVerify"].is_boolean() &&
                       (*docker)["SkipTLSVerify"].get<bool>();
    bool has_tls = read(tls_dir + "/ca.pem") || read(tls_dir + "/cert.pem");
    e.tls = has_tls || skip_verify;
    e.tls_verify = !skip_verify;
    e.cert_path = tls_dir;
    if (e.port.empty()) {
      e.port = e.tls ? "2376" : "2375";
    }
  }
  return e;
}

Endpoint select_endpoint(const std::optional<std::string>& host_flag,
                         const std::optional<std::string>& context_flag, const EnvLookup& env,
                         const ReadText& read) {
  if (host_flag && context_flag) {
    throw Error("--host and --context contradict each other: give one");
  }
  if (host_flag || !get(env, "DOCKER_HOST").empty()) {
    return endpoint_from(host_flag, env);
  }
  std::string name = current_context(context_flag, env, read);
  return context_endpoint(name, docker_config_dir(env), env, read);
}

Endpoint select_endpoint(const std::optional<std::string>& host_flag,
                         const std::optional<std::string>& context_flag) {
  return select_endpoint(
      host_flag, context_flag, [](const char* name) { return std::getenv(name); },
      [](const std::string& path) -> std::optional<std::string> {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
          return std::nullopt;
        }
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
      });
}

} // namespace slim::engine
