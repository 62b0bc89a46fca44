// DOCKER_HOST parsing and the TLS environment (pure apart from reading the environment).
#include "slim/engine/client.hpp"

#include <algorithm>
#include <cstdlib>

namespace slim::engine {

namespace {

constexpr std::string_view k_default_socket = "/var/run/docker.sock";

Result<Endpoint> fail(std::string_view value, const std::string& why) {
  return Result<Endpoint>::fail("invalid Docker host `" + std::string(value) + "`: " + why);
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  int n = std::stoi(std::string(port));
  return n >= 1 && n <= 65535;
}

Result<Endpoint> parse_tcp(std::string_view value, std::string_view rest) {
  // Allow one trailing slash (tcp://host:2375/), as the docker CLI does; no other base path.
  if (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
  }
  if (rest.find('/') != std::string_view::npos) {
    return fail(value, "a path is not supported after the address");
  }
  Endpoint e;
  e.kind = Endpoint::Kind::tcp;
  e.path.clear();
  e.display = std::string(value);
  std::string_view host;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') { // [v6addr]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return fail(value, "missing `]` after the IPv6 address");
    }
    host = rest.substr(1, close - 1);
    auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return fail(value, "expected `:PORT` after the IPv6 address");
      }
      port = after.substr(1);
      if (port.empty()) {
        return fail(value, "empty port");
      }
    }
  } else {
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find(':') != colon) {
      return fail(value, "put an IPv6 address in brackets, e.g. tcp://[::1]:2375");
    }
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) {
        return fail(value, "empty port");
      }
    }
  }
  if (host.empty()) {
    return fail(value, "no host name");
  }
  if (!port.empty() && !valid_port(port)) {
    return fail(value, "the port must be a number from 1 to 65535");
  }
  e.host = std::string(host);
  e.port = std::string(port);
  return e;
}

} // namespace

Result<Endpoint> parse_docker_host(std::string_view value) {
  if (value.empty()) {
    Endpoint e;
    e.display = "unix://" + std::string(k_default_socket);
    return e;
  }
  if (std::any_of(value.begin(), value.end(),
                  [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; })) {
    return fail(value, "it contains white space");
  }
  auto scheme_end = value.find("://");
  if (scheme_end == std::string_view::npos) {
    if (value.front() == '/') {
      return fail(value, "write a socket path as unix:///path");
    }
    return parse_tcp(value, value); // host:port without a scheme
  }
  auto scheme = value.substr(0, scheme_end);
  auto rest = value.substr(scheme_end + 3);
  if (scheme == "unix") {
    Endpoint e;
    e.path = rest.empty() ? std::string(k_default_socket) : std::string(rest);
    if (e.path.front() != '/') {
      return fail(value, "the socket path must be absolute (unix:///path)");
    }
    e.display = "unix://" + e.path;
    return e;
  }
  if (scheme == "tcp" || scheme == "http") {
    return parse_tcp(value, rest);
  }
  if (scheme == "ssh" || scheme == "npipe" || scheme == "fd") {
    return fail(value, std::string(scheme) + ":// is not supported (use unix:// or tcp://)");
  }
  return fail(value, "unknown scheme `" + std::string(scheme) + "` (use unix:// or tcp://)");
}

Endpoint endpoint_from(const std::optional<std::string>& host_flag, const EnvLookup& env) {
  auto get = [&env](const char* name) -> std::string {
    const char* v = env(name);
    return v == nullptr ? std::string() : std::string(v);
  };
  std::string value = host_flag ? *host_flag : get("DOCKER_HOST");
  auto parsed = parse_docker_host(value);
  if (!parsed) {
    throw Error(parsed.error());
  }
  Endpoint e = std::move(parsed.value());
  if (e.kind == Endpoint::Kind::tcp) {
    bool verify = !get("DOCKER_TLS_VERIFY").empty();
    e.tls = verify || !get("DOCKER_TLS").empty();
    e.tls_verify = verify;
    e.cert_path = get("DOCKER_CERT_PATH");
    if (e.cert_path.empty()) {
      std::string home = get("HOME");
      e.cert_path = (home.empty() ? std::string("/root") : home) + "/.docker";
    }
    if (e.port.empty()) {
      e.port = e.tls ? "2376" : "2375";
    }
  }
  return e;
}

Endpoint endpoint_from_environment(const std::optional<std::string>& host_flag) {
  return endpoint_from(host_flag, [](const char* name) { return std::getenv(name); });
}

} // namespace slim::engine
