#pragma once
// Incremental reader (pure) for the engine's JSON message streams (images/load, build, pull):
// one JSON object per line; `errorDetail`/`error` entries become EngineError.

#include "slim/engine/client.hpp"

#include <string>

namespace slim::engine {

class LoadStreamParser {
public:
  /// Feeds more of the response body; throws EngineError(500, message) on an error entry.
  void feed(const char* data, std::size_t size);
  /// Ends the stream (a last line without newline is parsed); returns what was loaded.
  LoadResult finish();
  /// The `stream` texts seen so far, joined (for messages).
  const std::string& text() const noexcept { return m_text; }

private:
  void parse_line(std::string_view line);
  std::string m_pending;
  std::string m_text;
  LoadResult m_result;
};

} // namespace slim::engine
