#pragma once
// The probes the sidecar sends to the app, and what came back. Pure data and (de)serialisation
// of the batch files the sidecar reads and writes (`sensor probe --batch IN OUT`).

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::probe {

/// Where a probe came from.
enum class ProbeSource {
  user,      ///< --http-probe-cmd / --http-probe-cmd-file
  automatic, ///< the default `GET /` of an exposed port
  crawl,     ///< a link the crawler found (found_on names the page)
};

/// One request to send to the app (or, with protocol "tcp", only a TCP connection).
struct ProbeRequest {
  std::string method = "GET";
  std::string path = "/"; ///< path and query, starts with `/`
  int port = 80;
  std::string protocol = "http"; ///< http | https | tcp (connect only: the port is not HTTP)
  std::vector<std::string> headers;
  std::string body;
  ProbeSource source = ProbeSource::user;
  bool crawl = false;   ///< follow the links of this probe's answer (when crawling is on)
  int depth = 0;        ///< crawl depth: 0 for the probes the crawl starts from
  std::string found_on; ///< for crawled probes: the URL whose answer linked here
  /// The URL as the sidecar sees the app (loopback of the shared network namespace);
  /// `tcp://127.0.0.1:PORT` for TCP probes.
  std::string url() const;
  /// "GET http://127.0.0.1:80/" for messages ("connect tcp://127.0.0.1:6379" for TCP probes).
  std::string describe() const;
};

/// What one probe got back.
struct ProbeOutcome {
  ProbeRequest request;
  bool connected = false;    ///< a TCP connection was made (also when no HTTP answer came)
  std::optional<int> status; ///< HTTP status when a response came
  std::int64_t size = 0;     ///< body bytes (all of them, also when `body` is cut)
  std::string sha256;        ///< of the whole body
  double time_ms = 0;
  std::string content_type;    ///< the answer's Content-Type ("" when none)
  std::string location;        ///< the answer's Location ("" when none)
  std::string body;            ///< the body's first bytes (at most the batch's max_body)
  bool body_truncated = false; ///< `body` holds only the first bytes of a longer body
  std::string error;           ///< why no (HTTP) answer came
  /// An answer came: an HTTP status, or for TCP probes a connection.
  bool ok() const noexcept { return request.protocol == "tcp" ? connected : status.has_value(); }
};

/// Limits of one batch, sent to the sidecar with the requests.
struct BatchSettings {
  int first_retries = 60;            ///< connection attempts for the first request of each port
  int retries = 2;                   ///< for the other requests
  double retry_delay = 0.5;          ///< seconds between attempts
  double timeout = 10;               ///< seconds per connect and per read
  std::size_t max_body = 1u << 20;   ///< body bytes kept per answer (hash and size cover all)
  std::size_t max_total = 32u << 20; ///< body bytes kept over the whole batch
};

/// The batch file the sidecar reads (lines, since the static sensor has no JSON parser; format in
/// sensor/README.md, `probe --batch`); the first request of each port gets `first_retries`.
std::string batch_request_text(const std::vector<ProbeRequest>& requests,
                               const BatchSettings& settings);

/// Parses the sidecar's result file (one JSON object per line, `i` its request's index) for
/// `requests`. Results are untrusted bytes: anything missing or malformed becomes an error outcome,
/// never an exception; extra results are ignored.
std::vector<ProbeOutcome> parse_batch_results(const std::vector<ProbeRequest>& requests,
                                              std::string_view json);

/// Parses the sensor's single-probe output line for `request` (`sensor probe URL`); malformed
/// output becomes an error outcome, never an exception.
ProbeOutcome parse_probe_line(const ProbeRequest& request, const std::string& output);

/// The outcome as the report shows it ({"method","url","source",["found_on"],"status","size",
/// "sha256","time_ms",["content_type"]} or {"method","url","source","error"}); no body.
nlohmann::json to_json(const ProbeOutcome& p);

/// "user", "default" (for automatic), "crawl".
const char* to_string(ProbeSource source);

} // namespace slim::probe
