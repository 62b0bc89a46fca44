#include "support/fake_engine.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace slim::test {

namespace {

/// Appends what fd has to buf (5 s idle limit); false at EOF, error, timeout or stop.
bool read_more(int fd, std::string& buf, int stop_fd) {
  std::array<pollfd, 2> pfds = {pollfd{fd, POLLIN, 0}, pollfd{stop_fd, POLLIN, 0}};
  if (::poll(pfds.data(), pfds.size(), 5000) <= 0 || (pfds[1].revents & POLLIN) != 0) {
    return false;
  }
  char tmp[65536];
  ssize_t n = ::read(fd, tmp, sizeof tmp);
  if (n <= 0) {
    return false;
  }
  buf.append(tmp, static_cast<std::size_t>(n));
  return true;
}

/// Takes `n` bytes from buf (reading more as needed).
bool take(int fd, std::string& buf, std::size_t n, std::string& out, int stop_fd) {
  while (buf.size() < n) {
    if (!read_more(fd, buf, stop_fd)) {
      return false;
    }
  }
  out.append(buf, 0, n);
  buf.erase(0, n);
  return true;
}

bool take_line(int fd, std::string& buf, std::string& line, int stop_fd) {
  for (;;) {
    auto pos = buf.find("\r\n");
    if (pos != std::string::npos) {
      line = buf.substr(0, pos);
      buf.erase(0, pos + 2);
      return true;
    }
    if (!read_more(fd, buf, stop_fd)) {
      return false;
    }
  }
}

void write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    off += static_cast<std::size_t>(n);
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

} // namespace

FakeEngine::FakeEngine(FakeRoute route) : m_dir("fake-engine"), m_route(std::move(route)) {
  m_socket = (m_dir.path() / "docker.sock").string();
  m_listen = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, m_socket.c_str(), sizeof(addr.sun_path) - 1);
  if (m_listen < 0 || ::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(m_listen, 16) != 0 || ::pipe2(m_stop, O_CLOEXEC) != 0) {
    throw std::runtime_error("fake engine: cannot listen on " + m_socket);
  }
  m_thread = std::thread([this] { serve(); });
}

FakeEngine::~FakeEngine() {
  char c = 1;
  [[maybe_unused]] auto n = ::write(m_stop[1], &c, 1);
  m_thread.join();
  ::close(m_listen);
  ::close(m_stop[0]);
  ::close(m_stop[1]);
}

std::vector<FakeRequest> FakeEngine::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

void FakeEngine::serve() {
  for (;;) {
    std::array<pollfd, 2> pfds = {pollfd{m_listen, POLLIN, 0}, pollfd{m_stop[0], POLLIN, 0}};
    if (::poll(pfds.data(), pfds.size(), -1) < 0 || (pfds[1].revents & POLLIN) != 0) {
      return;
    }
    int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      handle(fd);
      ::close(fd);
    }
  }
}

void FakeEngine::handle(int fd) {
  std::string buf;
  std::string line;
  FakeRequest req;
  if (!take_line(fd, buf, line, m_stop[0])) {
    return;
  }
  auto sp1 = line.find(' ');
  auto sp2 = line.rfind(' ');
  req.method = line.substr(0, sp1);
  req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  while (take_line(fd, buf, line, m_stop[0]) && !line.empty()) {
    auto colon = line.find(':');
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    req.headers[lower(line.substr(0, colon))] = value;
  }
  FakeReply reply = m_route(req);
  if (reply.read_body) {
    if (lower(req.headers["transfer-encoding"]) == "chunked") {
      req.chunked = true;
      for (;;) {
        if (!take_line(fd, buf, line, m_stop[0])) {
          break;
        }
        std::size_t size = std::stoul(line, nullptr, 16);
        if (size == 0) {
          take_line(fd, buf, line, m_stop[0]); // the empty line after the last chunk
          break;
        }
        ++req.chunk_count;
        if (!take(fd, buf, size, req.body, m_stop[0]) || !take_line(fd, buf, line, m_stop[0])) {
          break;
        }
      }
    } else if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
      take(fd, buf, std::stoul(it->second), req.body, m_stop[0]);
    }
  }
  {
    std::lock_guard lock(m_mutex);
    m_requests.push_back(req);
  }
  if (reply.hang) { // wait until the client gives up (or the server stops)
    for (;;) {
      std::array<pollfd, 2> pfds = {pollfd{fd, POLLIN, 0}, pollfd{m_stop[0], POLLIN, 0}};
      char tmp[4096];
      if (::poll(pfds.data(), pfds.size(), -1) < 0 || (pfds[1].revents & POLLIN) != 0 ||
          ::read(fd, tmp, sizeof tmp) <= 0) {
        return;
      }
    }
  }
  if (reply.custom) {
    reply.custom(fd, req);
    return;
  }
  for (const auto& piece : reply.pieces) {
    write_all(fd, piece);
    if (reply.gap.count() > 0) {
      std::this_thread::sleep_for(reply.gap);
    }
  }
}

std::string FakeEngine::response(int status, const std::string& body,
                                 const std::string& content_type, std::size_t chunk,
                                 const std::vector<std::string>& extra_headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " Whatever\r\n";
  if (!content_type.empty()) {
    out += "Content-Type: " + content_type + "\r\n";
  }
  for (const auto& h : extra_headers) {
    out += h + "\r\n";
  }
  if (chunk == 0) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return out;
  }
  out += "Transfer-Encoding: chunked\r\n\r\n";
  char hex[32];
  for (std::size_t off = 0; off < body.size(); off += chunk) {
    std::size_t n = std::min(chunk, body.size() - off);
    std::snprintf(hex, sizeof hex, "%zx\r\n", n);
    out += hex;
    out.append(body, off, n);
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

std::string FakeEngine::frame(int stream, const std::string& payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  auto size = static_cast<std::uint32_t>(payload.size());
  out[4] = static_cast<char>((size >> 24) & 0xff);
  out[5] = static_cast<char>((size >> 16) & 0xff);
  out[6] = static_cast<char>((size >> 8) & 0xff);
  out[7] = static_cast<char>(size & 0xff);
  return out + payload;
}

} // namespace slim::test
