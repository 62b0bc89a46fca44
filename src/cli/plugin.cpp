#include "slim/cli/plugin.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace slim::cli {

std::string plugin_metadata() {
  return nlohmann::json{{"SchemaVersion", "0.1.0"},
                        {"Vendor", "slim"},
                        {"Version", SLIM_VERSION},
                        {"ShortDescription",
                         "Make images small and safe: keep only the files the app uses, "
                         "write its seccomp profile"},
                        {"URL", "https://example.invalid/slim"}}
      .dump();
}

bool invoked_as_plugin(const std::string& argv0) {
  return std::filesystem::path(argv0).filename() == std::string("docker-") + k_plugin_name;
}

Result<PluginCall> plugin_call(const std::vector<std::string>& args) {
  using R = Result<PluginCall>;
  PluginCall call;
  if (!args.empty() && args[0] == "docker-cli-plugin-metadata") {
    call.metadata = true;
    return call;
  }
  std::vector<std::string> globals;
  std::string ca, cert, key;
  std::size_t i = 0;
  // `--name VALUE` or `--name=VALUE`: the value, advancing i.
  auto value = [&](const std::string& arg, std::string& out) -> bool {
    auto eq = arg.find('=');
    if (eq != std::string::npos) {
      out = arg.substr(eq + 1);
      return true;
    }
    if (i + 1 >= args.size()) {
      return false;
    }
    out = args[++i];
    return true;
  };
  for (; i < args.size() && args[i] != k_plugin_name; ++i) {
    const std::string& arg = args[i];
    std::string name = arg.substr(0, arg.find('='));
    std::string v;
    if (name == "-H" || name == "--host" || name == "-c" || name == "--context" || name == "-l" ||
        name == "--log-level" || name == "--config" || name == "--tlscacert" ||
        name == "--tlscert" || name == "--tlskey") {
      if (!value(arg, v)) {
        return R::fail("docker's global option `" + name + "` needs a value");
      }
      if (name == "-H" || name == "--host") {
        globals.insert(globals.end(), {"--host", v});
      } else if (name == "-c" || name == "--context") {
        globals.insert(globals.end(), {"--context", v});
      } else if (name == "-l" || name == "--log-level") {
        globals.insert(globals.end(), {"--log-level", v == "fatal" ? "error" : v});
      } else if (name == "--config") {
        call.env.emplace_back("DOCKER_CONFIG", v);
      } else if (name == "--tlscacert") {
        ca = v;
      } else if (name == "--tlscert") {
        cert = v;
      } else {
        key = v;
      }
    } else if (name == "-D" || name == "--debug") {
      globals.insert(globals.end(), {"--log-level", "debug"});
    } else if (name == "--tls" || name == "--tlsverify") {
      if (arg.find('=') == std::string::npos || arg.substr(arg.find('=') + 1) != "false") {
        call.env.emplace_back("DOCKER_TLS_VERIFY", "1");
      }
    } else {
      return R::fail("docker's global option `" + arg +
                     "` is not one slim knows (use slim's own "
                     "options after `slim`)");
    }
  }
  if (i >= args.size()) {
    return R::fail("no `slim` in the plugin's arguments (run it as `docker slim ...`)");
  }
  if (!ca.empty() || !cert.empty() || !key.empty()) {
    namespace fs = std::filesystem;
    fs::path dir = fs::path(!ca.empty() ? ca : !cert.empty() ? cert : key).parent_path();
    bool standard = (ca.empty() || fs::path(ca) == dir / "ca.pem") &&
                    (cert.empty() || fs::path(cert) == dir / "cert.pem") &&
                    (key.empty() || fs::path(key) == dir / "key.pem");
    if (!standard) {
      return R::fail("slim takes TLS files as a directory with ca.pem, cert.pem and key.pem "
                     "(DOCKER_CERT_PATH); --tlscacert/--tlscert/--tlskey name other files");
    }
    call.env.emplace_back("DOCKER_CERT_PATH", dir.string());
  }
  call.args.assign(args.begin() + static_cast<long>(i) + 1, args.end());
  call.args.insert(call.args.end(), globals.begin(), globals.end()); // slim takes them after too
  return call;
}

} // namespace slim::cli
