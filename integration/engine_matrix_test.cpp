// What differs between the engines of the matrix (dockerd 20.10, dockerd 26.1, Podman 4.3), seen
// through slim's client: who answers, and the archive layout `GET /images/get` writes.
#include "slim/engine/api_version.hpp"
#include "support/support.hpp"

#include <gtest/gtest.h>

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

} // namespace
} // namespace slim::it
