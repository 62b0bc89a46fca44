// The Debian package and slim's own image: the .deb CPack makes installs on a fresh Debian 12
// (a container of the debootstrapped base image, its dependencies from Debian's mirror), slim
// runs there, the docker plugin answers, and slim slims its own image.
#include "support/served.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace slim::it {
namespace {

TEST(Package, DebInstallsOnAFreshDebianAndSlimSlimsItsOwnImage) {
  auto client = connect_client();
  TestDir dir("slim-it-package");
  auto pack = run_command("cd " + std::string(SLIM_BUILD_DIR) + " && cpack -G DEB -B " +
                              dir.path().string() + " 2>&1",
                          std::chrono::seconds(300));
  ASSERT_EQ(pack.exit_code, 0) << pack.out;
  std::string deb;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().extension() == ".deb") {
      deb = e.path().string();
    }
  }
  ASSERT_FALSE(deb.empty()) << pack.out;
  std::printf("[ package  ] %s: %.1f MB\n", std::filesystem::path(deb).filename().c_str(),
              static_cast<double>(std::filesystem::file_size(deb)) / 1e6);
  std::filesystem::copy_file(source_dir() + "/Dockerfile", dir / "Dockerfile");

  ImageGuard image(client, "slim-it/slim:package");
  ImageGuard slimmed(client, "slim-it/slim:package-slim");
  auto build = run_command("DOCKER_BUILDKIT=0 docker build -q --network host --build-arg "
                           "BASE=slim-fixture/base:bookworm --label io.slim.owner=test -t "
                           "slim-it/slim:package " +
                               dir.path().string(),
                           std::chrono::seconds(600));
  ASSERT_EQ(build.exit_code, 0) << build.out << build.err;

  auto version = run_command("docker run --rm --network none slim-it/slim:package slim --version");
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_NE(version.out.find("slim " SLIM_VERSION), std::string::npos) << version.out;
  auto metadata = run_command("docker run --rm --network none slim-it/slim:package "
                              "/usr/libexec/docker/cli-plugins/docker-slim "
                              "docker-cli-plugin-metadata");
  EXPECT_EQ(nlohmann::json::parse(metadata.out, nullptr, false).value("SchemaVersion", ""), "0.1.0")
      << metadata.out << metadata.err;
  auto man = run_command("docker run --rm --network none slim-it/slim:package "
                         "test -s /usr/share/man/man1/slim.1");
  EXPECT_EQ(man.exit_code, 0) << "the man page is installed";
  // The packaged slim talks to the engine through the socket it is given.
  auto engine = run_command("docker run --rm --network none -v "
                            "/var/run/docker.sock:/var/run/docker.sock slim-it/slim:package "
                            "slim version");
  EXPECT_EQ(engine.exit_code, 0) << engine.err;
  EXPECT_NE(engine.out.find("engine: "), std::string::npos) << engine.out;

  // slim slims its own image: exercised by running its commands, checked the same way.
  auto own = run_command("cd " + dir.path().string() + " && " + slim_binary() +
                             " build --log-level warn --tag slim-it/slim:package-slim "
                             "--cmd 'sleep infinity' "
                             "--exec 'slim --version' --exec 'slim build --help' "
                             "--exec 'slim seccomp explain --help' slim-it/slim:package",
                         std::chrono::seconds(600));
  ASSERT_EQ(own.exit_code, 0) << own.out << own.err;
  std::printf("[ package  ] %s", own.out.c_str());
  auto slim_version = run_command("docker run --rm --network none slim-it/slim:package-slim "
                                  "slim --version");
  EXPECT_EQ(slim_version.exit_code, 0) << slim_version.err;
  EXPECT_NE(slim_version.out.find("slim " SLIM_VERSION), std::string::npos);
}

} // namespace
} // namespace slim::it
