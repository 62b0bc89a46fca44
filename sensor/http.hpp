#pragma once
// Pure HTTP/1.1 pieces of `sensor probe`: URL parsing, the request bytes, an incremental
// response parser (Content-Length, chunked, or until close) and the one-line JSON result.

#include "slim/util/error.hpp"

#include <cstddef>
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
  /// The decoded body (chunked encoding removed).
  const std::string& body() const noexcept { return m_body; }
  /// A header's value by case-insensitive name (first occurrence).
  std::optional<std::string> header(std::string_view name) const;
  /// What went wrong, after feed() or finish() returned false.
  const std::string& error() const noexcept { return m_error; }

private:
  bool parse_head();
  bool parse_chunks();
  bool m_head;
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
  std::optional<int> status; ///< set when a response came
  std::size_t size = 0;      ///< body bytes
  std::string sha256;        ///< hex of the body
  double time_ms = 0;        ///< request sent to response complete (last attempt)
  std::string error;         ///< set when no response came
};

/// The result as one JSON line (no trailing newline).
std::string probe_result_json(const ProbeResult& result);

} // namespace slim::sensor
