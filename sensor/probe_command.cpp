// `sensor probe`: one HTTP/1.1 request over TCP or TLS (no certificate checks), with bounded
// connection retries; prints one JSON line. Name lookup needs no NSS (static binary):
// numeric addresses, `localhost`, then /etc/hosts.

#include "sensor/commands.hpp"
#include "sensor/http.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace slim::sensor {

namespace {

using Clock = std::chrono::steady_clock;

struct Address {
  sockaddr_storage storage{};
  socklen_t size = 0;
};

std::optional<Address> numeric_address(const std::string& host, int port) {
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    a.size = sizeof(sockaddr_in);
    return a;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    a.size = sizeof(sockaddr_in6);
    return a;
  }
  return std::nullopt;
}

std::optional<Address> resolve(const std::string& host, int port) {
  if (auto a = numeric_address(host, port)) {
    return a;
  }
  if (host == "localhost") {
    return numeric_address("127.0.0.1", port);
  }
  std::ifstream hosts("/etc/hosts");
  std::string line;
  while (std::getline(hosts, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream in(line);
    std::string addr;
    std::string name;
    if (!(in >> addr)) {
      continue;
    }
    while (in >> name) {
      if (name == host) {
        if (auto a = numeric_address(addr, port)) {
          return a;
        }
      }
    }
  }
  return std::nullopt;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Connects with a timeout; returns the fd or -1 with errno set.
int connect_to(const Address& address, int timeout_ms) {
  int fd = ::socket(address.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return -1;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.size) != 0) {
    if (errno != EINPROGRESS) {
      int err = errno;
      ::close(fd);
      errno = err;
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) {
      ::close(fd);
      errno = ETIMEDOUT;
      return -1;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      ::close(fd);
      errno = err;
      return -1;
    }
  }
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::string hex(const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string ssl_error_text() {
  unsigned long code = ERR_get_error();
  if (code == 0) {
    return errno != 0 ? std::strerror(errno) : "connection closed";
  }
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

// Sends the request and reads the response on a connected socket (TLS when `ssl`).
std::string exchange(int fd, SSL* ssl, const std::string& request, ResponseParser& parser) {
  std::size_t done = 0;
  while (done < request.size()) {
    int n = ssl != nullptr
                ? SSL_write(ssl, request.data() + done, static_cast<int>(request.size() - done))
                : static_cast<int>(
                      ::send(fd, request.data() + done, request.size() - done, MSG_NOSIGNAL));
    if (n <= 0) {
      return std::string("cannot send the request: ") +
             (ssl != nullptr ? ssl_error_text() : std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  char buf[65536];
  while (!parser.complete()) {
    int n = ssl != nullptr ? SSL_read(ssl, buf, sizeof buf)
                           : static_cast<int>(::recv(fd, buf, sizeof buf, 0));
    if (n < 0 && ssl == nullptr && errno == EINTR) {
      continue;
    }
    if (n < 0 && ssl == nullptr && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return "timed out waiting for the response";
    }
    if (n <= 0) {
      if (ssl != nullptr && SSL_get_error(ssl, n) != SSL_ERROR_ZERO_RETURN &&
          SSL_get_error(ssl, n) != SSL_ERROR_SYSCALL) {
        return "TLS error: " + ssl_error_text();
      }
      if (!parser.finish()) {
        return parser.error();
      }
      break;
    }
    if (!parser.feed(std::string_view(buf, static_cast<std::size_t>(n)))) {
      return parser.error();
    }
  }
  return {};
}

} // namespace

// What one request needs besides its own fields.
struct ProbeLimits {
  double timeout = 10;
  double retry_delay = 1;
  std::size_t max_body = SIZE_MAX; ///< body bytes kept in the result (batch mode)
};

namespace {

// One request: connect (with retries), then for HTTP(S) send and read the answer. For `tcp`
// the connection is the answer.
ProbeResult probe_one(const BatchRequest& req, const ProbeLimits& limits, SSL_CTX*& ctx) {
  ProbeResult result;
  result.url = req.url;
  result.method = req.tcp ? "CONNECT" : req.method;
  std::string host;
  std::string port;
  Url url;
  if (req.tcp) {
    std::string_view rest = req.url;
    if (!rest.starts_with("tcp://")) {
      result.error = "bad URL `" + req.url + "`: not tcp://HOST:PORT";
      return result;
    }
    rest.remove_prefix(6);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      result.error = "bad URL `" + req.url + "`: no port";
      return result;
    }
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
    if (host.starts_with("[") && host.ends_with("]")) {
      host = host.substr(1, host.size() - 2);
    }
  } else {
    auto parsed = parse_url(req.url);
    if (!parsed) {
      result.error = parsed.error();
      return result;
    }
    url = parsed.value();
    host = url.host;
    port = url.port;
  }
  int port_number = 0;
  auto [pe, pec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (pec != std::errc() || pe != port.data() + port.size() || port_number <= 0 ||
      port_number > 65535) {
    result.error = "bad port `" + port + "`";
    return result;
  }
  auto address = resolve(host, port_number);
  if (!address) {
    result.error = "cannot resolve host `" + host + "` (numeric, localhost or /etc/hosts)";
    return result;
  }
  int timeout_ms = static_cast<int>(limits.timeout * 1000);
  if (!req.tcp && url.https && ctx == nullptr) {
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  int last_errno = 0;
  for (int attempt = 0; attempt <= req.retries; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(limits.retry_delay));
    }
    auto start = Clock::now();
    int fd = connect_to(*address, timeout_ms);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    result.connected = true;
    if (req.tcp) {
      ::close(fd);
      result.time_ms = ms_since(start);
      return result;
    }
    std::string request = build_request(url, req.method, req.headers, req.data);
    SSL* ssl = nullptr;
    std::string error;
    if (url.https) {
      ssl = SSL_new(ctx);
      SSL_set_fd(ssl, fd);
      if (numeric_address(url.host, 0) == std::nullopt) {
        SSL_set_tlsext_host_name(ssl, url.host.c_str());
      }
      if (SSL_connect(ssl) != 1) {
        error = "TLS handshake failed: " + ssl_error_text();
      }
    }
    ResponseParser parser(req.method == "HEAD");
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr);
    parser.keep_body(limits.max_body, [&sha](std::string_view d) {
      EVP_DigestUpdate(sha.get(), d.data(), d.size());
    });
    if (error.empty()) {
      error = exchange(fd, ssl, request, parser);
    }
    if (ssl != nullptr) {
      SSL_free(ssl);
    }
    ::close(fd);
    if (!error.empty()) {
      result.error = error;
      return result;
    }
    result.time_ms = ms_since(start);
    result.status = parser.status();
    result.size = parser.body_size();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    EVP_DigestFinal_ex(sha.get(), digest, &digest_size);
    result.sha256 = hex(digest, digest_size);
    result.content_type = parser.header("Content-Type").value_or("");
    result.location = parser.header("Location").value_or("");
    result.body = parser.body();
    result.body_truncated = result.body.size() < result.size;
    return result;
  }
  std::string reason = last_errno == ECONNREFUSED ? "connection refused"
                       : last_errno == ETIMEDOUT
                           ? "connection timed out"
                           : std::string("cannot connect: ") + std::strerror(last_errno);
  result.error = reason + " after " + std::to_string(req.retries) + " retries";
  return result;
}

std::optional<std::string> read_whole(const std::string& path, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max) {
      return std::nullopt;
    }
  }
  return text;
}

int batch_command(const ProbeOptions& options) {
  auto text = read_whole(*options.batch_in, 64u << 20);
  if (!text) {
    std::fprintf(stderr, "sensor: error: cannot read the probe batch `%s`\n",
                 options.batch_in->c_str());
    return 2;
  }
  auto batch = parse_batch(*text);
  if (!batch) {
    std::fprintf(stderr, "sensor: error: %s\n", batch.error().c_str());
    return 2;
  }
  std::FILE* out = std::fopen(options.batch_out->c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "sensor: error: cannot write `%s`: %s\n", options.batch_out->c_str(),
                 std::strerror(errno));
    return 2;
  }
  SSL_CTX* ctx = nullptr;
  std::size_t kept = 0; // body bytes kept so far: the result file stays bounded
  const Batch& b = batch.value();
  for (std::size_t i = 0; i < b.requests.size(); ++i) {
    ProbeLimits limits{.timeout = b.timeout,
                       .retry_delay = b.retry_delay,
                       .max_body = std::min(b.max_body, b.max_total - std::min(kept, b.max_total))};
    ProbeResult r = probe_one(b.requests[i], limits, ctx);
    kept += r.body.size();
    std::fprintf(out, "%s\n", batch_result_json(i, r).c_str());
    std::fflush(out);
  }
  if (ctx != nullptr) {
    SSL_CTX_free(ctx);
  }
  if (std::fclose(out) != 0) {
    std::fprintf(stderr, "sensor: error: cannot write `%s`: %s\n", options.batch_out->c_str(),
                 std::strerror(errno));
    return 2;
  }
  return 0;
}

} // namespace

int probe_command(const ProbeOptions& options) {
  if (options.batch_in) {
    return batch_command(options);
  }
  BatchRequest req{.url = options.url,
                   .method = options.method,
                   .headers = options.headers,
                   .data = options.data,
                   .retries = options.retries};
  SSL_CTX* ctx = nullptr;
  ProbeResult result =
      probe_one(req, {.timeout = options.timeout, .retry_delay = options.retry_delay}, ctx);
  if (ctx != nullptr) {
    SSL_CTX_free(ctx);
  }
  std::printf("%s\n", probe_result_json(result).c_str());
  std::fflush(stdout);
  return result.status ? 0 : 1;
}

} // namespace slim::sensor
