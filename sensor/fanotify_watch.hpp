#pragma once
// The fanotify recorder: every open, exec, read and write on the container's root file system
// by any process (also `docker exec`'d ones), paths from /proc/self/fd. Needs CAP_SYS_ADMIN.

#include "sensor/recording.hpp"

#include <functional>
#include <string>
#include <sys/types.h>

namespace slim::sensor {

/// Places the process behind a fanotify event (its tgid).
using Classifier = std::function<Source(pid_t pid)>;

class FanotifyWatch {
public:
  FanotifyWatch() = default;
  ~FanotifyWatch();
  FanotifyWatch(const FanotifyWatch&) = delete;
  FanotifyWatch& operator=(const FanotifyWatch&) = delete;

  /// Starts watching the file system of `/` (FAN_MARK_FILESYSTEM, else FAN_MARK_MOUNT);
  /// returns an error text (empty on success); `mark_note` tells which mark was used.
  std::string open(std::string& mark_note);
  /// The non-blocking fanotify descriptor to poll, -1 when not open.
  int fd() const noexcept { return m_fd; }
  /// Reads every queued event into `out`; events of `self` are skipped. Returns false when
  /// the queue overflowed at some point (events were lost).
  bool drain(Recording& out, pid_t self, const Classifier& classify);

private:
  int m_fd = -1;
  bool m_overflowed = false;
};

} // namespace slim::sensor
