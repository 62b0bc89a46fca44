// The engine client and `slim version` against the real dockerd and the fixture base image.
#include "slim/engine/api_version.hpp"
#include "slim/engine/client.hpp"
#include "support/support.hpp"

#include <cctype>
#include <gtest/gtest.h>
#include <thread>

namespace slim::engine {
namespace {

using it::ContainerGuard;
using it::ImageGuard;

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

class EngineTest : public ::testing::Test {
protected:
  Client client = it::connect_client();
};

TEST_F(EngineTest, PingAndVersion) {
  std::string engine_api = client.ping();
  ASSERT_FALSE(engine_api.empty());
  auto v = client.version();
  EXPECT_FALSE(v.version.empty());
  EXPECT_EQ(v.api_version, engine_api);
  EXPECT_EQ(v.os, "linux");
  // We speak up to k_client_api_version; the engine here speaks 1.41, so 1.41 it is.
  EXPECT_EQ(client.api_version(), compare_api_versions(engine_api, k_client_api_version) < 0
                                      ? engine_api
                                      : std::string(k_client_api_version));
}

TEST_F(EngineTest, ContainerArchiveExecWaitRemove) {
  // The container waits for /tmp/go, then copies the file we put in.
  auto id = it::create_test_container(
      client, it::k_base_image,
      {"sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; cp /data/in.txt /data/out.txt"});
  ContainerGuard guard(client, id);
  auto inspect = client.inspect_container(id);
  EXPECT_EQ(inspect.at("Config").at("Labels").at("io.slim.owner"), "test");
  EXPECT_EQ(inspect.at("HostConfig").at("NetworkMode"), "none");
  auto listed = client.list_containers("io.slim.owner=test");
  EXPECT_NE(std::find(listed.begin(), listed.end(), id), listed.end());

  std::string content = "hello from the archive API\n" + std::string(100'000, 'z');
  client.put_archive(id, "/",
                     it::string_source(it::make_tar({
                         {"data", "", 0755, it::TarEntry::Type::directory},
                         {"data/in.txt", content},
                     })));
  client.start_container(id);

  auto r = client.exec(id, {"sh", "-c", "wc -c < /data/in.txt; echo to-stderr >&2; exit 3"});
  EXPECT_EQ(r.out, std::to_string(content.size()) + "\n");
  EXPECT_EQ(r.err, "to-stderr\n");
  EXPECT_EQ(r.exit_code, 3);

  ExecOptions as_nobody;
  as_nobody.user = "nobody";
  as_nobody.env = {"GREETING=hi"};
  as_nobody.workdir = "/tmp";
  auto who = client.exec(id, {"sh", "-c", "echo $(id -un) $GREETING $(pwd)"}, as_nobody);
  EXPECT_EQ(who.out, "nobody hi /tmp\n");
  EXPECT_EQ(who.exit_code, 0);

  EXPECT_EQ(client.exec(id, {"touch", "/tmp/go"}).exit_code, 0);
  EXPECT_EQ(client.wait_container(id, std::chrono::seconds(30)), 0);

  std::string tar;
  client.get_archive(id, "/data/out.txt", it::string_sink(tar));
  auto files = it::read_tar_files(tar);
  ASSERT_EQ(files.count("out.txt"), 1u);
  EXPECT_EQ(files["out.txt"], content);

  client.remove_container(id);
  guard.release();
  try {
    client.inspect_container(id);
    FAIL() << "the container still exists";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 404);
  }
  EXPECT_NO_THROW(client.remove_container(id)); // already gone: not an error
}

TEST_F(EngineTest, ExecWithStdinAndLargeOutput) {
  auto id = it::create_test_container(client, it::k_base_image, {"sleep", "60"});
  ContainerGuard guard(client, id);
  client.start_container(id);

  ExecOptions with_stdin;
  with_stdin.attach_stdin = true;
  std::string input = "line one\nline two\n";
  std::string out;
  auto exec_id = client.exec_create(id, {"cat"}, with_stdin);
  client.exec_start(exec_id, it::string_sink(out), {}, it::string_source(input));
  EXPECT_EQ(out, input);
  EXPECT_EQ(client.exec_inspect(exec_id).at("ExitCode"), 0);

  // 3 MB through the multiplexed stream, both streams interleaved.
  auto big = client.exec(id, {"sh", "-c", "head -c 3000000 /dev/zero; echo done >&2"});
  EXPECT_EQ(big.out.size(), 3'000'000u);
  EXPECT_EQ(big.err, "done\n");

  auto missing = client.exec_create(id, {"/no/such/program"});
  std::string err;
  try {
    client.exec_start(missing, {}, it::string_sink(err));
  } catch (const EngineError&) {
    // Some engines report the failed start inside the stream.
  }
  EXPECT_NE(client.exec_inspect(missing).value("ExitCode", 0), 0);

  client.kill_container(id);
  EXPECT_EQ(client.wait_container(id, std::chrono::seconds(30)), 137);
}

TEST_F(EngineTest, LogsAreDemultiplexed) {
  auto id = it::create_test_container(client, it::k_base_image,
                                      {"sh", "-c", "echo out1; echo err1 >&2; echo out2"});
  ContainerGuard guard(client, id);
  client.start_container(id);
  EXPECT_EQ(client.wait_container(id, std::chrono::seconds(30)), 0);
  std::string out;
  std::string err;
  client.logs(id, it::string_sink(out), it::string_sink(err));
  EXPECT_EQ(out, "out1\nout2\n");
  EXPECT_EQ(err, "err1\n");
}

TEST_F(EngineTest, WaitTimesOut) {
  auto id = it::create_test_container(client, it::k_base_image, {"sleep", "60"});
  ContainerGuard guard(client, id);
  client.start_container(id);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(client.wait_container(id, std::chrono::milliseconds(500)), EngineError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  client.stop_container(id, 0);
  EXPECT_FALSE(client.inspect_container(id).at("State").at("Running").get<bool>());
}

TEST_F(EngineTest, LoadSaveLoadKeepsTheId) {
  const std::string tag = "slim-test/engine-load:1";
  auto image = it::tiny_image(tag);
  ImageGuard guard(client, image.id);

  auto loaded = client.load_images(it::string_source(image.archive));
  EXPECT_EQ(loaded.image_id, image.id); // "Loaded image: tag" -> inspected
  ASSERT_FALSE(loaded.loaded.empty());
  EXPECT_EQ(loaded.loaded.front(), local_image_name(client.engine(), tag)); // Podman: localhost/

  client.tag_image(image.id, "slim-test/engine-load", "2");
  EXPECT_EQ(client.inspect_image("slim-test/engine-load:2").at("Id"), image.id);

  std::string saved;
  client.save_images({image.id}, it::string_sink(saved));
  EXPECT_EQ(it::read_tar_files(saved).count("manifest.json"), 1u);
  client.remove_image(image.id, true);
  EXPECT_THROW(client.inspect_image(image.id), EngineError);

  auto again = client.load_images(it::string_source(saved));
  EXPECT_EQ(again.image_id, image.id); // "Loaded image ID: sha256:..." (saved by ID, no tag)
}

TEST_F(EngineTest, SavedFixtureLoadsBackWithTheSameId) {
  auto original = client.inspect_image(it::k_base_image).at("Id").get<std::string>();
  std::string saved;
  client.save_images({it::k_base_image}, it::string_sink(saved));
  EXPECT_GT(saved.size(), 1'000'000u);
  auto loaded = client.load_images(it::string_source(std::move(saved)));
  EXPECT_EQ(loaded.image_id, original);
}

TEST_F(EngineTest, BrokenArchiveIsAnEngineError) {
  EXPECT_THROW(client.load_images(it::string_source("this is not a tar archive")), EngineError);
}

TEST_F(EngineTest, MissingImageGivesTheEngines404) {
  try {
    client.inspect_image("slim-test/does-not-exist:nope");
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 404);
    // The engine's own words (20.10 says "no such image: X: No such image: X", Podman "failed
    // to find image X: docker.io/X: No such image").
    EXPECT_NE(lower(e.what()).find("no such image"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("slim-test/does-not-exist:nope"), std::string::npos)
        << e.what();
  }
  try {
    it::create_test_container(client, "slim-test/does-not-exist:nope", {"true"});
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_NE(lower(e.what()).find("no such image"), std::string::npos) << e.what();
  }
}

TEST(SlimVersion, AnswersFromTheEngine) {
  auto r = it::run_command(it::slim_binary() + " version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("slim:   " SLIM_VERSION), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("engine: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(negotiated)"), std::string::npos) << r.out;
}

TEST(SlimVersion, UnreachableHostIsOneLine) {
  auto r = it::run_command(it::slim_binary() + " --host unix:///nonexistent version");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "slim: error: cannot reach the Docker engine at `unix:///nonexistent`: No such "
                   "file or directory (is dockerd running? set DOCKER_HOST or --host)\n");
}

TEST(SlimVersion, MalformedDockerHostIsOneLine) {
  auto r = it::run_command("DOCKER_HOST=tcp://localhost:http " + it::slim_binary() + " version");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "slim: error: invalid Docker host `tcp://localhost:http`: the port must be a "
                   "number from 1 to 65535\n");
}

TEST(SlimVersion, RefusedTcpPortIsOneLine) {
  auto r = it::run_command(it::slim_binary() + " -H tcp://127.0.0.1:1 version");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err, "slim: error: cannot reach the Docker engine at `tcp://127.0.0.1:1`: "
                   "Connection refused (is dockerd running? set DOCKER_HOST or --host)\n");
}

} // namespace
} // namespace slim::engine
