// Fuzz target: the sensor's probe HTTP response parser (the app's answers) and its URL parser.
// The first byte picks the piece size and whether the request was HEAD; the response is parsed
// once whole and once fed in pieces. Checks: both ways agree (status, completeness, body,
// failure), the body is never longer than the input.
#include "sensor/http.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_sensor_http: invariant broken: %s\n", what);
    std::abort();
  }
}

struct Outcome {
  bool ok = true;
  bool complete = false;
  int status = 0;
  std::string body;
};

// Feeds `input` in pieces of `piece` bytes, then reports the end of the connection, as the
// probe does.
Outcome parse(std::string_view input, std::size_t piece, bool head) {
  slim::sensor::ResponseParser parser(head);
  Outcome out;
  while (!input.empty() && out.ok) {
    std::size_t n = std::min(piece, input.size());
    out.ok = parser.feed(input.substr(0, n));
    input.remove_prefix(n);
  }
  if (out.ok) {
    out.ok = parser.finish();
  }
  check(out.ok || !parser.error().empty(), "a failure has a reason");
  out.complete = parser.complete();
  out.status = parser.status();
  out.body = parser.body();
  (void)parser.header("Content-Type");
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  bool head = (data[0] & 0x80) != 0;
  std::size_t piece = (data[0] & 0x7f) == 0 ? size : (data[0] & 0x7f);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  Outcome whole = parse(input, input.size() + 1, head);
  Outcome pieces = parse(input, piece, head);
  check(whole.body.size() <= input.size(), "body no longer than the input");
  check(whole.ok == pieces.ok, "pieces and whole agree on failure");
  if (whole.ok) {
    check(whole.complete == pieces.complete, "pieces and whole agree on completeness");
    check(whole.status == pieces.status, "pieces and whole agree on the status");
    check(whole.body == pieces.body, "pieces and whole agree on the body");
  }

  // The URL parser (user input) and the request it leads to.
  auto url = slim::sensor::parse_url(input);
  if (url) {
    check(!url.value().host.empty() && !url.value().target.empty() &&
              url.value().target.front() == '/',
          "a parsed URL has a host and a target");
    std::string request = slim::sensor::build_request(url.value(), "GET", {"X-A: b"}, "body");
    check(request.rfind("GET /", 0) == 0, "request line");
  }
  return 0;
}
