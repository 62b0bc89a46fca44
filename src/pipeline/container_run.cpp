#include "slim/pipeline/container_run.hpp"

#include "slim/util/cancel.hpp"
#include "slim/util/log.hpp"
#include "slim/util/small_tar.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <poll.h>
#include <thread>
#include <unistd.h>

namespace slim::pipeline {

nlohmann::json container_create_body(const ContainerSpec& spec) {
  nlohmann::json body;
  body["Image"] = spec.image;
  if (spec.entrypoint) {
    body["Entrypoint"] = *spec.entrypoint;
  }
  if (spec.cmd) {
    body["Cmd"] = *spec.cmd;
  }
  if (!spec.env.empty()) {
    body["Env"] = spec.env;
  }
  if (spec.user) {
    body["User"] = *spec.user;
  }
  if (spec.workdir) {
    body["WorkingDir"] = *spec.workdir;
  }
  body["Labels"] = {{std::string(engine::k_owner_label), "slim"},
                    {"io.slim.role", spec.role},
                    {k_session_label, std::to_string(::getpid())}};
  if (spec.no_healthcheck) {
    body["Healthcheck"] = {{"Test", {"NONE"}}};
  }
  body["AttachStdout"] = false;
  body["AttachStderr"] = false;
  nlohmann::json host;
  host["NetworkMode"] = spec.network;
  if (!spec.cap_add.empty()) {
    host["CapAdd"] = spec.cap_add;
  }
  if (!spec.cap_drop.empty()) {
    host["CapDrop"] = spec.cap_drop;
  }
  if (!spec.security_opt.empty()) {
    host["SecurityOpt"] = spec.security_opt;
  }
  if (!spec.binds.empty()) {
    host["Binds"] = spec.binds;
  }
  host["LogConfig"] = {{"Type", "json-file"}, {"Config", nlohmann::json::object()}};
  body["HostConfig"] = std::move(host);
  if (spec.network == "none" || spec.network.rfind("container:", 0) == 0) {
    body["NetworkDisabled"] = spec.network == "none";
  }
  return body;
}

namespace {
std::atomic<bool> g_resume{false};
std::atomic<bool> g_paused_once{false};
void on_resume(int /*sig*/) {
  g_resume.store(true);
}
} // namespace

void test_pause_point(std::string_view point) {
  const char* at = std::getenv("SLIM_TEST_PAUSE_AT");
  if (at == nullptr || point != at || g_paused_once.exchange(true)) {
    return;
  }
  struct sigaction sa {};
  sa.sa_handler = on_resume;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, nullptr);
  std::fprintf(stderr, "slim-test: paused at %.*s\n", static_cast<int>(point.size()), point.data());
  std::fflush(stderr);
  while (!g_resume.load() && !cancel::requested()) {
    pollfd p{.fd = cancel::fd(), .events = POLLIN, .revents = 0};
    ::poll(&p, 1, 100);
  }
  cancel::throw_if_requested();
}

ContainerRun::ContainerRun(engine::Client& client, const ContainerSpec& spec) : m_client(client) {
  cancel::throw_if_requested();
  {
    // Ctrl-C must not cut the create short: the engine would make a container whose ID we
    // never read, and nobody would remove it. A create takes milliseconds.
    cancel::Shield shield;
    m_id = m_client.create_container(container_create_body(spec));
  }
  SLIM_DEBUG("created {} container {}", spec.role, m_id.substr(0, 12));
  if (cancel::requested()) {
    remove(); // the destructor does not run when a constructor throws
    throw Cancelled();
  }
}

ContainerRun::~ContainerRun() {
  remove();
}

void ContainerRun::remove() noexcept {
  if (m_id.empty()) {
    return;
  }
  cancel::Shield shield; // after Ctrl-C too
  // An engine that went away (dockerd restarting) gets some time to come back: a container
  // left behind would keep the app and its files around.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool told = false;
  for (;;) {
    try {
      m_client.remove_container(m_id, true);
      SLIM_DEBUG("removed container {}", m_id.substr(0, 12));
      break;
    } catch (const engine::EngineError& e) {
      if (e.status() == 0 && std::chrono::steady_clock::now() < give_up) {
        if (!told) {
          SLIM_WARN("cannot remove container {} yet ({}); retrying for up to 30 s",
                    m_id.substr(0, 12), e.what());
          told = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      SLIM_WARN("could not remove container {} (remove it with `docker rm -f {}`): {}",
                m_id.substr(0, 12), m_id.substr(0, 12), e.what());
      break;
    } catch (const std::exception& e) {
      SLIM_WARN("could not remove container {} (remove it with `docker rm -f {}`): {}",
                m_id.substr(0, 12), m_id.substr(0, 12), e.what());
      break;
    }
  }
  m_id.clear();
}

void ContainerRun::put_sensor(const std::string& sensor_bytes) {
  put_slim_file("sensor", sensor_bytes, 0755);
}

void ContainerRun::put_slim_file(const std::string& name, const std::string& content,
                                 unsigned mode) {
  std::string tar = make_small_tar({{.path = ".slim", .mode = 0755, .directory = true},
                                    {.path = ".slim/" + name, .content = content, .mode = mode}});
  std::size_t pos = 0;
  m_client.put_archive(m_id, "/", [&tar, &pos](char* buf, std::size_t cap) {
    std::size_t n = std::min(cap, tar.size() - pos);
    std::copy_n(tar.data() + pos, n, buf);
    pos += n;
    return n;
  });
}

void ContainerRun::start() {
  m_client.start_container(m_id);
}

bool ContainerRun::running() {
  auto state = m_client.inspect_container(m_id);
  return state.value("/State/Running"_json_pointer, false);
}

std::optional<int> ContainerRun::wait(std::chrono::milliseconds timeout) {
  try {
    return m_client.wait_container(m_id, timeout);
  } catch (const engine::EngineError& e) {
    if (e.status() == 0 && !cancel::requested()) {
      return std::nullopt; // timed out
    }
    throw;
  }
}

engine::ExecResult ContainerRun::exec(const std::vector<std::string>& cmd) {
  return m_client.exec(m_id, cmd);
}

std::string ContainerRun::logs(int lines) {
  std::string out;
  auto sink = [&out](const char* d, std::size_t n) { out.append(d, n); };
  try {
    m_client.logs(m_id, sink, sink, false, lines);
  } catch (const std::exception& e) {
    return std::string("(logs unavailable: ") + e.what() + ")";
  }
  return out;
}

std::string ContainerRun::read_file(const std::string& path, std::uint64_t max_bytes) {
  std::string tar;
  std::uint64_t limit = max_bytes + (1u << 20); // tar headers and padding
  m_client.get_archive(m_id, path, [&](const char* d, std::size_t n) {
    if (tar.size() + n > limit) {
      throw Error("`" + path + "` in the container is larger than " + std::to_string(max_bytes) +
                  " bytes");
    }
    tar.append(d, n);
  });
  auto base = path.substr(path.rfind('/') + 1);
  auto file = extract_from_small_tar(tar, base, max_bytes);
  if (!file) { // e.g. the app replaced it with a symlink or a directory
    throw Error("`" + path + "` in the container is not a regular file (" + file.error() + ")");
  }
  return std::move(file.value());
}

} // namespace slim::pipeline
