// Incremental decoder for the engine's multiplexed stdout/stderr stream (pure).
#include "slim/engine/mux_stream.hpp"

#include "slim/engine/client.hpp"

#include <algorithm>
#include <cstring>

namespace slim::engine {

namespace {
constexpr unsigned char k_stdin = 0;
constexpr unsigned char k_stdout = 1;
constexpr unsigned char k_stderr = 2;
constexpr unsigned char k_systemerr = 3;
constexpr std::size_t k_max_system_error = 64 * 1024;
} // namespace

void MuxDecoder::feed(const char* data, std::size_t size) {
  while (size > 0) {
    if (m_left == 0 && m_header_used < sizeof(m_header)) {
      std::size_t take = std::min(size, sizeof(m_header) - m_header_used);
      std::memcpy(m_header + m_header_used, data, take);
      m_header_used += take;
      data += take;
      size -= take;
      if (m_header_used < sizeof(m_header)) {
        return;
      }
      m_stream = m_header[0];
      if (m_stream > k_systemerr || m_header[1] != 0 || m_header[2] != 0 || m_header[3] != 0) {
        throw EngineError(0, "malformed multiplexed stream from the engine (frame header " +
                                 std::to_string(m_header[0]) + "," + std::to_string(m_header[1]) +
                                 "," + std::to_string(m_header[2]) + "," +
                                 std::to_string(m_header[3]) + ")");
      }
      m_left = (std::uint32_t{m_header[4]} << 24) | (std::uint32_t{m_header[5]} << 16) |
               (std::uint32_t{m_header[6]} << 8) | std::uint32_t{m_header[7]};
      m_header_used = 0;
      if (m_left == 0) {
        continue; // an empty frame
      }
    }
    std::size_t take = std::min<std::size_t>(size, m_left);
    std::string_view piece(data, take);
    m_left -= static_cast<std::uint32_t>(take);
    data += take;
    size -= take;
    if (m_stream == k_systemerr) {
      if (m_system_error.size() < k_max_system_error) {
        m_system_error.append(piece.substr(0, k_max_system_error - m_system_error.size()));
      }
      if (m_left == 0) {
        std::string message = std::move(m_system_error);
        m_system_error.clear();
        while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
          message.pop_back();
        }
        throw EngineError(500, "the engine reported an error in the stream: " + message);
      }
      continue;
    }
    m_handler(m_stream == k_stderr ? Stream::err : Stream::out, piece);
    static_assert(k_stdin == 0 && k_stdout == 1);
  }
}

void MuxDecoder::finish() const {
  if (m_header_used != 0) {
    throw EngineError(0, "the engine's multiplexed stream ended inside a frame header (" +
                             std::to_string(m_header_used) + " of 8 bytes)");
  }
  if (m_left != 0) {
    throw EngineError(0, "the engine's multiplexed stream ended " + std::to_string(m_left) +
                             " bytes before the end of a frame");
  }
}

} // namespace slim::engine
