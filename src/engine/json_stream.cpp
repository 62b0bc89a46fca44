// The engine's JSON message stream of images/load (pure).
#include "slim/engine/json_stream.hpp"

#include <nlohmann/json.hpp>

namespace slim::engine {

namespace {
constexpr std::size_t k_max_line = 1 << 20;
constexpr std::size_t k_max_text = 64 * 1024;
constexpr std::string_view k_loaded_id = "Loaded image ID: ";
constexpr std::string_view k_loaded_name = "Loaded image: ";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}
} // namespace

void LoadStreamParser::feed(const char* data, std::size_t size) {
  m_pending.append(data, size);
  std::size_t start = 0;
  for (auto nl = m_pending.find('\n'); nl != std::string::npos; nl = m_pending.find('\n', start)) {
    parse_line(std::string_view(m_pending).substr(start, nl - start));
    start = nl + 1;
  }
  m_pending.erase(0, start);
  if (m_pending.size() > k_max_line) {
    throw EngineError(0, "the engine sent a message line longer than 1 MiB while loading an image");
  }
}

void LoadStreamParser::parse_line(std::string_view line) {
  line = trim(line);
  if (line.empty()) {
    return;
  }
  auto json = nlohmann::json::parse(line, nullptr, false);
  if (!json.is_object()) {
    // Old engines answer in plain text unless quiet; keep it for messages.
    if (m_text.size() < k_max_text) {
      m_text.append(line).append("\n");
    }
    return;
  }
  if (auto detail = json.find("errorDetail"); detail != json.end() && detail->is_object()) {
    auto msg = detail->find("message");
    if (msg != detail->end() && msg->is_string() && !msg->get_ref<const std::string&>().empty()) {
      throw EngineError(500, msg->get<std::string>());
    }
  }
  if (auto err = json.find("error"); err != json.end() && err->is_string()) {
    throw EngineError(500, err->get<std::string>());
  }
  auto stream = json.find("stream");
  if (stream == json.end() || !stream->is_string()) {
    return;
  }
  std::string_view text = trim(stream->get_ref<const std::string&>());
  if (m_text.size() < k_max_text) {
    m_text.append(text).append("\n");
  }
  if (text.substr(0, k_loaded_id.size()) == k_loaded_id) {
    std::string id(trim(text.substr(k_loaded_id.size())));
    m_result.loaded.push_back(id);
    if (m_result.image_id.empty()) {
      m_result.image_id = id;
    }
  } else if (text.substr(0, k_loaded_name.size()) == k_loaded_name) {
    m_result.loaded.emplace_back(trim(text.substr(k_loaded_name.size())));
  }
}

LoadResult LoadStreamParser::finish() {
  parse_line(m_pending);
  m_pending.clear();
  return m_result;
}

} // namespace slim::engine
