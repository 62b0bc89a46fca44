#include "slim/util/progress.hpp"

#include <cstdio>
#include <unistd.h>

namespace slim {

Progress::Progress(std::string label) : Progress(std::move(label), isatty(STDERR_FILENO) == 1) {}

Progress::Progress(std::string label, bool enabled)
    : m_label(std::move(label)), m_enabled(enabled), m_next(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  if (m_drawn) {
    std::fputs("\r\033[K", stderr);
  }
}

std::string Progress::format(const std::string& label, std::uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return label + ": " + buf;
}

void Progress::add(std::uint64_t bytes) {
  m_total += bytes;
  if (!m_enabled) {
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (now < m_next) {
    return;
  }
  m_next = now + std::chrono::milliseconds(250);
  std::fprintf(stderr, "\r\033[K%s", format(m_label, m_total).c_str());
  m_drawn = true;
}

} // namespace slim
