// The engine client against an in-process HTTP server on a Unix socket: framing, streaming,
// hijacking, error mapping, timeouts and cancellation, where the real engine cannot be made to
// produce the case.
#include "slim/engine/client.hpp"
#include "slim/util/cancel.hpp"
#include "slim/util/sha256.hpp"
#include "support/fake_engine.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

namespace slim::engine {
namespace {

using test::FakeEngine;
using test::FakeReply;
using test::FakeRequest;

const std::string k_ping = FakeEngine::response(
    200, "OK", "text/plain", 0, {"API-Version: 1.41", "Docker-Experimental: false"});

/// Routes /_ping to a 1.41 answer and everything else to `route`.
test::FakeRoute with_ping(test::FakeRoute route) {
  return [route = std::move(route)](const FakeRequest& r) {
    if (r.target == "/_ping") {
      return FakeReply{{k_ping}};
    }
    return route(r);
  };
}

Client connected(const FakeEngine& fake,
                 std::chrono::milliseconds call_timeout = std::chrono::seconds(20)) {
  ClientOptions options;
  options.endpoint = parse_docker_host(fake.host()).value();
  options.call_timeout = call_timeout;
  Client client(std::move(options));
  client.connect();
  return client;
}

/// Deterministic pseudo-random bytes.
std::string bytes(std::size_t n, unsigned seed = 1) {
  std::string out(n, '\0');
  unsigned x = seed;
  for (auto& c : out) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 16);
  }
  return out;
}

TEST(ClientHttp, NegotiatesFromThePingHeader) {
  for (auto [engine, expected] :
       {std::pair{"1.41", "1.41"}, std::pair{"1.99", "1.47"}, std::pair{"", "1.24"}}) {
    std::string header = std::string("API-Version: ") + engine;
    FakeEngine fake([&](const FakeRequest&) {
      return FakeReply{{FakeEngine::response(200, "OK", "text/plain", 0,
                                             engine[0] ? std::vector<std::string>{header}
                                                       : std::vector<std::string>{})}};
    });
    auto client = connected(fake);
    EXPECT_EQ(client.api_version(), expected) << "engine " << engine;
    EXPECT_EQ(fake.requests().at(0).target, "/_ping");
  }
}

TEST(ClientHttp, OverrideIsUsedInEveryPath) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    return FakeReply{{FakeEngine::response(200, R"({"Version":"99.0","ApiVersion":"1.41",
      "MinAPIVersion":"1.12","Os":"linux","Arch":"amd64","KernelVersion":"6.1"})")}};
  }));
  ClientOptions options;
  options.endpoint = parse_docker_host(fake.host()).value();
  options.api_version = "1.30";
  Client client(std::move(options));
  client.connect();
  EXPECT_EQ(client.api_version(), "1.30");
  auto v = client.version();
  EXPECT_EQ(v.version, "99.0");
  EXPECT_EQ(v.min_api_version, "1.12");
  EXPECT_EQ(v.kernel_version, "6.1");
  EXPECT_EQ(fake.requests().back().target, "/v1.30/version");
  EXPECT_EQ(fake.requests().back().headers.at("host"), "docker");
}

TEST(ClientHttp, ChunkedJsonSplitAcrossWrites) {
  std::string body = R"({"Id":"sha256:feed","RepoTags":["a:b"],"Config":{"Env":["X=1"]}})";
  std::string wire = FakeEngine::response(200, body, "application/json", 7);
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i < wire.size(); i += 5) {
    pieces.push_back(wire.substr(i, 5));
  }
  FakeEngine fake(with_ping([&](const FakeRequest&) {
    return FakeReply{pieces, std::chrono::milliseconds(1)};
  }));
  auto client = connected(fake);
  auto j = client.inspect_image("slim-fixture/base:bookworm");
  EXPECT_EQ(j.at("Id"), "sha256:feed");
  EXPECT_EQ(j.at("Config").at("Env").at(0), "X=1");
  EXPECT_EQ(fake.requests().back().target, "/v1.41/images/slim-fixture/base:bookworm/json");
}

TEST(ClientHttp, EngineErrorCarriesStatusAndMessage) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    return FakeReply{{FakeEngine::response(404, R"({"message":"No such image: nope:latest"})")}};
  }));
  auto client = connected(fake);
  try {
    client.inspect_image("nope:latest");
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_EQ(std::string(e.what()), "No such image: nope:latest");
  }
}

TEST(ClientHttp, ErrorWithChunkedPlainTextBody) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    return FakeReply{{FakeEngine::response(500, "driver failed\nstack...", "text/plain", 3)}};
  }));
  auto client = connected(fake);
  try {
    client.start_container("c1");
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 500);
    EXPECT_EQ(std::string(e.what()), "driver failed");
  }
}

TEST(ClientHttp, SaveStreamsALargeChunkedBody) {
  std::string tar = bytes(5'000'000, 7);
  FakeEngine fake(with_ping([&](const FakeRequest&) {
    return FakeReply{{FakeEngine::response(200, tar, "application/x-tar", 100'000)}};
  }));
  auto client = connected(fake);
  Sha256 hash;
  std::size_t total = 0;
  std::size_t calls = 0;
  client.save_images({"a:1", "b/c:2"}, [&](const char* d, std::size_t n) {
    hash.update(d, n);
    total += n;
    ++calls;
  });
  EXPECT_EQ(total, tar.size());
  EXPECT_EQ(hash.hex_digest(), sha256_hex(tar));
  EXPECT_GT(calls, 10u); // streamed in pieces, not one buffer
  EXPECT_EQ(fake.requests().back().target, "/v1.41/images/get?names=a%3A1&names=b%2Fc%3A2");
}

TEST(ClientHttp, LoadUploadsChunkedAndReportsTheId) {
  std::string archive = bytes(3'000'000, 3);
  FakeEngine fake(with_ping([](const FakeRequest&) {
    return FakeReply{{FakeEngine::response(
        200, "{\"stream\":\"Loaded image ID: sha256:0123\\n\"}\r\n", "application/json", 10)}};
  }));
  auto client = connected(fake);
  std::size_t offset = 0;
  std::size_t reads = 0;
  auto result = client.load_images([&](char* buf, std::size_t cap) {
    ++reads;
    std::size_t n = std::min(cap, archive.size() - offset);
    std::memcpy(buf, archive.data() + offset, n);
    offset += n;
    return n;
  });
  EXPECT_EQ(result.image_id, "sha256:0123");
  const auto req = fake.requests().back();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1.41/images/load?quiet=1");
  EXPECT_TRUE(req.chunked);
  EXPECT_GT(req.chunk_count, 10u);
  EXPECT_EQ(req.headers.at("content-type"), "application/x-tar");
  EXPECT_EQ(sha256_hex(req.body), sha256_hex(archive));
  EXPECT_GT(reads, 10u);
}

TEST(ClientHttp, LoadByNameAsksForTheId) {
  FakeEngine fake(with_ping([](const FakeRequest& r) {
    if (r.target.find("/images/load") != std::string::npos) {
      return FakeReply{{FakeEngine::response(200, "{\"stream\":\"Loaded image: app:1\\n\"}\n")}};
    }
    return FakeReply{{FakeEngine::response(200, R"({"Id":"sha256:beef"})")}};
  }));
  auto client = connected(fake);
  auto result = client.load_images([](char*, std::size_t) { return std::size_t{0}; });
  EXPECT_EQ(result.image_id, "sha256:beef");
  EXPECT_EQ(fake.requests().back().target, "/v1.41/images/app:1/json");
}

TEST(ClientHttp, LoadStreamErrorIsAnEngineError) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    return FakeReply{{FakeEngine::response(
        200, "{\"errorDetail\":{\"message\":\"archive/tar: invalid tar header\"}}\n")}};
  }));
  auto client = connected(fake);
  try {
    client.load_images([](char*, std::size_t) { return std::size_t{0}; });
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(std::string(e.what()), "archive/tar: invalid tar header");
  }
}

TEST(ClientHttp, EarlyAnswerDuringUploadIsReported) {
  // The engine refuses before reading the body and closes; the client must report the 404,
  // not a broken pipe, and must not read the whole (endless) source.
  FakeEngine fake(with_ping([](const FakeRequest&) {
    FakeReply reply{{FakeEngine::response(404, R"({"message":"No such container: gone"})")}};
    reply.read_body = false;
    return reply;
  }));
  auto client = connected(fake);
  std::size_t served = 0;
  try {
    client.put_archive("gone", "/", [&](char* buf, std::size_t cap) {
      std::memset(buf, 'x', cap);
      served += cap;
      if (served > (512u << 20)) {
        throw std::runtime_error("the client kept uploading");
      }
      return cap;
    });
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_EQ(std::string(e.what()), "No such container: gone");
  }
}

std::string hijack_101() {
  return "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
         "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
}

TEST(ClientHttp, ExecStartHijacked101) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    // The header and the first frame arrive in one write; a frame is split across writes.
    std::string f2 = FakeEngine::frame(2, "warn\n");
    return FakeReply{{hijack_101() + FakeEngine::frame(1, "hel"),
                      FakeEngine::frame(1, "lo\n") + f2.substr(0, 3), f2.substr(3),
                      FakeEngine::frame(1, "")},
                     std::chrono::milliseconds(5)};
  }));
  auto client = connected(fake);
  std::string out;
  std::string err;
  client.exec_start(
      "e1", [&](const char* d, std::size_t n) { out.append(d, n); },
      [&](const char* d, std::size_t n) { err.append(d, n); });
  EXPECT_EQ(out, "hello\n");
  EXPECT_EQ(err, "warn\n");
  const auto req = fake.requests().back();
  EXPECT_EQ(req.target, "/v1.41/exec/e1/start");
  EXPECT_EQ(req.headers.at("upgrade"), "tcp");
  EXPECT_EQ(req.headers.at("connection"), "Upgrade");
  EXPECT_EQ(nlohmann::json::parse(req.body).at("Detach"), false);
}

TEST(ClientHttp, ExecStartAnswered200WithoutUpgrade) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    return FakeReply{{"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n",
                      FakeEngine::frame(1, "out") + FakeEngine::frame(2, "err")}};
  }));
  auto client = connected(fake);
  std::string out;
  std::string err;
  client.exec_start(
      "e2", [&](const char* d, std::size_t n) { out.append(d, n); },
      [&](const char* d, std::size_t n) { err.append(d, n); });
  EXPECT_EQ(out, "out");
  EXPECT_EQ(err, "err");
}

TEST(ClientHttp, ExecStartWithStdinHalfCloses) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    FakeReply reply;
    reply.custom = [](int fd, const FakeRequest&) {
      std::string h = hijack_101();
      [[maybe_unused]] auto w = ::send(fd, h.data(), h.size(), MSG_NOSIGNAL);
      std::string in;
      char buf[4096];
      ssize_t n = 0;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) { // until the client half-closes
        in.append(buf, static_cast<std::size_t>(n));
      }
      std::string f = FakeEngine::frame(1, "got:" + in);
      w = ::send(fd, f.data(), f.size(), MSG_NOSIGNAL);
    };
    return reply;
  }));
  auto client = connected(fake);
  std::string out;
  test::FakeRequest seen;
  std::string input = "line one\nline two\n";
  std::size_t off = 0;
  client.exec_start(
      "e3", [&](const char* d, std::size_t n) { out.append(d, n); }, {},
      [&](char* buf, std::size_t cap) {
        std::size_t n = std::min<std::size_t>({cap, 5, input.size() - off});
        std::memcpy(buf, input.data() + off, n);
        off += n;
        return n;
      });
  EXPECT_EQ(out, "got:" + input);
}

TEST(ClientHttp, TruncatedExecStreamIsAnError) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    return FakeReply{{hijack_101() + FakeEngine::frame(1, "partial").substr(0, 11)}};
  }));
  auto client = connected(fake);
  EXPECT_THROW(client.exec_start("e4", {}, {}), EngineError);
}

TEST(ClientHttp, ExecCollectsOutputAndExitCode) {
  FakeEngine fake(with_ping([](const FakeRequest& r) {
    if (r.target.find("/containers/c9/exec") != std::string::npos) {
      return FakeReply{{FakeEngine::response(201, R"({"Id":"x1"})")}};
    }
    if (r.target.find("/exec/x1/start") != std::string::npos) {
      return FakeReply{{hijack_101() + FakeEngine::frame(1, "42\n") + FakeEngine::frame(2, "e")}};
    }
    return FakeReply{{FakeEngine::response(200, R"({"Running":false,"ExitCode":3})")}};
  }));
  auto client = connected(fake);
  ExecOptions options;
  options.env = {"A=1"};
  options.user = "nobody";
  auto r = client.exec("c9", {"sh", "-c", "echo 42"}, options);
  EXPECT_EQ(r.out, "42\n");
  EXPECT_EQ(r.err, "e");
  EXPECT_EQ(r.exit_code, 3);
  auto create = nlohmann::json::parse(fake.requests().at(1).body);
  EXPECT_EQ(create.at("Cmd").at(2), "echo 42");
  EXPECT_EQ(create.at("Env").at(0), "A=1");
  EXPECT_EQ(create.at("User"), "nobody");
  EXPECT_EQ(create.at("AttachStdout"), true);
}

TEST(ClientHttp, LogsDemuxUnlessTty) {
  for (bool tty : {false, true}) {
    FakeEngine fake(with_ping([tty](const FakeRequest& r) {
      if (r.target.find("/logs") != std::string::npos) {
        std::string body = tty ? std::string("raw tty text")
                               : FakeEngine::frame(1, "o1") + FakeEngine::frame(2, "e1");
        return FakeReply{{FakeEngine::response(200, body, "application/octet-stream", 4)}};
      }
      nlohmann::json inspect = {{"Config", {{"Tty", tty}}}};
      return FakeReply{{FakeEngine::response(200, inspect.dump())}};
    }));
    auto client = connected(fake);
    std::string out;
    std::string err;
    client.logs(
        "c1", [&](const char* d, std::size_t n) { out.append(d, n); },
        [&](const char* d, std::size_t n) { err.append(d, n); }, false, 10);
    EXPECT_EQ(out, tty ? "raw tty text" : "o1");
    EXPECT_EQ(err, tty ? "" : "e1");
    EXPECT_EQ(fake.requests().back().target,
              "/v1.41/containers/c1/logs?stdout=1&stderr=1&follow=0&tail=10");
  }
}

TEST(ClientHttp, RemoveMissingContainerIsFine) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    return FakeReply{{FakeEngine::response(404, R"({"message":"No such container: c"})")}};
  }));
  auto client = connected(fake);
  EXPECT_NO_THROW(client.remove_container("c"));
  EXPECT_EQ(fake.requests().back().method, "DELETE");
  EXPECT_EQ(fake.requests().back().target, "/v1.41/containers/c?v=1&force=1");
}

TEST(ClientHttp, CreateSendsJsonAndReturnsTheId) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    return FakeReply{{FakeEngine::response(201, R"({"Id":"abc","Warnings":["w"]})")}};
  }));
  auto client = connected(fake);
  nlohmann::json body = {{"Image", "x"}, {"Labels", {{"io.slim.owner", "test"}}}};
  EXPECT_EQ(client.create_container(body, "my name"), "abc");
  const auto req = fake.requests().back();
  EXPECT_EQ(req.target, "/v1.41/containers/create?name=my%20name");
  EXPECT_EQ(req.headers.at("content-type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(req.body), body);
}

TEST(ClientHttp, WaitReturnsTheStatusCode) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    // Like the engine: the header first, the JSON when the container exits.
    std::string wire =
        FakeEngine::response(200, R"({"StatusCode":7,"Error":null})", "application/json", 64);
    auto split = wire.find("\r\n\r\n") + 4;
    return FakeReply{{wire.substr(0, split), wire.substr(split)}, std::chrono::milliseconds(50)};
  }));
  auto client = connected(fake);
  EXPECT_EQ(client.wait_container("c", std::chrono::seconds(5)), 7);
  EXPECT_EQ(fake.requests().back().target, "/v1.41/containers/c/wait?condition=not-running");
}

TEST(ClientHttp, CallTimeoutEndsAHungCall) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    FakeReply reply;
    reply.hang = true;
    return reply;
  }));
  auto client = connected(fake, std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  try {
    client.inspect_container("c");
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 0);
    EXPECT_NE(std::string(e.what()).find("did not finish `GET /v1.41/containers/c/json` in time"),
              std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(ClientHttp, WaitTimeoutSaysWhichContainer) {
  FakeEngine fake(with_ping([](const FakeRequest&) {
    FakeReply reply;
    reply.hang = true;
    return reply;
  }));
  auto client = connected(fake);
  try {
    client.wait_container("c7", std::chrono::milliseconds(200));
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(std::string(e.what()), "container `c7` did not exit within 1 s");
  }
}

TEST(ClientHttp, UnreachableSocketIsOneClearLine) {
  ClientOptions options;
  options.endpoint = parse_docker_host("unix:///nonexistent/docker.sock").value();
  Client client(std::move(options));
  try {
    client.connect();
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 0);
    EXPECT_EQ(std::string(e.what()),
              "cannot reach the Docker engine at `unix:///nonexistent/docker.sock`: No such file "
              "or directory (is dockerd running? set DOCKER_HOST or --host)");
  }
}

TEST(ClientHttpDeathTest, CancellationInterruptsAWait) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // Cancellation is process-wide and final, so it runs in a child process.
  EXPECT_EXIT(
      {
        FakeEngine fake(with_ping([](const FakeRequest&) {
          FakeReply reply;
          reply.hang = true;
          return reply;
        }));
        auto client = connected(fake);
        std::thread canceller([] {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          cancel::request();
        });
        auto start = std::chrono::steady_clock::now();
        int code = 1;
        try {
          client.inspect_container("c");
        } catch (const Cancelled&) {
          code = std::chrono::steady_clock::now() - start < std::chrono::seconds(5) ? 42 : 2;
        } catch (...) {
          code = 3;
        }
        canceller.join();
        std::_Exit(code);
      },
      ::testing::ExitedWithCode(42), "");
}

} // namespace
} // namespace slim::engine
