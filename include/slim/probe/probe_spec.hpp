#pragma once
// HTTP probe specifications from the command line and from a probe file.
//
// --http-probe-cmd takes one of:
//   /path                      GET /path
//   METHOD /path [BODY]        e.g. `POST /api {"a":1}`: everything after the second space
//                              is the body, sent as is
//   [PROTO:]METHOD:/path       DockerSlim's form, e.g. `GET:/health`, `https:POST:/login`
//   crawl:FORM                 any of the above (DockerSlim's `crawl:http:GET:/`, and
//                              `crawl:/`, `crawl:GET:/`): also follow the links of the answer
//                              (same origin, breadth first: probe/crawl.hpp)
// METHOD is a token (letters, digits, `-`, `_`), upper-cased; PROTO is `http` or `https`
// (unset: the exercise tries http, then https); /path must start with `/` and has no spaces
// or control characters.
//
// --http-probe-cmd-file takes DockerSlim's JSON:
//   {"commands":[{"protocol":"http","method":"POST","resource":"/api","port":8080,
//                 "headers":["Content-Type: application/json"],"body":"{}"}]}
// where every field but `resource` is optional; `"crawl": true` is the `crawl:` prefix.
//
// --http-probe-ports takes `80,8080` (`80/tcp` is accepted too).

#include "slim/probe/probe.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::probe {

/// One probe as the user described it; unset port/protocol are filled in by the exercise.
struct ProbeSpec {
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::string> headers; ///< "Name: value"
  std::string body;
  std::optional<int> port;
  std::optional<std::string> protocol; ///< "http" | "https"
  bool crawl = false;                  ///< follow the links of the answer (`crawl:`)
  bool operator==(const ProbeSpec&) const = default;
};

/// Parses one --http-probe-cmd value; throws slim::Error saying what is wrong with it.
ProbeSpec parse_probe_cmd(std::string_view text);

/// Parses the JSON of an --http-probe-cmd-file (at most 1 MiB, 1000 commands); throws
/// slim::Error naming the command and field that is wrong.
std::vector<ProbeSpec> parse_probe_cmd_file(std::string_view json);

/// Parses an --http-probe-ports list ("80,8080", "443/tcp"); throws slim::Error on a bad port.
std::vector<int> parse_probe_ports(std::string_view text);

/// The request for the sidecar: port 0 when the spec has none (the exercise then probes
/// every port), protocol "http" when unset, `crawl` as the spec says.
ProbeRequest to_probe_request(const ProbeSpec& spec);

} // namespace slim::probe
