#include "sensor/fanotify_watch.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

namespace slim::sensor {

namespace {

constexpr unsigned long long k_mask = FAN_OPEN | FAN_OPEN_EXEC | FAN_ACCESS | FAN_MODIFY;

} // namespace

FanotifyWatch::~FanotifyWatch() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

std::string FanotifyWatch::open(std::string& mark_note) {
  m_fd = ::fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE,
                         O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);
  if (m_fd < 0 && errno == EPERM) {
    m_fd = ::fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
                           O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  }
  if (m_fd < 0) {
    return std::string("fanotify_init: ") + std::strerror(errno);
  }
  if (::fanotify_mark(m_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, k_mask, AT_FDCWD, "/") == 0) {
    mark_note = "filesystem";
    return {};
  }
  int fs_errno = errno;
  if (::fanotify_mark(m_fd, FAN_MARK_ADD | FAN_MARK_MOUNT, k_mask, AT_FDCWD, "/") == 0) {
    mark_note = std::string("mount (filesystem mark failed: ") + std::strerror(fs_errno) + ")";
    return {};
  }
  std::string err = std::string("fanotify_mark `/`: ") + std::strerror(errno);
  ::close(m_fd);
  m_fd = -1;
  return err;
}

bool FanotifyWatch::drain(Recording& out, pid_t self, const Classifier& classify) {
  if (m_fd < 0) {
    return true;
  }
  alignas(fanotify_event_metadata) char buf[64 * 1024];
  char link[64];
  char path[PATH_MAX];
  while (true) {
    ssize_t len = ::read(m_fd, buf, sizeof buf);
    if (len < 0 && errno == EINTR) {
      continue;
    }
    if (len <= 0) {
      break;
    }
    auto* meta = reinterpret_cast<fanotify_event_metadata*>(buf);
    for (; FAN_EVENT_OK(meta, len); meta = FAN_EVENT_NEXT(meta, len)) {
      if (meta->vers != FANOTIFY_METADATA_VERSION) {
        continue;
      }
      if ((meta->mask & FAN_Q_OVERFLOW) != 0) {
        m_overflowed = true;
      }
      if (meta->fd < 0) {
        continue;
      }
      // pid 0: a process outside our PID namespace (dockerd reading the container's
      // /etc/passwd through the overlay for `docker exec`): not the app, and its path is the
      // host's, so it is never reported.
      if (meta->pid != self && meta->pid > 0) {
        std::snprintf(link, sizeof link, "/proc/self/fd/%d", meta->fd);
        ssize_t n = ::readlink(link, path, sizeof path);
        if (n > 0) {
          std::uint16_t ops = 0;
          ops |= (meta->mask & FAN_OPEN) != 0 ? op_open : 0;
          ops |= (meta->mask & FAN_OPEN_EXEC) != 0 ? op_exec : 0;
          ops |= (meta->mask & FAN_ACCESS) != 0 ? op_read : 0;
          ops |= (meta->mask & FAN_MODIFY) != 0 ? op_write : 0;
          out.add_path(std::string(path, static_cast<std::size_t>(n)), ops,
                       classify ? classify(meta->pid) : Source::other);
        }
        // Reads and writes repeat for every call: once seen, ignore them on this inode
        // (opens and execs keep coming, they are per open and name hard links apart).
        auto repeat = meta->mask & (FAN_ACCESS | FAN_MODIFY);
        if (repeat != 0) {
          ::fanotify_mark(m_fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY,
                          repeat, meta->fd, nullptr);
        }
      }
      ::close(meta->fd);
    }
  }
  return !m_overflowed;
}

} // namespace slim::sensor
