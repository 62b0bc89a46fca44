#pragma once
// A tiny HTTP/1.1 server on a Unix socket in a temp dir, serving canned answers from one
// thread, for testing the engine client without a daemon. It reads each request (Content-Length
// or chunked body), records it, and answers with what the route returns.

#include "slim/util/temp_dir.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace slim::test {

/// One request as the server received it (body de-chunked).
struct FakeRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers; ///< names in lowercase
  std::string body;
  bool chunked = false;        ///< the body came with Transfer-Encoding: chunked
  std::size_t chunk_count = 0; ///< how many chunks it came in
};

/// What the server does with one request.
struct FakeReply {
  std::vector<std::string> pieces;  ///< raw bytes, written one piece per write()
  std::chrono::milliseconds gap{0}; ///< pause between pieces
  bool read_body = true;            ///< false: answer without reading the body
  bool hang = false;                ///< never answer (until the client goes away)
  std::function<void(int fd, const FakeRequest&)> custom; ///< else: talk on the socket yourself
};

using FakeRoute = std::function<FakeReply(const FakeRequest& request_head)>;

class FakeEngine {
public:
  explicit FakeEngine(FakeRoute route);
  ~FakeEngine();
  FakeEngine(const FakeEngine&) = delete;
  FakeEngine& operator=(const FakeEngine&) = delete;

  /// "unix:///tmp/.../docker.sock"
  std::string host() const { return "unix://" + m_socket; }
  /// Every request served so far.
  std::vector<FakeRequest> requests() const;

  /// A complete response with Content-Length (or chunked in `chunk` sized pieces when chunk > 0).
  static std::string response(int status, const std::string& body,
                              const std::string& content_type = "application/json",
                              std::size_t chunk = 0,
                              const std::vector<std::string>& extra_headers = {});
  /// One multiplexed-stream frame.
  static std::string frame(int stream, const std::string& payload);

private:
  void serve();
  void handle(int fd);

  TempDir m_dir;
  std::string m_socket;
  FakeRoute m_route;
  int m_listen = -1;
  int m_stop[2] = {-1, -1};
  mutable std::mutex m_mutex;
  std::vector<FakeRequest> m_requests;
  std::thread m_thread;
};

} // namespace slim::test
