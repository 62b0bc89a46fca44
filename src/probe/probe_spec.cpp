#include "slim/probe/probe_spec.hpp"

#include "slim/util/error.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

namespace slim::probe {
namespace {

constexpr std::size_t k_max_path = 8192;
constexpr std::size_t k_max_file = 1 << 20;
constexpr std::size_t k_max_commands = 1000;
constexpr std::size_t k_max_header = 8192;

std::string ticked(std::string_view s) {
  return "`" + std::string(s.substr(0, 200)) + "`";
}

bool is_method(std::string_view m) {
  return !m.empty() && m.size() <= 32 && std::all_of(m.begin(), m.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool has_control_or_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

void check_path(std::string_view path, const std::string& what) {
  if (path.empty() || path.front() != '/') {
    throw Error(what + ": the path " + ticked(path) + " must start with `/`");
  }
  if (path.size() > k_max_path) {
    throw Error(what + ": the path is longer than " + std::to_string(k_max_path) + " bytes");
  }
  if (has_control_or_space(path)) {
    throw Error(what + ": the path " + ticked(path) +
                " has spaces or control characters (percent-encode them)");
  }
}

void check_header(std::string_view h, const std::string& what) {
  auto colon = h.find(':');
  if (colon == std::string_view::npos || colon == 0 || h.size() > k_max_header ||
      has_control_or_space(h.substr(0, colon)) ||
      h.find_first_of("\r\n") != std::string_view::npos) {
    throw Error(what + ": the header " + ticked(h) + " is not `Name: value`");
  }
}

int parse_port(std::string_view text, const std::string& what) {
  int port = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || ptr != text.data() + text.size() || port < 1 || port > 65535) {
    throw Error(what + ": " + ticked(text) + " is not a port (1-65535)");
  }
  return port;
}

// One of the forms without `crawl:`; `what` names the whole value in errors.
ProbeSpec parse_cmd_form(std::string_view text, const std::string& what) {
  ProbeSpec spec;
  if (text.empty()) {
    throw Error(what + ": empty");
  }
  if (text.front() == '/') {
    check_path(text, what);
    spec.path = std::string(text);
    return spec;
  }
  auto space = text.find(' ');
  if (space != std::string_view::npos) {
    std::string_view method = text.substr(0, space);
    std::string_view rest = text.substr(space + 1);
    auto space2 = rest.find(' ');
    std::string_view path = rest.substr(0, space2);
    if (!is_method(method)) {
      throw Error(what + ": " + ticked(method) + " is not an HTTP method");
    }
    check_path(path, what);
    spec.method = upper(method);
    spec.path = std::string(path);
    if (space2 != std::string_view::npos) {
      spec.body = std::string(rest.substr(space2 + 1));
    }
    return spec;
  }
  // [PROTO:]METHOD:/path
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw Error(what + ": expected `/path`, `METHOD /path` or `METHOD:/path`");
  }
  std::string_view first = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  if (first == "http" || first == "https") {
    spec.protocol = std::string(first);
    auto c2 = rest.find(':');
    if (c2 == std::string_view::npos) {
      throw Error(what + ": expected `" + std::string(first) + ":METHOD:/path`");
    }
    first = rest.substr(0, c2);
    rest = rest.substr(c2 + 1);
  }
  if (!is_method(first)) {
    throw Error(what + ": " + ticked(first) + " is not an HTTP method");
  }
  check_path(rest, what);
  spec.method = upper(first);
  spec.path = std::string(rest);
  return spec;
}

} // namespace

ProbeSpec parse_probe_cmd(std::string_view text) {
  const std::string what = "--http-probe-cmd " + ticked(text);
  if (!text.starts_with("crawl:")) {
    return parse_cmd_form(text, what);
  }
  std::string_view rest = text.substr(6);
  if (rest.empty() || rest.starts_with("crawl:")) {
    throw Error(what + ": expected `crawl:/path`, `crawl:METHOD:/path` or " +
                "`crawl:PROTO:METHOD:/path`");
  }
  ProbeSpec spec = parse_cmd_form(rest, what);
  spec.crawl = true;
  return spec;
}

std::vector<ProbeSpec> parse_probe_cmd_file(std::string_view text) {
  const std::string file = "--http-probe-cmd-file";
  if (text.size() > k_max_file) {
    throw Error(file + ": larger than 1 MiB");
  }
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    throw Error(file + ": not valid JSON");
  }
  if (!j.is_object() || !j.contains("commands") || !j["commands"].is_array()) {
    throw Error(file + ": expected {\"commands\": [...]}");
  }
  const auto& cmds = j["commands"];
  if (cmds.size() > k_max_commands) {
    throw Error(file + ": more than " + std::to_string(k_max_commands) + " commands");
  }
  std::vector<ProbeSpec> out;
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    const std::string what = file + ": commands[" + std::to_string(i) + "]";
    const auto& c = cmds[i];
    if (!c.is_object()) {
      throw Error(what + ": expected an object");
    }
    auto str = [&](const char* key) -> std::optional<std::string> {
      auto it = c.find(key);
      if (it == c.end() || it->is_null()) {
        return std::nullopt;
      }
      if (!it->is_string()) {
        throw Error(what + "." + key + ": expected a string");
      }
      return it->get<std::string>();
    };
    ProbeSpec spec;
    if (auto crawl = c.find("crawl"); crawl != c.end() && !crawl->is_null()) {
      if (!crawl->is_boolean()) {
        throw Error(what + ".crawl: expected true or false");
      }
      spec.crawl = crawl->get<bool>();
    }
    if (c.contains("body_file") || c.contains("body_generate")) {
      throw Error(what + ": body_file/body_generate are not supported; put the body in `body`");
    }
    auto resource = str("resource");
    if (!resource) {
      throw Error(what + ".resource: missing");
    }
    check_path(*resource, what + ".resource");
    spec.path = *resource;
    if (auto m = str("method")) {
      if (!is_method(*m)) {
        throw Error(what + ".method: " + ticked(*m) + " is not an HTTP method");
      }
      spec.method = upper(*m);
    }
    if (auto p = str("protocol"); p && !p->empty()) {
      if (*p != "http" && *p != "https") {
        throw Error(what + ".protocol: " + ticked(*p) + " is not `http` or `https`");
      }
      spec.protocol = *p;
    }
    if (auto it = c.find("port"); it != c.end() && !it->is_null()) {
      if (it->is_number_integer()) {
        auto v = it->get<std::int64_t>();
        if (v < 1 || v > 65535) {
          throw Error(what + ".port: " + std::to_string(v) + " is not a port (1-65535)");
        }
        spec.port = static_cast<int>(v);
      } else if (it->is_string()) {
        spec.port = parse_port(it->get<std::string>(), what + ".port");
      } else {
        throw Error(what + ".port: expected a number");
      }
    }
    if (auto it = c.find("headers"); it != c.end() && !it->is_null()) {
      if (!it->is_array()) {
        throw Error(what + ".headers: expected an array of \"Name: value\" strings");
      }
      for (const auto& h : *it) {
        if (!h.is_string()) {
          throw Error(what + ".headers: expected an array of \"Name: value\" strings");
        }
        check_header(h.get<std::string>(), what + ".headers");
        spec.headers.push_back(h.get<std::string>());
      }
    }
    if (auto b = str("body")) {
      spec.body = *b;
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::vector<int> parse_probe_ports(std::string_view text) {
  std::vector<int> out;
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t j = text.find(',', i);
    if (j == std::string_view::npos) {
      j = text.size();
    }
    std::string_view item = text.substr(i, j - i);
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    while (!item.empty() && item.back() == ' ') {
      item.remove_suffix(1);
    }
    if (item.size() > 4 && item.substr(item.size() - 4) == "/tcp") {
      item.remove_suffix(4);
    }
    if (!item.empty()) {
      int port = parse_port(item, "--http-probe-ports");
      if (std::find(out.begin(), out.end(), port) == out.end()) {
        out.push_back(port);
      }
    }
    i = j + 1;
  }
  if (out.empty()) {
    throw Error("--http-probe-ports: no port in " + ticked(text));
  }
  return out;
}

ProbeRequest to_probe_request(const ProbeSpec& spec) {
  ProbeRequest r;
  r.method = spec.method;
  r.path = spec.path;
  r.port = spec.port.value_or(0);
  r.protocol = spec.protocol.value_or("http");
  r.headers = spec.headers;
  r.body = spec.body;
  r.crawl = spec.crawl;
  return r;
}

} // namespace slim::probe
