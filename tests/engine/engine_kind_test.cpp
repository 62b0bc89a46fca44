// Engine identification from recorded `_ping` headers, and the seccomp delivery per engine.
#include "slim/engine/engine_kind.hpp"

#include <gtest/gtest.h>

namespace slim::engine {
namespace {

TEST(EngineKind, RecordedPingHeaders) {
  // dockerd 20.10 (bookworm), 26.1 (trixie), Podman 4.3.1's compat service.
  auto bookworm = identify_engine("Docker/20.10.24+dfsg1 (linux)", "");
  EXPECT_EQ(bookworm.kind, EngineKind::docker);
  EXPECT_EQ(engine_name(bookworm), "dockerd");
  EXPECT_EQ(identify_engine("Docker/26.1.5+dfsg1 (linux)", "").kind, EngineKind::docker);
  auto podman = identify_engine("Libpod/4.3.1 (linux)", "4.3.1");
  EXPECT_EQ(podman.kind, EngineKind::podman);
  EXPECT_EQ(podman.server, "Libpod/4.3.1 (linux)");
  EXPECT_EQ(engine_name(podman), "Podman 4.3.1");
}

TEST(EngineKind, EitherHeaderNamesPodman) {
  EXPECT_EQ(identify_engine("", "4.9.3").kind, EngineKind::podman);
  EXPECT_EQ(identify_engine("libpod/5.0", "").kind, EngineKind::podman);
  EXPECT_EQ(engine_name(identify_engine("libpod/5.0", "")), "Podman");
  // An engine that names nothing (old dockerd, a proxy) is treated as dockerd.
  EXPECT_EQ(identify_engine("", "").kind, EngineKind::docker);
}

TEST(EngineKind, PodmanNamesLocalImagesUnderLocalhost) {
  auto podman = identify_engine("Libpod/4.3.1 (linux)", "4.3.1");
  EXPECT_EQ(local_image_name(podman, "app:1"), "localhost/app:1");
  EXPECT_EQ(local_image_name(podman, "team/app.slim:latest"), "localhost/team/app.slim:latest");
  // Names that already say where they come from stay as they are.
  EXPECT_EQ(local_image_name(podman, "localhost/app:1"), "localhost/app:1");
  EXPECT_EQ(local_image_name(podman, "quay.io/team/app:1"), "quay.io/team/app:1");
  EXPECT_EQ(local_image_name(podman, "registry:5000/app:1"), "registry:5000/app:1");
  EXPECT_EQ(local_image_name(podman, "sha256:abcd"), "sha256:abcd");
  auto docker = identify_engine("Docker/20.10.24+dfsg1 (linux)", "");
  EXPECT_EQ(local_image_name(docker, "app:1"), "app:1");
  EXPECT_EQ(local_image_name(docker, "team/app:1"), "team/app:1");
}

TEST(SeccompDelivery, DockerTakesTheJsonInlineEverywhere) {
  auto docker = identify_engine("Docker/26.1.5 (linux)", "");
  EXPECT_EQ(seccomp_delivery(docker, true, "unix:///var/run/docker.sock").value(),
            SeccompDelivery::inline_json);
  EXPECT_EQ(seccomp_delivery(docker, false, "tcp://build:2376").value(),
            SeccompDelivery::inline_json);
}

TEST(SeccompDelivery, LocalPodmanGetsAFileRemotePodmanAClearError) {
  auto podman = identify_engine("Libpod/4.3.1 (linux)", "4.3.1");
  EXPECT_EQ(seccomp_delivery(podman, true, "unix:///run/podman/podman.sock").value(),
            SeccompDelivery::host_file);
  auto remote = seccomp_delivery(podman, false, "tcp://build:8080");
  ASSERT_FALSE(remote);
  EXPECT_EQ(remote.error(),
            "Podman 4.3.1 at `tcp://build:8080` reads a seccomp profile only from a file on its "
            "own host, which slim cannot write there: run slim on that host "
            "(DOCKER_HOST=unix:///run/podman/podman.sock), or skip the verification with "
            "--no-verify (the profile is still written) or --no-seccomp");
}

TEST(SeccompDelivery, RecognisesPodmansMissingFileError) {
  EXPECT_TRUE(is_seccomp_file_error(
      "opening seccomp profile failed: open /tmp/slim-build-1/verify-seccomp.json: no such file "
      "or directory"));
  EXPECT_TRUE(is_seccomp_file_error("opening seccomp profile failed: open /x: permission denied"));
  EXPECT_FALSE(is_seccomp_file_error("loading seccomp profile failed: invalid character"));
  EXPECT_FALSE(is_seccomp_file_error("No such image: x"));
}

} // namespace
} // namespace slim::engine
