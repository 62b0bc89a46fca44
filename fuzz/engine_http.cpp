// Fuzz target: the engine's HTTP answers as the transport reads them: Boost.Beast's
// response_parser<buffer_body> with the transport's limits (64 KiB header, no body limit), fed
// from a buffer in pieces instead of a socket, the body read through a fixed buffer (as
// read_body does, so need_buffer is exercised), the header turned into the transport's
// lowercase map, and the body (or a hijacked exec stream) decoded as the multiplexed stream.
// The first byte: bit 0 = the request asked for Upgrade (exec start), the rest = piece size.
#include "slim/engine/client.hpp"
#include "slim/engine/mux_stream.hpp"

#include <algorithm>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>
#include <string_view>

namespace {

namespace http = boost::beast::http;
constexpr std::size_t k_body_buffer = 512; // the transport's is 64 KiB; small finds more

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_engine_http: invariant broken: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  bool upgrade = (data[0] & 1) != 0;
  std::size_t piece = (data[0] >> 1) == 0 ? size : (data[0] >> 1);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::size_t payload = 0;
  slim::engine::MuxDecoder mux(
      [&payload](slim::engine::MuxDecoder::Stream, std::string_view d) { payload += d.size(); });
  bool mux_ok = true;
  auto to_mux = [&](const char* p, std::size_t n) {
    if (!mux_ok) {
      return;
    }
    try {
      mux.feed(p, n);
    } catch (const slim::engine::EngineError&) {
      mux_ok = false;
    }
  };

  http::response_parser<http::buffer_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  char body[k_body_buffer];
  parser.get().body().data = body;
  parser.get().body().size = sizeof(body);

  std::string pending; // received but not yet consumed by the parser
  std::size_t offered = 0;
  std::size_t body_bytes = 0;
  bool header_seen = false;
  bool raw = false;
  boost::system::error_code ec;
  for (int guard = 0; guard < 100'000 && !parser.is_done(); ++guard) {
    std::size_t used = parser.put(boost::asio::buffer(pending.data(), pending.size()), ec);
    pending.erase(0, used);
    std::size_t got = sizeof(body) - parser.get().body().size;
    if (got > 0) {
      body_bytes += got;
      to_mux(body, got);
      parser.get().body().data = body;
      parser.get().body().size = sizeof(body);
    }
    if (parser.is_header_done() && !header_seen) {
      header_seen = true;
      const auto& msg = parser.get();
      std::map<std::string, std::string> headers;
      for (const auto& field : msg) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        headers[name] = std::string(field.value());
      }
      int status = static_cast<int>(msg.result_int());
      check(status >= 0 && status <= 999, "status has three digits");
      bool unframed = !parser.chunked() && !parser.content_length();
      if (upgrade && (status == 101 || (status == 200 && unframed))) {
        raw = true; // the transport hands the rest of the connection to the stream decoder
        break;
      }
    }
    if (!ec && used == 0 && got == 0 && !parser.is_done()) {
      ec = http::error::need_more; // no progress without more input
    }
    if (ec == http::error::need_buffer) {
      ec = {};
      continue;
    }
    if (ec == http::error::need_more) {
      ec = {};
      if (offered == input.size()) {
        parser.put_eof(ec); // the engine closed the connection
        break;
      }
      std::size_t n = std::min(piece, input.size() - offered);
      pending.append(input.substr(offered, n));
      offered += n;
      continue;
    }
    if (ec) {
      break;
    }
  }
  if (raw) {
    to_mux(pending.data(), pending.size());
    to_mux(input.data() + offered, input.size() - offered);
  }
  check(body_bytes <= input.size(), "no more body than input");
  check(payload <= input.size(), "no more payload than input");
  if (mux_ok) {
    try {
      mux.finish();
    } catch (const slim::engine::EngineError&) {
    }
  }
  return 0;
}
