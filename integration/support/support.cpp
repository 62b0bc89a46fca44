#include "support/support.hpp"

#include "slim/util/error.hpp"
#include "slim/util/sha256.hpp"
#include "slim/util/temp_dir.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace slim::it {

std::string slim_binary() {
  return SLIM_BINARY;
}
std::string sensor_binary() {
  return SLIM_SENSOR_BINARY;
}
std::string source_dir() {
  return SLIM_SOURCE_DIR;
}

namespace {

/// Points DOCKER_HOST at the engine under test (every `slim` and `docker` the tests start
/// inherits it), or skips every test when SLIM_TEST_ENGINES does not list that engine.
class EngineSelection : public ::testing::Environment {
public:
  void SetUp() override {
    const char* list = std::getenv("SLIM_TEST_ENGINES");
    std::string selected = list != nullptr && *list != '\0' ? list : "all";
    std::string engine = test_engine();
    if (engine != "docker") {
      // The sockets are named in one place, scripts/engines.sh.
      auto r = run_command(source_dir() + "/scripts/engines.sh socket " + engine);
      std::string host = r.out.substr(0, r.out.find('\n'));
      if (r.exit_code != 0 || host.empty()) {
        std::fprintf(stderr, "integration tests: no engine `%s` (SLIM_TEST_ENGINE): %s\n",
                     engine.c_str(), r.err.c_str());
        std::exit(1);
      }
      ::setenv("DOCKER_HOST", host.c_str(), 1);
    }
    std::string padded = "," + selected + ",";
    if (selected != "all" && padded.find("," + engine + ",") == std::string::npos) {
      // gtest 1.12 counts tests skipped here as passed; this line makes CTest say skipped.
      std::printf("[  SKIPPED ] engine %s is not in SLIM_TEST_ENGINES=%s\n", engine.c_str(),
                  selected.c_str());
      GTEST_SKIP() << "engine " << engine << " is not in SLIM_TEST_ENGINES=" << selected;
    }
  }
};

[[maybe_unused]] const auto* const g_engine_selection =
    ::testing::AddGlobalTestEnvironment(new EngineSelection);

} // namespace

std::string test_engine() {
  const char* e = std::getenv("SLIM_TEST_ENGINE");
  return e != nullptr && *e != '\0' ? e : "docker";
}

bool engine_is_podman() {
  static const bool podman = [] {
    return connect_client().engine().kind == engine::EngineKind::podman;
  }();
  return podman;
}

std::string engine_cli() {
  if (!engine_is_podman()) {
    return "docker";
  }
  const char* host = std::getenv("DOCKER_HOST");
  return std::string("podman --remote --url ") +
         (host != nullptr && *host != '\0' ? host : "unix:///run/podman/podman.sock");
}

void ensure_fixture(const std::string& name) {
  std::string image = "slim-fixture/" + name + ":latest";
  if (run_command(engine_cli() + " image inspect " + image + " >/dev/null 2>&1").exit_code == 0) {
    return;
  }
  std::string scripts = source_dir() + "/scripts/";
  std::string command = scripts + "fixtures.sh " + name;
  if (test_engine() != "docker") {
    command = "DOCKER_HOST= " + command + " && " + scripts + "engines.sh fixtures " +
              test_engine() + " " + name;
  }
  auto r = run_command(command, std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << command << ": " << r.err;
}

std::string seccomp_option(const std::string& profile_json) {
  if (profile_json == "unconfined") {
    return "seccomp=unconfined";
  }
  auto client = connect_client();
  auto delivery = engine::seccomp_delivery(
      client.engine(), client.endpoint().kind == engine::Endpoint::Kind::unix_socket,
      client.endpoint().display);
  if (!delivery) {
    throw Error(delivery.error());
  }
  if (delivery.value() == engine::SeccompDelivery::inline_json) {
    return "seccomp=" + profile_json;
  }
  static TempDir dir("it-seccomp");
  static int count = 0;
  auto path = dir.path() / ("profile-" + std::to_string(++count) + ".json");
  std::ofstream(path) << profile_json;
  return "seccomp=" + path.string();
}

engine::Client connect_client() {
  engine::ClientOptions options;
  options.endpoint = engine::endpoint_from_environment(std::nullopt);
  if (const char* v = std::getenv("DOCKER_API_VERSION"); v != nullptr && *v != '\0') {
    options.api_version = v;
  }
  options.call_timeout = std::chrono::seconds(120);
  engine::Client client(std::move(options));
  try {
    client.connect();
  } catch (const Error& e) {
    std::string engine = test_engine();
    throw Error("integration tests need a running " +
                (engine == "docker" ? std::string("dockerd (run scripts/setup.sh)")
                                    : engine + " engine (run scripts/engines.sh " + engine + ")") +
                ": " + e.what());
  }
  return client;
}

nlohmann::json container_config(const std::string& image, const std::vector<std::string>& cmd) {
  nlohmann::json body;
  body["Image"] = image;
  if (!cmd.empty()) {
    body["Cmd"] = cmd;
  }
  body["Labels"] = {{std::string(engine::k_owner_label), k_test_owner}};
  body["HostConfig"] = {{"NetworkMode", "none"}};
  return body;
}

std::string create_test_container(engine::Client& client, const std::string& image,
                                  const std::vector<std::string>& cmd) {
  return client.create_container(container_config(image, cmd));
}

ContainerGuard::~ContainerGuard() {
  if (m_id.empty()) {
    return;
  }
  try {
    m_client->remove_container(m_id, true);
  } catch (...) { // NOLINT(bugprone-empty-catch): cleanup is best effort
  }
}

ImageGuard::~ImageGuard() {
  if (m_name.empty()) {
    return;
  }
  try {
    m_client->remove_image(m_name, true);
  } catch (...) { // NOLINT(bugprone-empty-catch): cleanup is best effort
  }
}

namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw Error(errno_message("cannot create a pipe", "pipe", errno));
    }
  }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_end(int i) {
    if (fds[i] >= 0) {
      ::close(fds[i]);
      fds[i] = -1;
    }
  }
};

} // namespace

CommandResult run_command(const std::string& command, std::chrono::seconds timeout) {
  Pipe out;
  Pipe err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::string sh = "/bin/sh";
  std::string dash_c = "-c";
  std::string cmd = command;
  std::array<char*, 4> argv = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw Error(errno_message("cannot run a shell", "/bin/sh", rc));
  }
  out.close_end(1);
  err.close_end(1);

  CommandResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool killed = false;
  std::array<char, 65536> buf{};
  while (out.fds[0] >= 0 || err.fds[0] >= 0) {
    std::array<pollfd, 2> pfds = {pollfd{out.fds[0], POLLIN, 0}, pollfd{err.fds[0], POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) {
      break;
    }
    for (std::size_t i = 0; i < pfds.size(); ++i) {
      if (pfds[i].fd < 0 || (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      ssize_t got = ::read(pfds[i].fd, buf.data(), buf.size());
      if (got > 0) {
        (i == 0 ? result.out : result.err).append(buf.data(), static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        (i == 0 ? out : err).close_end(0);
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed) {
    result.exit_code = 128 + SIGKILL;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

std::string make_tar(const std::vector<TarEntry>& entries) {
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                            &archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  std::string out;
  out.resize(1 << 20);
  std::size_t used = 0;
  // libarchive writes into a fixed buffer; grow and retry when it does not fit.
  for (;;) {
    if (archive_write_open_memory(a.get(), out.data(), out.size(), &used) != ARCHIVE_OK) {
      throw Error(std::string("cannot create a tar in memory: ") + archive_error_string(a.get()));
    }
    bool full = false;
    for (const auto& e : entries) {
      std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                          &archive_entry_free);
      archive_entry_set_pathname(entry.get(), e.path.c_str());
      archive_entry_set_mtime(entry.get(), 1'700'000'000, 0);
      switch (e.type) {
      case TarEntry::Type::file:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.content.size()));
        break;
      case TarEntry::Type::directory:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        break;
      case TarEntry::Type::symlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_symlink(entry.get(), e.link_target.c_str());
        break;
      }
      archive_entry_set_perm(entry.get(), e.mode);
      if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
        full = true;
        break;
      }
      if (e.type == TarEntry::Type::file && !e.content.empty() &&
          archive_write_data(a.get(), e.content.data(), e.content.size()) !=
              static_cast<la_ssize_t>(e.content.size())) {
        full = true;
        break;
      }
    }
    if (!full && archive_write_close(a.get()) == ARCHIVE_OK) {
      out.resize(used);
      return out;
    }
    a.reset(archive_write_new());
    archive_write_set_format_pax_restricted(a.get());
    archive_write_set_bytes_in_last_block(a.get(), 1);
    out.resize(out.size() * 4);
    used = 0;
  }
}

std::map<std::string, std::string> read_tar_files(const std::string& tar) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK) {
    throw Error(std::string("cannot read a tar: ") + archive_error_string(a.get()));
  }
  std::map<std::string, std::string> files;
  archive_entry* entry = nullptr;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG) {
      continue;
    }
    std::string content;
    std::array<char, 65536> buf{};
    la_ssize_t n = 0;
    while ((n = archive_read_data(a.get(), buf.data(), buf.size())) > 0) {
      content.append(buf.data(), static_cast<std::size_t>(n));
    }
    if (n < 0) {
      throw Error(std::string("cannot read a tar entry: ") + archive_error_string(a.get()));
    }
    files[archive_entry_pathname(entry)] = std::move(content);
  }
  if (rc != ARCHIVE_EOF) {
    throw Error(std::string("cannot read a tar: ") + archive_error_string(a.get()));
  }
  return files;
}

TinyImage tiny_image(const std::string& tag) {
  std::string layer = make_tar({{"hello.txt", "hello from a tiny image\n"}});
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", {{"Cmd", {"/hello.txt"}}, {"Labels", {{"io.slim.owner", k_test_owner}}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + sha256_hex(layer)}}}}};
  std::string config_text = config.dump();
  std::string config_sha = sha256_hex(config_text);
  nlohmann::json manifest = nlohmann::json::array(
      {{{"Config", config_sha + ".json"}, {"RepoTags", {tag}}, {"Layers", {"layer/layer.tar"}}}});
  TinyImage image;
  image.archive = make_tar({{config_sha + ".json", config_text},
                            {"layer", "", 0755, TarEntry::Type::directory},
                            {"layer/layer.tar", layer},
                            {"manifest.json", manifest.dump()}});
  image.id = "sha256:" + config_sha;
  return image;
}

engine::ByteSource string_source(std::string data) {
  auto state = std::make_shared<std::pair<std::string, std::size_t>>(std::move(data), 0);
  return [state](char* buf, std::size_t cap) -> std::size_t {
    auto& [bytes, offset] = *state;
    std::size_t n = std::min(cap, bytes.size() - offset);
    std::memcpy(buf, bytes.data() + offset, n);
    offset += n;
    return n;
  };
}

engine::ByteSink string_sink(std::string& out) {
  return [&out](const char* data, std::size_t size) { out.append(data, size); };
}

} // namespace slim::it
