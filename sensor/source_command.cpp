// `sensor source`: the pristine container's side of `slim build`'s data path. The container is
// made from the original image; no code of the image ever runs in it. PID 1 (`serve`) only
// waits; `docker exec` runs `index` (the walk of the root file system, written to stdout) and
// `read` (the bytes of the files slim asks for on stdin, written to stdout).
#include "sensor/commands.hpp"
#include "sensor/source_format.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

namespace slim::sensor {

namespace {

constexpr std::size_t k_out_buffer = 1u << 20;
constexpr int k_max_depth = 10'000;

std::string sys_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Buffered writes to stdout; a failed write ends the process (slim stopped reading).
class Out {
public:
  Out() { m_buf.reserve(k_out_buffer); }
  ~Out() { flush(); }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;
  void put(std::string_view s) {
    if (m_buf.size() + s.size() > k_out_buffer) {
      flush();
    }
    if (s.size() >= k_out_buffer) {
      write_all(s.data(), s.size());
      return;
    }
    m_buf.append(s);
  }
  void flush() {
    write_all(m_buf.data(), m_buf.size());
    m_buf.clear();
  }
  // Sends `n` bytes of `fd` from its start; false when the file had fewer.
  bool send_file(int fd, std::uint64_t n) {
    flush();
    off_t off = 0;
    while (static_cast<std::uint64_t>(off) < n) {
      ssize_t s = ::sendfile(1, fd, &off,
                             static_cast<std::size_t>(std::min<std::uint64_t>(
                                 n - static_cast<std::uint64_t>(off), 1u << 30)));
      if (s < 0 && errno == EINTR) {
        continue;
      }
      if (s < 0 && (errno == EINVAL || errno == ENOSYS)) {
        return copy_file(fd, n, static_cast<std::uint64_t>(off));
      }
      if (s < 0) {
        throw std::runtime_error(sys_error("cannot write to stdout"));
      }
      if (s == 0) {
        return false;
      }
    }
    return true;
  }

private:
  bool copy_file(int fd, std::uint64_t n, std::uint64_t done) {
    std::vector<char> buf(1u << 20);
    while (done < n) {
      ssize_t r = ::pread(fd, buf.data(), std::min<std::uint64_t>(buf.size(), n - done),
                          static_cast<off_t>(done));
      if (r < 0 && errno == EINTR) {
        continue;
      }
      if (r <= 0) {
        return false;
      }
      write_all(buf.data(), static_cast<std::size_t>(r));
      done += static_cast<std::uint64_t>(r);
    }
    return true;
  }
  static void write_all(const char* p, std::size_t n) {
    while (n > 0) {
      ssize_t w = ::write(1, p, n);
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w <= 0) {
        throw std::runtime_error(sys_error("cannot write to stdout"));
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  std::string m_buf;
};

std::string read_small_file(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error(sys_error(std::string("cannot open ") + path));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// Deep trees need one descriptor per level.
void raise_fd_limit() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

std::map<std::string, std::string> read_xattrs(int dirfd, const std::string& name, Out& out,
                                               const std::string& path) {
  std::map<std::string, std::string> xattrs;
  // The directory's descriptor as a path keeps deep paths short; the name is not followed.
  std::string at = "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
  std::vector<char> names(4096);
  ssize_t n = -1;
  for (int attempt = 0; attempt < 4; ++attempt) {
    n = ::llistxattr(at.c_str(), names.data(), names.size());
    if (n >= 0 || errno != ERANGE) {
      break;
    }
    names.resize(names.size() * 16);
  }
  if (n < 0) {
    if (errno != ENOTSUP && errno != ENODATA) {
      out.put(warning_record(sys_error("cannot list the xattrs of " + path)));
    }
    return xattrs;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n);) {
    std::string key(names.data() + i);
    i += key.size() + 1;
    if (key.empty()) {
      continue;
    }
    std::string value(256, '\0');
    ssize_t v = -1;
    for (int attempt = 0; attempt < 4; ++attempt) {
      v = ::lgetxattr(at.c_str(), key.c_str(), value.data(), value.size());
      if (v >= 0 || errno != ERANGE) {
        break;
      }
      value.resize(value.size() * 16);
    }
    if (v < 0) {
      out.put(warning_record(sys_error("cannot read xattr " + key + " of " + path)));
      continue;
    }
    value.resize(static_cast<std::size_t>(v));
    xattrs.emplace(std::move(key), std::move(value));
  }
  return xattrs;
}

class Walker {
public:
  Walker(const SourceOptions& options, Out& out) : m_out(out) {
    for (const auto& p : options.skip) {
      m_skip.insert(p);
    }
    for (const auto& p : mount_points(read_small_file("/proc/self/mountinfo"))) {
      m_mounts.insert(p);
    }
    // The volumes as the engine mounted them: their real paths (symlinks in the way followed).
    for (const auto& v : options.volumes) {
      char real[PATH_MAX];
      if (::realpath(v.c_str(), real) != nullptr) {
        m_volumes.insert(real);
      }
    }
  }

  std::uint64_t run() {
    int root = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
      throw std::runtime_error(sys_error("cannot open /"));
    }
    struct stat st {};
    if (::fstat(root, &st) != 0) {
      throw std::runtime_error(sys_error("cannot stat /"));
    }
    IndexEntry e = entry_of("/", st);
    e.kind = 'd';
    m_out.put(index_record(e));
    ++m_count;
    walk(root, "/", st.st_dev, 0);
    ::close(root);
    return m_count;
  }

private:
  static IndexEntry entry_of(const std::string& path, const struct stat& st) {
    IndexEntry e;
    e.path = path;
    e.mode = st.st_mode & 07777U;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.mtime = st.st_mtim.tv_sec;
    e.mtime_nsec = static_cast<std::uint32_t>(st.st_mtim.tv_nsec);
    return e;
  }

  // Lists `dirfd` (whose path is `path`, on device `dev`) and everything below it.
  void walk(int dirfd, const std::string& path, dev_t dev, int depth) {
    if (depth >= k_max_depth) {
      m_out.put(warning_record("deeper than " + std::to_string(k_max_depth) +
                               " levels: not listed below " + path));
      return;
    }
    std::vector<std::string> names = list(dirfd, path);
    for (const std::string& name : names) {
      std::string child = path == "/" ? "/" + name : path + "/" + name;
      if (m_skip.count(child) != 0) {
        continue;
      }
      struct stat st {};
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        m_out.put(warning_record(sys_error("cannot stat " + child)));
        continue;
      }
      bool volume = m_volumes.count(child) != 0;
      if ((m_mounts.count(child) != 0 || st.st_dev != dev) && !volume) {
        // The engine's (/proc, /dev, /etc/hosts...): what is below is not the image's.
        m_out.put(warning_record("mount point skipped: " + child));
        continue;
      }
      IndexEntry e = entry_of(child, st);
      if (S_ISDIR(st.st_mode)) {
        e.kind = 'd';
      } else if (S_ISREG(st.st_mode)) {
        e.kind = 'f';
        e.size = static_cast<std::uint64_t>(st.st_size);
        if (st.st_nlink > 1) {
          e.inode = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
        }
      } else if (S_ISLNK(st.st_mode)) {
        e.kind = 'l';
        e.target = read_link(dirfd, name, child, st);
        if (e.target.empty()) {
          continue;
        }
      } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        e.kind = S_ISCHR(st.st_mode) ? 'c' : 'b';
        e.major = ::major(st.st_rdev);
        e.minor = ::minor(st.st_rdev);
      } else if (S_ISFIFO(st.st_mode)) {
        e.kind = 'p';
      } else {
        m_out.put(warning_record("not listed (a socket): " + child));
        continue;
      }
      e.xattrs = read_xattrs(dirfd, name, m_out, child);
      m_out.put(index_record(e));
      ++m_count;
      if (e.kind == 'd') {
        int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
          m_out.put(warning_record(sys_error("cannot open " + child)));
          continue;
        }
        walk(fd, child, volume ? st.st_dev : dev, depth + 1);
        ::close(fd);
      }
    }
  }

  // The names in `dirfd`, sorted (the stream is the same for the same file system).
  std::vector<std::string> list(int dirfd, const std::string& path) {
    std::vector<std::string> names;
    int fd = ::dup(dirfd);
    DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (dir == nullptr) {
      if (fd >= 0) {
        ::close(fd);
      }
      m_out.put(warning_record(sys_error("cannot list " + path)));
      return names;
    }
    ::rewinddir(dir);
    errno = 0;
    while (struct dirent* d = ::readdir(dir)) {
      if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) {
        names.emplace_back(d->d_name);
      }
      errno = 0;
    }
    if (errno != 0) {
      m_out.put(warning_record(sys_error("cannot list all of " + path)));
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string read_link(int dirfd, const std::string& name, const std::string& path,
                        const struct stat& st) {
    std::string target(static_cast<std::size_t>(std::max<off_t>(st.st_size, 4096)) + 1, '\0');
    ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
    if (n <= 0 || static_cast<std::size_t>(n) >= target.size()) {
      m_out.put(warning_record(sys_error("cannot read the link " + path)));
      return {};
    }
    target.resize(static_cast<std::size_t>(n));
    return target;
  }

  Out& m_out;
  std::set<std::string> m_skip, m_mounts, m_volumes;
  std::uint64_t m_count = 0;
};

// Opens a regular file by an absolute path without following any symlink on the way (the
// index's paths are real paths; a link there would lead elsewhere). Directory descriptors of
// the last path are reused: requests come sorted.
class Opener {
public:
  ~Opener() {
    close_from(0);
    if (m_root >= 0) {
      ::close(m_root);
    }
  }
  Opener() = default;
  Opener(const Opener&) = delete;
  Opener& operator=(const Opener&) = delete;

  // A descriptor of the file, or -1 with errno set.
  int open_file(const std::string& path) {
    std::vector<std::string> parts;
    for (std::size_t i = 1; i <= path.size();) {
      std::size_t j = path.find('/', i);
      if (j == std::string::npos) {
        j = path.size();
      }
      if (j > i) {
        parts.push_back(path.substr(i, j - i));
      }
      i = j + 1;
    }
    if (parts.empty()) {
      errno = EISDIR;
      return -1;
    }
    std::size_t keep = 0;
    while (keep < m_dirs.size() && keep + 1 < parts.size() && m_dirs[keep].first == parts[keep]) {
      ++keep;
    }
    close_from(keep);
    int at = m_dirs.empty() ? root() : m_dirs.back().second;
    for (std::size_t i = m_dirs.size(); i + 1 < parts.size(); ++i) {
      int fd = ::openat(at, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        return -1;
      }
      m_dirs.emplace_back(parts[i], fd);
      at = fd;
    }
    return ::openat(at, parts.back().c_str(),
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  }

private:
  int root() {
    if (m_root < 0) {
      m_root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    return m_root;
  }
  void close_from(std::size_t n) {
    while (m_dirs.size() > n) {
      ::close(m_dirs.back().second);
      m_dirs.pop_back();
    }
  }
  int m_root = -1;
  std::vector<std::pair<std::string, int>> m_dirs;
};

// Reads request lines from stdin as they come (there may be no end of input: TLS).
class LineReader {
public:
  std::optional<std::string> next() {
    for (;;) {
      std::size_t nl = m_buf.find('\n', m_pos);
      if (nl != std::string::npos) {
        std::string line = m_buf.substr(m_pos, nl - m_pos);
        m_pos = nl + 1;
        if (m_pos > (1u << 20)) {
          m_buf.erase(0, m_pos);
          m_pos = 0;
        }
        return line;
      }
      if (m_buf.size() - m_pos > (1u << 20)) {
        return std::nullopt; // a line this long is no request
      }
      char chunk[65536];
      ssize_t n = ::read(0, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return std::nullopt;
      }
      m_buf.append(chunk, static_cast<std::size_t>(n));
    }
  }

private:
  std::string m_buf;
  std::size_t m_pos = 0;
};

int source_index(const SourceOptions& options) {
  raise_fd_limit();
  Out out;
  out.put(k_index_header);
  Walker walker(options, out);
  std::uint64_t count = walker.run();
  out.put("end " + std::to_string(count) + "\n");
  out.flush();
  return 0;
}

int source_read() {
  LineReader in;
  auto header = in.next();
  if (!header || *header != k_read_header) {
    std::fprintf(stderr, "sensor: error: source read: stdin is not a slim-source-read 1 stream\n");
    return 2;
  }
  Out out;
  out.put(k_data_header);
  Opener opener;
  std::uint64_t count = 0;
  for (;;) {
    auto line = in.next();
    if (!line) {
      std::fprintf(stderr, "sensor: error: source read: the requests ended without `end`\n");
      return 2;
    }
    if (*line == "end") {
      break;
    }
    auto req = parse_read_line(*line);
    if (!req) {
      std::fprintf(stderr, "sensor: error: source read: malformed request\n");
      return 2;
    }
    ++count;
    int fd = opener.open_file(req->path);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      std::string why = fd < 0 ? std::strerror(errno) : "not a regular file";
      if (fd >= 0) {
        ::close(fd);
      }
      out.put("E " + escape_field(why) + "\n");
      continue;
    }
    std::uint64_t n = std::min<std::uint64_t>(req->max, static_cast<std::uint64_t>(st.st_size));
    out.put("D " + std::to_string(n) + "\n");
    bool whole = out.send_file(fd, n);
    ::close(fd);
    if (!whole) {
      // The announced bytes cannot come: slim sees the stream end early and fails.
      std::fprintf(stderr, "sensor: error: source read: %s became shorter while it was read\n",
                   req->path.c_str());
      return 1;
    }
  }
  out.put("end " + std::to_string(count) + "\n");
  out.flush();
  return 0;
}

// PID 1 of the pristine container: reaps what exits, ends on SIGTERM/SIGINT/SIGHUP or after
// the timeout (a container slim could not remove does not stay up for ever).
int source_serve(const SourceOptions& options) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
    sigaddset(&set, sig);
  }
  sigprocmask(SIG_BLOCK, &set, nullptr);
  double left = options.timeout;
  while (left > 0) {
    struct timespec ts {};
    double step = std::min(left, 60.0);
    ts.tv_sec = static_cast<time_t>(step);
    ts.tv_nsec = static_cast<long>((step - static_cast<double>(ts.tv_sec)) * 1e9);
    siginfo_t info{};
    int sig = ::sigtimedwait(&set, &info, &ts);
    if (sig == SIGCHLD) {
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      continue;
    }
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
      return 0;
    }
    if (sig < 0 && errno == EAGAIN) {
      left -= step;
    }
  }
  return 0;
}

} // namespace

int source_command(const SourceOptions& options) {
  switch (options.action) {
  case SourceOptions::Action::serve:
    return source_serve(options);
  case SourceOptions::Action::index:
    return source_index(options);
  case SourceOptions::Action::read:
    return source_read();
  }
  return 2;
}

} // namespace slim::sensor
