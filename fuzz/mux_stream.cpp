// Fuzz target: the engine's pure stream parsers fed in pieces: the multiplexed stdout/stderr
// decoder (exec and logs), the images/load JSON message stream, and the error-answer mapper.
// The first byte picks the piece size (inputs arrive cut anywhere). Checks: the decoder never
// hands out more payload than it was given, and it is at a frame boundary after finish().
#include "slim/engine/mux_stream.hpp"

#include "slim/engine/client.hpp"
#include "slim/engine/error_mapping.hpp"
#include "slim/engine/json_stream.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_mux_stream: invariant broken: %s\n", what);
    std::abort();
  }
}

template <typename Feed> void in_pieces(std::string_view input, std::size_t piece, Feed feed) {
  while (!input.empty()) {
    std::size_t n = std::min(piece, input.size());
    feed(input.substr(0, n));
    input.remove_prefix(n);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  std::size_t piece = data[0] == 0 ? size : data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::size_t payload = 0;
  slim::engine::MuxDecoder mux(
      [&payload](slim::engine::MuxDecoder::Stream, std::string_view d) { payload += d.size(); });
  try {
    in_pieces(input, piece, [&mux](std::string_view p) { mux.feed(p); });
    mux.finish();
    check(mux.at_frame_boundary(), "finish() accepted only a whole stream");
  } catch (const slim::engine::EngineError&) {
  }
  check(payload <= input.size(), "no more payload than input");

  slim::engine::LoadStreamParser load;
  try {
    in_pieces(input, piece, [&load](std::string_view p) { load.feed(p.data(), p.size()); });
    (void)load.finish();
  } catch (const slim::engine::EngineError&) {
  }

  int status = 400 + data[0] % 200;
  std::string message = slim::engine::engine_error_message(status, input);
  check(!message.empty(), "an error answer has a message");
  return 0;
}
