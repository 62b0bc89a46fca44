#pragma once
// A one-line byte counter for long passes ("exporting: 123.4 MB") on a terminal. Redrawn at
// most four times a second on stderr and erased when done; silent when stderr is not a
// terminal (CI logs get the plain per-pass lines instead).

#include <chrono>
#include <cstdint>
#include <string>

namespace slim {

class Progress {
public:
  /// `label` names the work ("exporting"); `enabled` defaults to isatty(stderr).
  explicit Progress(std::string label);
  Progress(std::string label, bool enabled);
  /// Erases the line if one was drawn.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  /// Counts `bytes` more and redraws when due.
  void add(std::uint64_t bytes);
  /// Bytes counted so far.
  std::uint64_t total() const noexcept { return m_total; }
  /// The text of the line for `bytes` ("exporting: 12.3 MB"), for tests.
  static std::string format(const std::string& label, std::uint64_t bytes);

private:
  std::string m_label;
  bool m_enabled;
  bool m_drawn = false;
  std::uint64_t m_total = 0;
  std::chrono::steady_clock::time_point m_next;
};

} // namespace slim
