// The typed Engine API calls. Transport details live in transport.cpp; this file speaks JSON.
#include "slim/engine/client.hpp"

#include "slim/engine/api_version.hpp"
#include "slim/engine/error_mapping.hpp"
#include "slim/engine/json_stream.hpp"
#include "slim/engine/mux_stream.hpp"
#include "slim/util/base64.hpp"
#include "slim/util/cancel.hpp"
#include "slim/util/log.hpp"
#include "transport.hpp"

#include <nlohmann/json.hpp>
#include <thread>

namespace slim::engine {

using detail::Clock;
using detail::HttpRequest;
using detail::HttpResponse;

namespace {

/// Path characters kept as they are in image names and container IDs inside a URL path.
constexpr std::string_view k_path_keep = "/:@";

std::string q(std::string_view value) {
  return percent_encode(value);
}

std::string json_text(const nlohmann::json& j) {
  return j.dump();
}

/// `j[key]` when `j` is an object holding a string there, else "" (a hostile or broken engine
/// must not turn into a foreign exception).
std::string string_field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) {
    return {};
  }
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

struct Client::Impl {
  ClientOptions options;
  std::string api_version;
  EngineIdentity engine;

  /// "/v1.41" + path (path starts with '/').
  std::string versioned(const std::string& path) const {
    if (api_version.empty()) {
      throw Error("engine client used before connect()");
    }
    return "/v" + api_version + path;
  }

  std::unique_ptr<detail::Connection> open(std::chrono::milliseconds timeout) const {
    return detail::open_connection(options.endpoint, options.connect_timeout,
                                   Clock::now() + timeout);
  }

  /// Sends a request and reads the whole answer; throws EngineError for status >= 400.
  std::pair<HttpResponse, std::string> call(HttpRequest request,
                                            std::optional<std::chrono::milliseconds> timeout = {}) {
    auto connection = open(timeout.value_or(options.call_timeout));
    auto response = connection->send(request);
    auto body = detail::read_body_string(*connection);
    SLIM_TRACE("engine: {} {} -> {}", request.method, request.target, response.status);
    throw_if_http_error(response.status, body);
    return {std::move(response), std::move(body)};
  }

  /// call() and parse the answer as JSON of the `expected` type (object or array).
  nlohmann::json call_json(HttpRequest request,
                           std::optional<std::chrono::milliseconds> timeout = {},
                           nlohmann::json::value_t expected = nlohmann::json::value_t::object) {
    std::string what = request.method + " " + request.target;
    auto [response, body] = call(std::move(request), timeout);
    auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_discarded()) {
      throw EngineError(response.status, "the engine's answer to `" + what + "` is not JSON");
    }
    if (json.type() != expected) {
      throw EngineError(response.status,
                        "the engine's answer to `" + what + "` is not a JSON " +
                            (expected == nlohmann::json::value_t::array ? "array" : "object") +
                            " (got " + json.type_name() + ")");
    }
    return json;
  }

  static HttpRequest make(std::string method, std::string target) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    return r;
  }

  HttpRequest make_json(std::string method, const std::string& path, const nlohmann::json& body) {
    HttpRequest r = make(std::move(method), versioned(path));
    r.body = json_text(body);
    r.headers.emplace_back("Content-Type", "application/json");
    return r;
  }

  /// Streams a successful answer's body into `sink`; an error answer is read and thrown.
  void stream_call(const HttpRequest& request, const ByteSink& sink,
                   std::optional<std::chrono::milliseconds> timeout = {}) {
    auto connection = open(timeout.value_or(options.call_timeout));
    auto response = connection->send(request);
    if (response.status >= 400) {
      throw_if_http_error(response.status, detail::read_body_string(*connection, 1 << 20));
    }
    connection->read_body(sink);
  }
};

Client::Client(ClientOptions options) : m_impl(std::make_unique<Impl>()) {
  m_impl->options = std::move(options);
}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

void Client::connect() {
  std::string engine_version = ping();
  auto chosen = negotiate_api_version(engine_version, m_impl->options.api_version);
  if (!chosen) {
    throw Error(chosen.error());
  }
  m_impl->api_version = chosen.value();
  SLIM_DEBUG("engine at {} ({}) speaks API {}, using {}", m_impl->options.endpoint.display,
             engine_name(m_impl->engine), engine_version, m_impl->api_version);
}

const std::string& Client::api_version() const noexcept {
  return m_impl->api_version;
}
const Endpoint& Client::endpoint() const noexcept {
  return m_impl->options.endpoint;
}
const EngineIdentity& Client::engine() const noexcept {
  return m_impl->engine;
}

std::string Client::ping() {
  auto timeout = std::min(m_impl->options.call_timeout, std::chrono::milliseconds(30'000));
  try {
    auto [response, body] = m_impl->call(Impl::make("GET", "/_ping"), timeout);
    m_impl->engine =
        identify_engine(response.header("server"), response.header("libpod-api-version"));
    return response.header("api-version");
  } catch (const EngineError& e) {
    if (e.status() == 400 && std::string_view(e.what()).find("HTTPS") != std::string_view::npos) {
      throw EngineError(400, "the Docker engine at `" + m_impl->options.endpoint.display +
                                 "` expects TLS: " + e.what() +
                                 " (set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH)");
    }
    throw;
  }
}

VersionInfo Client::version() {
  auto j = m_impl->call_json(Impl::make("GET", m_impl->versioned("/version")));
  VersionInfo v;
  v.version = string_field(j, "Version");
  v.api_version = string_field(j, "ApiVersion");
  v.min_api_version = string_field(j, "MinAPIVersion");
  v.os = string_field(j, "Os");
  v.arch = string_field(j, "Arch");
  v.kernel_version = string_field(j, "KernelVersion");
  if (v.version.empty()) {
    throw EngineError(200, "the engine's answer to `GET /version` has no `Version` string");
  }
  return v;
}

nlohmann::json Client::inspect_image(const std::string& name) {
  return m_impl->call_json(Impl::make(
      "GET", m_impl->versioned("/images/" + percent_encode(name, k_path_keep) + "/json")));
}

void Client::save_images(const std::vector<std::string>& names, const ByteSink& sink) {
  std::string target = m_impl->versioned("/images/get");
  char sep = '?';
  for (const auto& name : names) {
    target += sep;
    target += "names=" + q(name);
    sep = '&';
  }
  m_impl->stream_call(Impl::make("GET", target), sink);
}

LoadResult Client::load_images(const ByteSource& source) {
  HttpRequest r = Impl::make("POST", m_impl->versioned("/images/load?quiet=1"));
  r.headers.emplace_back("Content-Type", "application/x-tar");
  r.source = &source;
  LoadStreamParser parser;
  m_impl->stream_call(r,
                      [&parser](const char* data, std::size_t size) { parser.feed(data, size); });
  LoadResult result = parser.finish();
  if (result.image_id.empty() && !result.loaded.empty()) {
    // "Loaded image: name:tag": the engine named the image; ask it for the ID.
    result.image_id = string_field(inspect_image(result.loaded.front()), "Id");
  }
  if (result.image_id.empty()) {
    std::string text = parser.text();
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    throw EngineError(200, "the engine loaded the archive but reported no image" +
                               (text.empty() ? std::string() : ": " + text));
  }
  return result;
}

void Client::tag_image(const std::string& image, const std::string& repo, const std::string& tag) {
  m_impl->call(
      Impl::make("POST", m_impl->versioned("/images/" + percent_encode(image, k_path_keep) +
                                           "/tag?repo=" + q(repo) + "&tag=" + q(tag))));
}

void Client::remove_image(const std::string& name, bool force) {
  m_impl->call(
      Impl::make("DELETE", m_impl->versioned("/images/" + percent_encode(name, k_path_keep) +
                                             (force ? "?force=1" : "?force=0"))));
}

std::string Client::create_container(const nlohmann::json& body, const std::string& name) {
  std::string path = "/containers/create";
  if (!name.empty()) {
    path += "?name=" + q(name);
  }
  auto j = m_impl->call_json(m_impl->make_json("POST", path, body));
  if (auto w = j.find("Warnings"); w != j.end() && w->is_array()) {
    for (const auto& warning : *w) {
      if (warning.is_string()) {
        SLIM_DEBUG("engine: create warning: {}", warning.get<std::string>());
      }
    }
  }
  std::string id = string_field(j, "Id");
  if (id.empty()) {
    throw EngineError(201, "the engine created a container but sent no ID");
  }
  return id;
}

void Client::start_container(const std::string& id) {
  // 204 started, 304 already running: both fine.
  m_impl->call(Impl::make("POST", m_impl->versioned("/containers/" + q(id) + "/start")));
}

int Client::wait_container(const std::string& id, std::chrono::milliseconds timeout) {
  try {
    auto j = m_impl->call_json(Impl::make("POST", m_impl->versioned("/containers/" + q(id) +
                                                                    "/wait?condition=not-running")),
                               timeout);
    if (auto err = j.find("Error"); err != j.end() && err->is_object()) {
      auto msg = string_field(*err, "Message");
      if (!msg.empty()) {
        throw EngineError(500, "waiting for container `" + id + "`: " + msg);
      }
    }
    auto code = j.find("StatusCode");
    if (code == j.end() || !code->is_number_integer()) {
      throw EngineError(200, "the engine's answer to waiting for container `" + id +
                                 "` has no integer `StatusCode`");
    }
    return code->get<int>();
  } catch (const detail::TimeoutError&) {
    throw EngineError(0, "container `" + id + "` did not exit within " +
                             std::to_string((timeout.count() + 999) / 1000) + " s");
  }
}

void Client::kill_container(const std::string& id, const std::string& signal) {
  m_impl->call(
      Impl::make("POST", m_impl->versioned("/containers/" + q(id) + "/kill?signal=" + q(signal))));
}

void Client::stop_container(const std::string& id, int grace_seconds) {
  auto timeout = std::max(m_impl->options.call_timeout,
                          std::chrono::milliseconds((grace_seconds + 30) * 1000L));
  m_impl->call(Impl::make("POST", m_impl->versioned("/containers/" + q(id) +
                                                    "/stop?t=" + std::to_string(grace_seconds))),
               timeout);
}

nlohmann::json Client::inspect_container(const std::string& id) {
  return m_impl->call_json(Impl::make("GET", m_impl->versioned("/containers/" + q(id) + "/json")));
}

void Client::logs(const std::string& id, const ByteSink& out, const ByteSink& err, bool follow,
                  std::optional<int> tail) {
  auto inspect = inspect_container(id);
  auto config = inspect.find("Config");
  bool tty = config != inspect.end() && config->is_object() && config->contains("Tty") &&
             (*config)["Tty"].is_boolean() && (*config)["Tty"].get<bool>();
  std::string target = m_impl->versioned("/containers/" + q(id) + "/logs?stdout=1&stderr=1");
  target += follow ? "&follow=1" : "&follow=0";
  if (tail) {
    target += "&tail=" + std::to_string(*tail);
  }
  if (tty) {
    m_impl->stream_call(Impl::make("GET", target), out);
    return;
  }
  MuxDecoder decoder([&](MuxDecoder::Stream s, std::string_view data) {
    const ByteSink& sink = s == MuxDecoder::Stream::err ? err : out;
    if (sink) {
      sink(data.data(), data.size());
    }
  });
  m_impl->stream_call(Impl::make("GET", target),
                      [&decoder](const char* data, std::size_t size) { decoder.feed(data, size); });
  decoder.finish();
}

void Client::remove_container(const std::string& id, bool force) {
  try {
    m_impl->call(Impl::make(
        "DELETE", m_impl->versioned("/containers/" + q(id) + "?v=1&force=" + (force ? "1" : "0"))));
  } catch (const EngineError& e) {
    if (e.status() != 404) {
      throw;
    }
  }
}

std::vector<std::string> Client::list_containers(const std::string& label_filter) {
  nlohmann::json filters = {{"label", {label_filter}}};
  auto j = m_impl->call_json(
      Impl::make("GET", m_impl->versioned("/containers/json?all=1&filters=" + q(filters.dump()))),
      {}, nlohmann::json::value_t::array);
  std::vector<std::string> ids;
  for (const auto& c : j) {
    std::string id = string_field(c, "Id");
    if (id.empty()) {
      throw EngineError(200, "the engine listed a container without an `Id` string");
    }
    ids.push_back(std::move(id));
  }
  return ids;
}

void Client::put_archive(const std::string& id, const std::string& dir, const ByteSource& tar) {
  HttpRequest r =
      Impl::make("PUT", m_impl->versioned("/containers/" + q(id) + "/archive?path=" + q(dir)));
  r.headers.emplace_back("Content-Type", "application/x-tar");
  r.source = &tar;
  m_impl->stream_call(r, [](const char*, std::size_t) {});
}

void Client::get_archive(const std::string& id, const std::string& path, const ByteSink& sink) {
  m_impl->stream_call(
      Impl::make("GET", m_impl->versioned("/containers/" + q(id) + "/archive?path=" + q(path))),
      sink);
}

std::optional<PathStat> Client::stat_path(const std::string& id, const std::string& path) {
  auto connection = m_impl->open(m_impl->options.call_timeout);
  auto response = connection->send(
      Impl::make("GET", m_impl->versioned("/containers/" + q(id) + "/archive?path=" + q(path))));
  if (response.status == 404) {
    (void)detail::read_body_string(*connection, 1 << 20);
    return std::nullopt;
  }
  if (response.status >= 400) {
    throw_if_http_error(response.status, detail::read_body_string(*connection, 1 << 20));
  }
  std::string header = response.header("x-docker-container-path-stat");
  connection->read_body([](const char*, std::size_t) {}); // the tar itself is not needed
  auto text = base64_decode(header);
  auto j = nlohmann::json::parse(text.value_or(""), nullptr, false);
  if (!j.is_object()) {
    throw EngineError(response.status, "the engine's stat of `" + path + "` in container `" +
                                           id.substr(0, 12) + "` is missing or not JSON");
  }
  PathStat st;
  st.name = string_field(j, "name");
  st.link_target = string_field(j, "linkTarget");
  if (auto it = j.find("size"); it != j.end() && it->is_number_integer()) {
    st.size = it->get<std::int64_t>();
  }
  if (auto it = j.find("mode"); it != j.end() && it->is_number_unsigned()) {
    st.mode = static_cast<std::uint32_t>(it->get<std::uint64_t>());
  }
  return st;
}

std::string Client::exec_create(const std::string& id, const std::vector<std::string>& cmd,
                                const ExecOptions& options) {
  nlohmann::json body = {{"AttachStdin", options.attach_stdin},
                         {"AttachStdout", true},
                         {"AttachStderr", true},
                         {"Tty", false},
                         {"Cmd", cmd}};
  if (!options.env.empty()) {
    body["Env"] = options.env;
  }
  if (!options.user.empty()) {
    body["User"] = options.user;
  }
  if (!options.workdir.empty()) {
    body["WorkingDir"] = options.workdir;
  }
  auto j = m_impl->call_json(m_impl->make_json("POST", "/containers/" + q(id) + "/exec", body));
  std::string exec_id = string_field(j, "Id");
  if (exec_id.empty()) {
    throw EngineError(201, "the engine created an exec but sent no ID");
  }
  return exec_id;
}

void Client::exec_start(const std::string& exec_id, const ByteSink& out, const ByteSink& err,
                        const ByteSource& in) {
  HttpRequest r = m_impl->make_json("POST", "/exec/" + q(exec_id) + "/start",
                                    {{"Detach", false}, {"Tty", false}});
  r.upgrade = true;
  auto connection = m_impl->open(m_impl->options.call_timeout);
  auto response = connection->send(r);
  if (response.status >= 400) {
    throw_if_http_error(response.status, detail::read_body_string(*connection, 1 << 20));
  }
  MuxDecoder decoder([&](MuxDecoder::Stream s, std::string_view data) {
    const ByteSink& sink = s == MuxDecoder::Stream::err ? err : out;
    if (sink) {
      sink(data.data(), data.size());
    }
  });
  ByteSink feed = [&decoder](const char* data, std::size_t size) { decoder.feed(data, size); };
  if (response.raw) {
    connection->duplex(in, feed);
  } else {
    connection->read_body(feed); // an engine that answered without hijacking
  }
  decoder.finish();
}

nlohmann::json Client::exec_inspect(const std::string& exec_id) {
  return m_impl->call_json(Impl::make("GET", m_impl->versioned("/exec/" + q(exec_id) + "/json")));
}

ExecResult Client::exec(const std::string& id, const std::vector<std::string>& cmd,
                        const ExecOptions& options) {
  ExecResult result;
  std::string exec_id = exec_create(id, cmd, options);
  exec_start(
      exec_id, [&result](const char* d, std::size_t n) { result.out.append(d, n); },
      [&result](const char* d, std::size_t n) { result.err.append(d, n); });
  // The stream ends a moment before the engine records the exit code: poll briefly.
  auto until = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto j = exec_inspect(exec_id);
    bool running = j.contains("Running") && j["Running"].is_boolean() && j["Running"].get<bool>();
    if (!running && j.contains("ExitCode") && j["ExitCode"].is_number_integer()) {
      result.exit_code = j["ExitCode"].get<int>();
      return result;
    }
    if (Clock::now() >= until) {
      throw EngineError(0, "exec `" + exec_id + "` in container `" + id +
                               "` has no exit code 10 s after its output ended");
    }
    cancel::throw_if_requested();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

} // namespace slim::engine
