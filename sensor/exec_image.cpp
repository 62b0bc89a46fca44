#include "sensor/exec_image.hpp"

#include <cstdint>
#include <cstring>

namespace slim::sensor {

namespace {

template <typename T> T load(std::string_view bytes, std::size_t offset) {
  T value{};
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value; // little-endian hosts only read little-endian ELF (checked by the caller)
}

constexpr std::uint32_t k_pt_interp = 3;

} // namespace

std::optional<std::string> interpreter_of(std::string_view head) {
  if (head.starts_with("#!")) {
    auto line = head.substr(2, head.find('\n') == std::string_view::npos ? std::string_view::npos
                                                                         : head.find('\n') - 2);
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
      return std::nullopt;
    }
    std::size_t end = line.find_first_of(" \t\r", start);
    auto path =
        line.substr(start, end == std::string_view::npos ? line.size() - start : end - start);
    return path.empty() ? std::nullopt : std::optional<std::string>(path);
  }
  if (head.size() < 52 ||
      !head.starts_with("\x7f"
                        "ELF") ||
      head[5] != 1) {
    return std::nullopt;
  }
  bool is64 = head[4] == 2;
  if (is64 && head.size() < 64) {
    return std::nullopt;
  }
  std::uint64_t phoff = is64 ? load<std::uint64_t>(head, 32) : load<std::uint32_t>(head, 28);
  std::uint16_t phentsize = load<std::uint16_t>(head, is64 ? 54 : 42);
  std::uint16_t phnum = load<std::uint16_t>(head, is64 ? 56 : 44);
  for (std::uint16_t i = 0; i < phnum; ++i) {
    std::uint64_t ph = phoff + std::uint64_t{i} * phentsize;
    if (ph + (is64 ? 56 : 32) > head.size()) {
      return std::nullopt;
    }
    if (load<std::uint32_t>(head, ph) != k_pt_interp) {
      continue;
    }
    std::uint64_t offset =
        is64 ? load<std::uint64_t>(head, ph + 8) : load<std::uint32_t>(head, ph + 4);
    std::uint64_t size =
        is64 ? load<std::uint64_t>(head, ph + 32) : load<std::uint32_t>(head, ph + 16);
    if (size == 0 || offset + size > head.size()) {
      return std::nullopt;
    }
    std::string path(head.substr(offset, size));
    while (!path.empty() && path.back() == '\0') {
      path.pop_back();
    }
    return path.empty() ? std::nullopt : std::optional<std::string>(path);
  }
  return std::nullopt;
}

} // namespace slim::sensor
