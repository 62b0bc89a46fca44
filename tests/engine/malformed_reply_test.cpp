// The engine client against replies a broken or hostile engine could send: cut-off bodies,
// bad framing, invalid JSON or JSON of the wrong shape, oversized headers, silence. Each must
// end in one slim::Error (an EngineError) quickly: no hang, no crash, no foreign exception.
#include "slim/engine/client.hpp"
#include "slim/image/engine_io.hpp"
#include "slim/util/temp_dir.hpp"
#include "support/fake_engine.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <typeinfo>

namespace slim::engine {
namespace {

using test::FakeEngine;
using test::FakeReply;
using test::FakeRequest;
using namespace std::chrono_literals;

const std::string k_ping = FakeEngine::response(200, "OK", "text/plain", 0, {"API-Version: 1.41"});

/// A fake engine that answers /_ping and sends `reply` to every other request.
test::FakeRoute answering(FakeReply reply) {
  return [reply = std::move(reply)](const FakeRequest& r) {
    if (r.target == "/_ping") {
      return FakeReply{{k_ping}};
    }
    return reply;
  };
}

FakeReply pieces(std::vector<std::string> p) {
  FakeReply r;
  r.pieces = std::move(p);
  return r;
}

Client connected(const FakeEngine& fake, std::chrono::milliseconds call_timeout = 5s) {
  ClientOptions options;
  options.endpoint = parse_docker_host(fake.host()).value();
  options.call_timeout = call_timeout;
  Client client(std::move(options));
  client.connect();
  return client;
}

/// Runs `call`, which must throw an EngineError within `within`; returns its message.
template <typename F> std::string engine_error_of(F&& call, std::chrono::milliseconds within = 4s) {
  auto start = std::chrono::steady_clock::now();
  std::string message;
  try {
    call();
    ADD_FAILURE() << "no error";
  } catch (const EngineError& e) {
    message = e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an EngineError: " << typeid(e).name() << ": " << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, within);
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  return message;
}

const std::string k_head_json = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";

TEST(MalformedReply, TruncatedJsonNamesTheCall) {
  std::string body = R"({"Id":"sha256:fe)";
  FakeEngine fake(answering(pieces({FakeEngine::response(200, body)})));
  auto client = connected(fake);
  auto msg = engine_error_of([&] { client.inspect_image("app:1"); });
  EXPECT_NE(msg.find("is not JSON"), std::string::npos) << msg;
  EXPECT_NE(msg.find("GET /v1.41/images/app:1/json"), std::string::npos) << msg;
}

TEST(MalformedReply, HtmlWithWrongContentType) {
  FakeEngine fake(answering(
      pieces({FakeEngine::response(200, "<html><body>proxy says hi</body></html>", "text/html")})));
  auto client = connected(fake);
  auto msg = engine_error_of([&] { client.inspect_container("c1"); });
  EXPECT_NE(msg.find("is not JSON"), std::string::npos) << msg;
}

TEST(MalformedReply, JsonOfTheWrongShapeIsAnEngineError) {
  // Valid JSON, but not what the call expects: the typed calls must not leak nlohmann errors.
  for (std::string body : {"[]", "null", R"({"Id":42})", R"("text")"}) {
    FakeEngine fake(answering(pieces({FakeEngine::response(201, body)})));
    auto client = connected(fake);
    engine_error_of([&] { client.create_container({{"Image", "x"}}); });
    engine_error_of([&] { client.exec_create("c", {"true"}); });
  }
  for (std::string body : {R"({"StatusCode":"zero"})", "[1]", R"({"Error":{"Message":7}})"}) {
    FakeEngine fake(answering(pieces({FakeEngine::response(200, body)})));
    auto client = connected(fake);
    engine_error_of([&] { client.wait_container("c", 2s); });
  }
  for (std::string body : {R"({"Version":1})", "[]"}) {
    FakeEngine fake(answering(pieces({FakeEngine::response(200, body)})));
    auto client = connected(fake);
    engine_error_of([&] { client.version(); });
  }
  for (std::string body : {R"({"x":1})", R"([1,"a",{"Id":3}])"}) {
    FakeEngine fake(answering(pieces({FakeEngine::response(200, body)})));
    auto client = connected(fake);
    engine_error_of([&] { client.list_containers("io.slim.owner=test"); });
  }
}

TEST(MalformedReply, LoadStreamOfTheWrongShape) {
  for (std::string body : {"{\"errorDetail\":{\"message\":5}}\n", "{\"stream\":[1]}\n",
                           "[\"Loaded image ID: sha256:1\"]\n", "\x01\x02\n"}) {
    FakeEngine fake(answering(pieces({FakeEngine::response(200, body)})));
    auto client = connected(fake);
    auto msg = engine_error_of([&] { client.load_images([](char*, std::size_t) { return 0ul; }); });
    EXPECT_NE(msg.find("reported no image"), std::string::npos) << msg;
  }
}

TEST(MalformedReply, BodyShorterThanContentLength) {
  std::string wire = k_head_json + "Content-Length: 100\r\n\r\n{\"Id\":\"abc\"}";
  FakeEngine fake(answering(pieces({wire})));
  auto client = connected(fake);
  engine_error_of([&] { client.inspect_image("x"); });
}

TEST(MalformedReply, BadChunkedEncoding) {
  for (std::string body : {"zz\r\n{}\r\n0\r\n\r\n",        // size not hex
                           "5\r\n{\"a\":1}\r\n0\r\n\r\n",  // chunk longer than its size
                           "ffffffffffffffffff\r\n{}\r\n", // size overflows
                           "2\r\n{}\r\n"}) {               // no last chunk, then EOF
    std::string wire = k_head_json + "Transfer-Encoding: chunked\r\n\r\n" + body;
    FakeEngine fake(answering(pieces({wire})));
    auto client = connected(fake);
    engine_error_of([&] { client.inspect_image("x"); });
  }
}

TEST(MalformedReply, ExportCutOffMidStream) {
  // GET /images/get closed in the middle of the archive: chunked and with a Content-Length.
  std::string data(300'000, 'x');
  std::string chunked = FakeEngine::response(200, data, "application/x-tar", 64 * 1024);
  std::string sized = FakeEngine::response(200, data, "application/x-tar");
  for (const std::string& wire : {chunked, sized}) {
    FakeEngine fake(answering(pieces({wire.substr(0, wire.size() / 2)})));
    auto client = connected(fake);
    std::size_t got = 0;
    auto msg = engine_error_of(
        [&] { client.save_images({"a:1"}, [&](const char*, std::size_t n) { got += n; }); });
    EXPECT_LT(got, data.size());
  }
}

TEST(MalformedReply, ExportRefusedByTheEngineNamesTheImage) {
  FakeEngine fake(answering(pieces({FakeEngine::response(
      500, R"({"message":"open /var/lib/docker/x: no such file or directory"})")})));
  auto client = connected(fake);
  TempDir work("malformed");
  auto msg = engine_error_of([&] { image::export_image(client, "app:1", work.path()); });
  EXPECT_EQ(msg, "the engine could not export `app:1`: open /var/lib/docker/x: no such file or "
                 "directory");
  // A cut-off export is a transport error and keeps its own message.
  std::string wire = FakeEngine::response(200, std::string(10'000, 'x'), "application/x-tar");
  FakeEngine cut(answering(pieces({wire.substr(0, 5'000)})));
  auto client2 = connected(cut);
  msg = engine_error_of([&] { image::export_image(client2, "app:1", work.path()); });
  EXPECT_EQ(msg.find("could not export"), std::string::npos) << msg;
}

TEST(MalformedReply, LogsCutOffMidFrame) {
  // The HTTP body is complete, but the multiplexed stream inside it stops inside a frame.
  std::string frame = FakeEngine::frame(1, "hello world");
  for (const std::string& body : {frame.substr(0, 5), frame.substr(0, 12)}) {
    FakeEngine fake([&](const FakeRequest& r) {
      if (r.target == "/_ping") {
        return FakeReply{{k_ping}};
      }
      if (r.target.find("/logs") != std::string::npos) {
        return FakeReply{{FakeEngine::response(200, body, "application/octet-stream")}};
      }
      return FakeReply{{FakeEngine::response(200, R"({"Config":{"Tty":false}})")}};
    });
    auto client = connected(fake);
    auto msg = engine_error_of([&] { client.logs("c1", {}, {}, false, 10); });
    EXPECT_NE(msg.find("multiplexed stream ended"), std::string::npos) << msg;
  }
}

TEST(MalformedReply, AttachConnectionClosedMidFrame) {
  std::string head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                     "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
  FakeEngine fake(answering(pieces(
      {head + FakeEngine::frame(1, "complete"), FakeEngine::frame(2, "cut short").substr(0, 10)})));
  auto client = connected(fake);
  std::string out;
  engine_error_of([&] {
    client.exec_start("e1", [&](const char* d, std::size_t n) { out.append(d, n); }, {});
  });
  EXPECT_EQ(out, "complete");
}

TEST(MalformedReply, InvalidMuxFrameHeader) {
  std::string head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                     "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
  std::string bad_stream = std::string("\x09\0\0\0\0\0\0\x01", 8) + "x";
  std::string bad_padding = std::string("\x01\0\x07\0\0\0\0\x01", 8) + "x";
  for (const std::string& frame : {bad_stream, bad_padding}) {
    FakeEngine fake(answering(pieces({head + frame})));
    auto client = connected(fake);
    auto msg = engine_error_of([&] { client.exec_start("e1", {}, {}); });
    EXPECT_NE(msg.find("malformed multiplexed stream"), std::string::npos) << msg;
  }
}

TEST(MalformedReply, HugeFrameLengthDoesNotAllocate) {
  // A frame that claims 4 GiB and then the connection ends: an error, not a 4 GiB buffer.
  std::string body = std::string("\x01\0\0\0\xff\xff\xff\xff", 8) + "abc";
  FakeEngine fake([&](const FakeRequest& r) {
    if (r.target == "/_ping") {
      return FakeReply{{k_ping}};
    }
    if (r.target.find("/logs") != std::string::npos) {
      return FakeReply{{FakeEngine::response(200, body, "application/octet-stream")}};
    }
    return FakeReply{{FakeEngine::response(200, R"({"Config":{"Tty":false}})")}};
  });
  auto client = connected(fake);
  std::string out;
  engine_error_of([&] {
    client.logs(
        "c1", [&](const char* d, std::size_t n) { out.append(d, n); }, {}, false, 10);
  });
  EXPECT_EQ(out, "abc");
}

TEST(MalformedReply, HugeHeaderIsRefused) {
  std::string big(200 * 1024, 'a');
  std::string one_line = k_head_json + "X-Big: " + big + "\r\nContent-Length: 2\r\n\r\n{}";
  std::string many_lines = k_head_json;
  for (int i = 0; i < 20'000; ++i) {
    many_lines += "X-" + std::to_string(i) + ": v\r\n";
  }
  many_lines += "Content-Length: 2\r\n\r\n{}";
  for (const std::string& wire : {one_line, many_lines}) {
    FakeEngine fake(answering(pieces({wire})));
    auto client = connected(fake);
    engine_error_of([&] { client.inspect_image("x"); });
  }
}

TEST(MalformedReply, GarbageStatusLine) {
  for (std::string wire :
       {std::string("SSH-2.0-OpenSSH_9.2\r\n"), std::string("HTTP/1.1 abc\r\n\r\n"),
        std::string("\0\0\0\0\0\0\0\0", 8), std::string()}) {
    FakeEngine fake(answering(pieces({wire})));
    auto client = connected(fake);
    engine_error_of([&] { client.inspect_image("x"); });
  }
}

TEST(MalformedReply, NonJsonErrorBodyKeepsTheStatus) {
  FakeEngine fake(answering(pieces({FakeEngine::response(
      502, "<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>",
      "text/html")})));
  auto client = connected(fake);
  try {
    client.inspect_image("x");
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 502);
    std::string msg = e.what();
    EXPECT_FALSE(msg.empty());
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(MalformedReply, ServerErrorWithEmptyBody) {
  for (const std::string& wire :
       {FakeEngine::response(500, "", "application/json"),
        std::string("HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n")}) {
    FakeEngine fake(answering(pieces({wire})));
    auto client = connected(fake);
    try {
      client.start_container("c1");
      FAIL() << "no error";
    } catch (const EngineError& e) {
      EXPECT_EQ(e.status(), 500);
      EXPECT_NE(std::string(e.what()).find("500"), std::string::npos) << e.what();
    }
  }
}

TEST(MalformedReply, ReplyThatNeverComes) {
  FakeReply silent;
  silent.hang = true;
  FakeEngine fake(answering(silent));
  auto client = connected(fake, 300ms);
  auto msg = engine_error_of([&] { client.inspect_image("x"); }, 3s);
  EXPECT_NE(msg.find("in time"), std::string::npos) << msg;
}

TEST(MalformedReply, StreamThatStopsMidwayTimesOut) {
  // The header and some of the archive arrive, then nothing: the call's deadline ends it.
  std::string wire = FakeEngine::response(200, std::string(100'000, 'x'), "application/x-tar");
  FakeReply reply;
  reply.custom = [wire](int fd, const FakeRequest&) {
    [[maybe_unused]] auto w = ::send(fd, wire.data(), 50'000, MSG_NOSIGNAL);
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 10'000); // until the client gives up and closes
  };
  FakeEngine fake(answering(reply));
  auto client = connected(fake, 500ms);
  std::size_t got = 0;
  auto msg = engine_error_of(
      [&] { client.save_images({"a:1"}, [&](const char*, std::size_t n) { got += n; }); }, 4s);
  EXPECT_NE(msg.find("in time"), std::string::npos) << msg;
  EXPECT_LT(got, 100'000u);
}

} // namespace
} // namespace slim::engine
