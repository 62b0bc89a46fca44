#pragma once
// Incremental decoder (pure) for the engine's multiplexed stdout/stderr stream (exec and logs
// without a TTY): frames of an 8-byte header [stream, 0, 0, 0, size32be] and `size` bytes.
// Input may be cut anywhere; frames may be empty.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace slim::engine {

class MuxDecoder {
public:
  /// Which stream a payload belongs to (0 stdin is reported as stdout, like the docker CLI).
  enum class Stream { out, err };
  /// Receives each piece of payload as soon as it is decoded (pieces of one frame may be split).
  using Handler = std::function<void(Stream stream, std::string_view data)>;

  explicit MuxDecoder(Handler handler) : m_handler(std::move(handler)) {}
  /// Decodes more input; throws EngineError on a malformed header or a systemerr (3) frame.
  void feed(const char* data, std::size_t size);
  void feed(std::string_view data) { feed(data.data(), data.size()); }
  /// Ends the stream; throws EngineError when it stopped inside a frame.
  void finish() const;
  /// True when no frame is partially decoded.
  bool at_frame_boundary() const noexcept { return m_header_used == 0 && m_left == 0; }

private:
  Handler m_handler;
  unsigned char m_header[8] = {};
  std::size_t m_header_used = 0;
  std::uint32_t m_left = 0;   ///< payload bytes still to come in the current frame
  unsigned char m_stream = 0; ///< stream byte of the current frame
  std::string m_system_error; ///< payload of a systemerr frame, thrown when complete
};

} // namespace slim::engine
