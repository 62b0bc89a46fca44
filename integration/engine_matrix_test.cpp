// What differs between the engines of the matrix (dockerd 20.10, dockerd 26.1, Podman 4.3), seen
// through slim's client: who answers, and the archive layout `GET /images/get` writes.
#include "slim/engine/api_version.hpp"
#include "support/process.hpp"
#include "support/served.hpp"
#include "support/support.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace slim::it {
namespace {

TEST(EngineMatrix, IdentifiesTheEngineFromItsPing) {
  auto client = connect_client();
  bool podman = test_engine() == "podman";
  EXPECT_EQ(client.engine().kind, podman ? engine::EngineKind::podman : engine::EngineKind::docker)
      << client.engine().server;
  EXPECT_EQ(engine_is_podman(), podman);
  if (test_engine() == "trixie") {
    // Docker 25+: API 1.44 or later.
    EXPECT_GE(engine::compare_api_versions(client.api_version(), "1.44"), 0)
        << client.api_version();
  }
  auto r = run_command(slim_binary() + " version");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(podman ? "engine: Podman " : "engine: dockerd "), std::string::npos)
      << r.out;
}

TEST(EngineMatrix, SaveWritesTheEnginesArchiveLayout) {
  auto client = connect_client();
  std::string saved;
  client.save_images({k_base_image}, string_sink(saved));
  auto files = read_tar_files(saved);
  // Every engine here writes manifest.json; Docker 25+ (API 1.44) writes an OCI layout beside
  // it, with the layers as blobs; dockerd 20.10 and Podman 4.3 a classic docker-archive.
  EXPECT_EQ(files.count("manifest.json"), 1u);
  bool oci = !engine_is_podman() &&
             engine::compare_api_versions(client.version().api_version, "1.44") >= 0;
  EXPECT_EQ(files.count("index.json"), oci ? 1u : 0u);
  EXPECT_EQ(files.count("oci-layout"), oci ? 1u : 0u);
  std::size_t blobs = 0;
  for (const auto& [path, content] : files) {
    blobs += path.rfind("blobs/sha256/", 0) == 0 ? 1 : 0;
  }
  if (oci) {
    EXPECT_GE(blobs, 3u); // config, manifest, layer
  } else {
    EXPECT_EQ(blobs, 0u);
  }
}

/// A free TCP port on 127.0.0.1 (bound and released).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(EngineMatrix, RemotePodmanIsRefusedBeforeAnyWorkAndNoVerifyIsTheWayOut) {
  if (!engine_is_podman()) {
    GTEST_SKIP() << "Podman only";
  }
  // The same storage served over TCP on loopback: to slim, a Podman on another host.
  std::string host = "tcp://127.0.0.1:" + std::to_string(free_port());
  Process service({"podman", "system", "service", "--time=0", host},
                  {"CONTAINERS_CONF=/etc/slim/podman-containers.conf"});
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = run_command("curl -sf --max-time 2 http://" + host.substr(6) + "/_ping").exit_code == 0;
    if (!up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ASSERT_TRUE(up) << service.err();
  TestDir dir("slim-it-remote");
  std::string slim = slim_binary() + " --host " + host + " build --log-level warn --report " +
                     (dir / "r.json").string() + " --seccomp-profile " + (dir / "s.json").string() +
                     " --tag slim-it/remote:slim ";
  auto client = connect_client();
  auto refused = run_command(slim + "slim-fixture/batch:latest");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "slim: error: " + engine::engine_name(client.engine()) + " at `" + host +
                             "` reads a seccomp profile only from a file on its own host, which "
                             "slim cannot write there: run slim on that host "
                             "(DOCKER_HOST=unix:///run/podman/podman.sock), or skip the "
                             "verification with --no-verify (the profile is still written) or "
                             "--no-seccomp\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "r.json")); // refused before any work

  ImageGuard guard(client, "slim-it/remote:slim");
  auto built =
      run_command(slim + "--no-verify slim-fixture/batch:latest", std::chrono::seconds(300));
  EXPECT_EQ(built.exit_code, 0) << built.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "s.json"));
  EXPECT_EQ(client.inspect_image("localhost/slim-it/remote:slim").value("Id", ""),
            read_text(dir / "r.json").empty()
                ? "no report"
                : nlohmann::json::parse(read_text(dir / "r.json"))["result"].value("id", ""));
}

} // namespace
} // namespace slim::it
