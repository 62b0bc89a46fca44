#pragma once
// Private to src/engine: one HTTP/1.1 exchange with the engine over a Unix socket, TCP or TLS.
// The implementation (transport.cpp) is the only file that includes Boost.Asio/Beast. Every
// wait has the call's deadline and watches slim::cancel::fd().

#include "slim/engine/client.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace slim::engine::detail {

using Clock = std::chrono::steady_clock;

/// The call's deadline passed while waiting for the engine (an EngineError with status 0).
class TimeoutError : public EngineError {
public:
  explicit TimeoutError(std::string message) : EngineError(0, std::move(message)) {}
};

struct HttpRequest {
  std::string method = "GET";
  std::string target;                                       ///< "/v1.41/containers/json?all=1"
  std::vector<std::pair<std::string, std::string>> headers; ///< extra headers
  std::string body;                                         ///< sent with Content-Length
  const ByteSource* source = nullptr;                       ///< else: streamed, chunked
  bool upgrade = false;                                     ///< ask to hijack (Upgrade: tcp)
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers; ///< names in lowercase
  bool raw = false; ///< the connection was hijacked: the body is a raw stream until EOF
  /// A header's value, or "" when absent.
  std::string header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// One connection, used for one request (we send Connection: close).
class Connection {
public:
  virtual ~Connection() = default;
  /// Sends the request (streaming `source` when set) and reads the response header. An answer
  /// the engine sends before it has read the whole upload is still returned.
  virtual HttpResponse send(const HttpRequest& request) = 0;
  /// Reads the rest of the body (chunked, Content-Length, until EOF, or the hijacked stream)
  /// into `sink`.
  virtual void read_body(const ByteSink& sink) = 0;
  /// For a hijacked connection: sends everything from `in` (then half-closes where the
  /// transport allows) while reading the stream into `sink`.
  virtual void duplex(const ByteSource& in, const ByteSink& sink) = 0;
  /// Changes the deadline for the remaining waits.
  virtual void set_deadline(Clock::time_point deadline) = 0;
};

/// Opens a connection to `endpoint` within `connect_timeout` (TLS handshake included); all
/// later waits end at `deadline`. Throws EngineError(0, unreachable_message(...)) on failure.
std::unique_ptr<Connection> open_connection(const Endpoint& endpoint,
                                            std::chrono::milliseconds connect_timeout,
                                            Clock::time_point deadline);

/// Reads a body fully into a string, refusing more than `limit` bytes.
std::string read_body_string(Connection& connection, std::size_t limit = 64u << 20);

} // namespace slim::engine::detail
