#pragma once
// Pure HTTP/1.1 pieces of `sensor probe`: URL parsing, the request bytes, an incremental
// response parser (Content-Length, chunked, or until close) and the one-line JSON result.

#include "slim/util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::sensor {

/// A parsed http:// or https:// URL.
struct Url {
  bool https = false;
  std::string host;   ///< without brackets for IPv6
  std::string port;   ///< explicit or the scheme's default
  std::string target; ///< path and query, at least "/"
  bool default_port = true;
};

/// Parses `text`; the error says what is wrong.
Result<Url> parse_url(std::string_view text);

/// The request bytes: request line, Host, User-Agent, Accept, Connection: close, the user's
/// headers (which replace defaults of the same name), Content-Length when a body is given.
std::string build_request(const Url& url, const std::string& method,
                          const std::vector<std::string>& headers,
                          const std::optional<std::string>& body);

/// Feeds response bytes as they arrive; knows when the response is complete.
class ResponseParser {
public:
  /// `head_request`: the response has no body whatever its headers say.
  explicit ResponseParser(bool head_request = false) : m_head(head_request) {}
  /// Consumes bytes; returns false on a protocol error (see error()).
  bool feed(std::string_view data);
  /// The peer closed the connection; returns true when that completes the response.
  bool finish();
  /// The whole response (status, headers, body) has arrived.
  bool complete() const noexcept { return m_complete; }
  /// Status code (0 until the status line arrived).
  int status() const noexcept { return m_status; }
  /// The decoded body (chunked encoding removed); its first `keep` bytes with keep_body().
  const std::string& body() const noexcept { return m_body; }
  /// Every body byte that came (also those body() did not keep).
  std::uint64_t body_size() const noexcept { return m_body_size; }
  /// Keeps only the first `keep` bytes in body() and hands every body byte to `sink` (a hash);
  /// call before feeding.
  void keep_body(std::size_t keep, std::function<void(std::string_view)> sink);
  /// A header's value by case-insensitive name (first occurrence).
  std::optional<std::string> header(std::string_view name) const;
  /// What went wrong, after feed() or finish() returned false.
  const std::string& error() const noexcept { return m_error; }

private:
  bool parse_head();
  bool parse_chunks();
  void add_body(std::string_view bytes);
  bool m_head;
  std::size_t m_keep = SIZE_MAX;
  std::uint64_t m_body_size = 0;
  std::function<void(std::string_view)> m_sink;
  std::string m_buffer;
  std::string m_body;
  std::vector<std::pair<std::string, std::string>> m_headers;
  int m_status = 0;
  bool m_have_head = false;
  bool m_chunked = false;
  bool m_last_chunk = false;
  std::optional<std::size_t> m_length;
  bool m_complete = false;
  std::string m_error;
};

/// The outcome of one probe.
struct ProbeResult {
  std::string url;
  std::string method;
  bool connected = false;      ///< a TCP connection was made
  std::optional<int> status;   ///< set when a response came
  std::uint64_t size = 0;      ///< body bytes
  std::string sha256;          ///< hex of the body
  double time_ms = 0;          ///< request sent to response complete (last attempt)
  std::string content_type;    ///< the response's Content-Type
  std::string location;        ///< the response's Location
  std::string body;            ///< the body's first bytes (batch mode only)
  bool body_truncated = false; ///< `body` is shorter than the body
  std::string error;           ///< set when no response came (or, for TCP, no connection)
};

/// The result as one JSON line (no trailing newline): the single-probe form.
std::string probe_result_json(const ProbeResult& result);

/// The result as one line of a batch's result file: `i` (the request's index), `connected`,
/// the response fields with `content_type`, `location`, `body_b64`, `body_truncated`, or `error`.
std::string batch_result_json(std::size_t index, const ProbeResult& result);

/// One request of a batch (`sensor probe --batch IN OUT`).
struct BatchRequest {
  std::string url; ///< http://, https:// or tcp://HOST:PORT (connect only)
  std::string method = "GET";
  std::vector<std::string> headers;
  std::optional<std::string> data;
  bool tcp = false;
  int retries = 0; ///< connection attempts beyond the first
};

/// A whole batch file.
struct Batch {
  double timeout = 10;
  double retry_delay = 0.5;
  std::size_t max_body = 1u << 20;   ///< body bytes kept per answer
  std::size_t max_total = 32u << 20; ///< body bytes kept over the batch
  std::vector<BatchRequest> requests;
};

/// Parses a batch file (format in sensor/README.md: `slim-probe-batch 1`, `settings`, then
/// `request`/`header`/`data` lines with %25 %0A %0D escapes); at most 100,000 requests.
Result<Batch> parse_batch(std::string_view text);

/// Base64 of `bytes` (with padding), for bodies in the result lines.
std::string base64(std::string_view bytes);

} // namespace slim::sensor
