// HTTP/1.1 to the engine over a Unix socket, TCP or TLS: the only file that includes
// Boost.Asio/Beast. Every operation is asynchronous and driven by Io::wait, which runs the
// io_context until the operation completes, the call's deadline passes, or slim::cancel fires.
#include "transport.hpp"

#include "slim/engine/error_mapping.hpp"
#include "slim/util/cancel.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <filesystem>
#include <limits>
#include <optional>
#include <unistd.h>

namespace slim::engine::detail {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

constexpr std::size_t k_chunk = 64 * 1024;

/// State one asynchronous operation reports into; shared so a late handler never dangles.
struct OpState {
  bool done = false;
  error_code ec;
  std::size_t bytes = 0;
};
using Op = std::shared_ptr<OpState>;

Op new_op() {
  return std::make_shared<OpState>();
}

auto completion(const Op& op) {
  return [op](error_code ec, std::size_t bytes = 0) {
    op->done = true;
    op->ec = ec;
    op->bytes = bytes;
  };
}

long seconds_of(std::chrono::milliseconds ms) {
  return static_cast<long>((ms.count() + 999) / 1000);
}

/// The io_context and the cancellation watcher of one connection.
class Io {
public:
  Io() : m_cancel(ioc) {
    int fd = cancel::fd();
    int copy = fd >= 0 ? ::dup(fd) : -1;
    if (copy >= 0) {
      m_cancel.assign(copy);
      // Only wakes run_one_until up; cancel::requested() is what the loop checks.
      m_cancel.async_wait(asio::posix::stream_descriptor::wait_read, [](error_code) {});
    }
  }

  /// Runs handlers until `done()`; returns false when `deadline` passed first. On deadline or
  /// cancellation calls `abort` (which must make pending operations complete) and drains them;
  /// throws Cancelled when cancellation was requested.
  template <typename Done, typename Abort>
  bool wait(const Done& done, Clock::time_point deadline, const Abort& abort) {
    for (;;) {
      if (done()) {
        return true;
      }
      bool cancelled = cancel::requested();
      if (cancelled || Clock::now() >= deadline) {
        abort();
        auto drain_until = Clock::now() + std::chrono::seconds(2);
        while (!done() && Clock::now() < drain_until) {
          restart_if_stopped();
          ioc.run_one_for(std::chrono::milliseconds(50));
        }
        if (cancelled) {
          throw Cancelled();
        }
        return false;
      }
      restart_if_stopped();
      ioc.run_one_until(deadline);
    }
  }

  asio::io_context ioc;

private:
  void restart_if_stopped() {
    if (ioc.stopped()) {
      ioc.restart();
    }
  }
  asio::posix::stream_descriptor m_cancel;
};

template <typename T> struct IsSsl : std::false_type {};
template <typename T> struct IsSsl<asio::ssl::stream<T>> : std::true_type {};

bool is_eof(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

template <typename Stream> class StreamConnection final : public Connection {
public:
  StreamConnection(std::unique_ptr<Io> io, std::unique_ptr<asio::ssl::context> ssl,
                   std::unique_ptr<Stream> stream, const Endpoint& endpoint,
                   Clock::time_point deadline)
      : m_io(std::move(io)), m_ssl(std::move(ssl)), m_stream(std::move(stream)),
        m_display(endpoint.display), m_deadline(deadline) {
    m_host = endpoint.kind == Endpoint::Kind::unix_socket ? std::string("docker")
                                                          : endpoint.host + ":" + endpoint.port;
  }

  ~StreamConnection() override {
    error_code ec;
    lowest().close(ec);
  }

  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  void set_deadline(Clock::time_point deadline) override { m_deadline = deadline; }

  HttpResponse send(const HttpRequest& r) override {
    check_usable();
    m_what = r.method + " " + r.target;
    m_upgrade = r.upgrade;
    if (r.source == nullptr) {
      http::request<http::string_body> req{http::string_to_verb(r.method), r.target, 11};
      set_fields(req, r);
      req.body() = r.body;
      req.prepare_payload();
      auto op = new_op();
      http::async_write(*m_stream, req, completion(op));
      wait_for(op);
      if (op->ec) {
        broken("cannot send", op->ec);
      }
      auto rd = start_read_header();
      wait_for(rd);
      return finish_header(rd);
    }
    return send_streaming(r);
  }

  void read_body(const ByteSink& sink) override {
    check_usable();
    if (m_raw) {
      duplex({}, sink);
      return;
    }
    if (!m_parser || m_parser->is_done()) {
      return;
    }
    std::vector<char> buf(k_chunk);
    while (!m_parser->is_done()) {
      auto& body = m_parser->get().body();
      body.data = buf.data();
      body.size = buf.size();
      auto op = new_op();
      http::async_read(*m_stream, m_buffer, *m_parser, completion(op));
      wait_for(op);
      std::size_t got = buf.size() - m_parser->get().body().size;
      if (got > 0) {
        sink(buf.data(), got);
      }
      error_code ec = op->ec;
      if (ec == http::error::need_buffer) {
        continue;
      }
      if (ec == asio::ssl::error::stream_truncated && !m_parser->chunked() &&
          !m_parser->content_length()) {
        error_code eof_ec;
        m_parser->put_eof(eof_ec); // a body delimited by the end of the connection
        ec = eof_ec;
      }
      if (ec) {
        broken("lost the connection while reading the answer to", ec);
      }
    }
  }

  void duplex(const ByteSource& in, const ByteSink& sink) override {
    check_usable();
    if (m_buffer.size() > 0) { // bytes that arrived with the response header
      auto b = m_buffer.data();
      sink(static_cast<const char*>(b.data()), b.size());
    }
    m_buffer.consume(m_buffer.size());
    std::vector<char> rbuf(k_chunk);
    std::vector<char> wbuf(k_chunk);
    Op rd;
    Op wr;
    bool write_done = !in;
    for (;;) {
      if (!rd) {
        rd = new_op();
        m_stream->async_read_some(asio::buffer(rbuf), completion(rd));
      }
      if (!wr && !write_done) {
        std::size_t n = in(wbuf.data(), wbuf.size());
        if (n == 0) {
          write_done = true;
          half_close();
        } else {
          wr = new_op();
          asio::async_write(*m_stream, asio::buffer(wbuf.data(), n), completion(wr));
        }
      }
      wait_until([&] { return rd->done || (wr && wr->done); });
      if (wr && wr->done) {
        if (wr->ec) {
          write_done = true; // the other side stopped reading (the command ended)
        }
        wr.reset();
      }
      if (rd->done) {
        Op finished = std::move(rd);
        rd.reset();
        if (finished->bytes > 0) {
          sink(rbuf.data(), finished->bytes);
        }
        if (is_eof(finished->ec)) {
          break;
        }
        if (finished->ec) {
          broken("lost the connection while reading the stream of", finished->ec);
        }
      }
    }
    if (wr) {
      error_code ec;
      lowest().close(ec);
      wait_until([&] { return wr->done; });
    }
  }

private:
  auto& lowest() {
    if constexpr (IsSsl<Stream>::value) {
      return m_stream->next_layer();
    } else {
      return *m_stream;
    }
  }

  void half_close() {
    if constexpr (!IsSsl<Stream>::value) {
      error_code ec;
      m_stream->shutdown(asio::socket_base::shutdown_send, ec);
    }
    // TLS has no half-close the engine understands; the stream ends when the command does.
  }

  template <typename Request> void set_fields(Request& req, const HttpRequest& r) {
    req.set(http::field::host, m_host);
    req.set(http::field::user_agent, std::string("slim/") + SLIM_VERSION);
    if (r.upgrade) {
      req.set(http::field::connection, "Upgrade");
      req.set(http::field::upgrade, "tcp");
    } else {
      req.set(http::field::connection, "close");
    }
    for (const auto& [name, value] : r.headers) {
      req.set(name, value);
    }
  }

  HttpResponse send_streaming(const HttpRequest& r) {
    http::request<http::buffer_body> req{http::string_to_verb(r.method), r.target, 11};
    set_fields(req, r);
    req.chunked(true);
    http::request_serializer<http::buffer_body> sr{req};
    auto op = new_op();
    http::async_write_header(*m_stream, sr, completion(op));
    wait_for(op);
    if (op->ec) {
      broken("cannot send", op->ec);
    }
    // Read the answer while uploading: the engine may refuse early (404, 400) and stop reading.
    auto rd = start_read_header();
    std::vector<char> buf(k_chunk);
    error_code write_error;
    for (;;) {
      if (rd->done) {
        break;
      }
      std::size_t n = (*r.source)(buf.data(), buf.size());
      req.body().data = n > 0 ? buf.data() : nullptr;
      req.body().size = n;
      req.body().more = n > 0;
      auto wr = new_op();
      http::async_write(*m_stream, sr, completion(wr));
      wait_for(wr);
      if (wr->ec == http::error::need_buffer) {
        continue;
      }
      if (wr->ec) {
        write_error = wr->ec;
        break;
      }
      if (n == 0) {
        break;
      }
    }
    wait_for(rd);
    if (rd->ec && write_error) {
      broken("cannot send the body of", write_error);
    }
    return finish_header(rd);
  }

  Op start_read_header() {
    m_parser.emplace();
    m_parser->header_limit(64 * 1024);
    m_parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    auto rd = new_op();
    http::async_read_header(*m_stream, m_buffer, *m_parser, completion(rd));
    return rd;
  }

  HttpResponse finish_header(const Op& rd) {
    if (rd->ec) {
      broken("no answer to", rd->ec);
    }
    HttpResponse response;
    const auto& msg = m_parser->get();
    response.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      response.headers[name] = std::string(field.value());
    }
    bool unframed = !m_parser->chunked() && !m_parser->content_length();
    m_raw = m_upgrade && (response.status == 101 || (response.status == 200 && unframed));
    response.raw = m_raw;
    return response;
  }

  template <typename Done> void wait_until(const Done& done) {
    bool ok = m_io->wait(done, m_deadline, [this] {
      error_code ec;
      lowest().close(ec);
    });
    if (!ok) {
      m_dead = true;
      throw TimeoutError("the Docker engine at `" + m_display + "` did not finish `" + m_what +
                         "` in time");
    }
  }

  void wait_for(const Op& op) {
    try {
      wait_until([&op] { return op->done; });
    } catch (...) {
      m_dead = true;
      throw;
    }
  }

  [[noreturn]] void broken(const std::string& what, const error_code& ec) {
    m_dead = true;
    throw EngineError(0, what + " `" + m_what + "` (Docker engine at `" + m_display +
                             "`): " + ec.message());
  }

  void check_usable() const {
    if (m_dead) {
      throw EngineError(0, "the connection to the Docker engine at `" + m_display +
                               "` is no longer usable");
    }
  }

  std::unique_ptr<Io> m_io;
  std::unique_ptr<asio::ssl::context> m_ssl;
  std::unique_ptr<Stream> m_stream;
  std::string m_display;
  std::string m_host;
  Clock::time_point m_deadline;
  std::string m_what;
  bool m_upgrade = false;
  bool m_raw = false;
  bool m_dead = false;
  boost::beast::flat_buffer m_buffer;
  std::optional<http::response_parser<http::buffer_body>> m_parser;
};

[[noreturn]] void unreachable(const Endpoint& endpoint, const std::string& reason,
                              bool tls = false) {
  throw EngineError(0, unreachable_message(endpoint, reason, tls));
}

std::unique_ptr<asio::ssl::context> tls_context(const Endpoint& endpoint) {
  namespace fs = std::filesystem;
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  fs::path dir = endpoint.cert_path;
  auto load = [&](const fs::path& file, const char* what, auto&& fn) {
    error_code ec;
    fn(file.string(), ec);
    if (ec) {
      throw EngineError(0, std::string("cannot load the TLS ") + what + " `" + file.string() +
                               "`: " + ec.message() + " (set DOCKER_CERT_PATH)");
    }
  };
  if (endpoint.tls_verify) {
    load(dir / "ca.pem", "CA certificate",
         [&](const std::string& f, error_code& ec) { ctx->load_verify_file(f, ec); });
    ctx->set_verify_mode(asio::ssl::verify_peer);
    ctx->set_verify_callback(asio::ssl::host_name_verification(endpoint.host));
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none);
  }
  // The client certificate: required with --tlsverify on the daemon, optional otherwise.
  bool have_cert = fs::exists(dir / "cert.pem") && fs::exists(dir / "key.pem");
  if (have_cert) {
    load(dir / "cert.pem", "client certificate",
         [&](const std::string& f, error_code& ec) { ctx->use_certificate_chain_file(f, ec); });
    load(dir / "key.pem", "client key", [&](const std::string& f, error_code& ec) {
      ctx->use_private_key_file(f, asio::ssl::context::pem, ec);
    });
  } else if (endpoint.tls_verify) {
    throw EngineError(0, "cannot load the TLS client certificate: `" + (dir / "cert.pem").string() +
                             "` or `" + (dir / "key.pem").string() +
                             "` is missing (set DOCKER_CERT_PATH)");
  }
  return ctx;
}

std::unique_ptr<Connection> open_unix(const Endpoint& endpoint, std::unique_ptr<Io> io,
                                      Clock::time_point connect_deadline,
                                      Clock::time_point deadline, long timeout_s) {
  using Socket = asio::local::stream_protocol::socket;
  auto sock = std::make_unique<Socket>(io->ioc);
  if (endpoint.path.size() >= 108) {
    unreachable(endpoint, "the socket path is too long");
  }
  auto op = new_op();
  sock->async_connect(asio::local::stream_protocol::endpoint(endpoint.path), completion(op));
  bool ok = io->wait([&op] { return op->done; }, connect_deadline,
                     [&sock] {
                       error_code ec;
                       sock->close(ec);
                     });
  if (!ok) {
    unreachable(endpoint, "no connection within " + std::to_string(timeout_s) + " s");
  }
  if (op->ec) {
    unreachable(endpoint, op->ec.message());
  }
  return std::make_unique<StreamConnection<Socket>>(std::move(io), nullptr, std::move(sock),
                                                    endpoint, deadline);
}

std::unique_ptr<Connection> open_tcp(const Endpoint& endpoint, std::unique_ptr<Io> io,
                                     Clock::time_point connect_deadline, Clock::time_point deadline,
                                     long timeout_s) {
  using Tcp = asio::ip::tcp;
  auto timed_out = [&] {
    unreachable(endpoint, "no connection within " + std::to_string(timeout_s) + " s");
  };
  Tcp::resolver resolver(io->ioc);
  Tcp::resolver::results_type results;
  auto op = new_op();
  resolver.async_resolve(endpoint.host, endpoint.port,
                         [op, &results](error_code ec, Tcp::resolver::results_type r) {
                           op->done = true;
                           op->ec = ec;
                           results = std::move(r);
                         });
  if (!io->wait([&op] { return op->done; }, connect_deadline, [&resolver] { resolver.cancel(); })) {
    timed_out();
  }
  if (op->ec) {
    unreachable(endpoint, "cannot resolve `" + endpoint.host + "`: " + op->ec.message());
  }
  Tcp::socket sock(io->ioc);
  op = new_op();
  asio::async_connect(sock, results, [op](error_code ec, const Tcp::endpoint&) {
    op->done = true;
    op->ec = ec;
  });
  auto close = [&sock] {
    error_code ec;
    sock.close(ec);
  };
  if (!io->wait([&op] { return op->done; }, connect_deadline, close)) {
    timed_out();
  }
  if (op->ec) {
    unreachable(endpoint, op->ec.message());
  }
  sock.set_option(Tcp::no_delay(true));
  if (!endpoint.tls) {
    auto plain = std::make_unique<Tcp::socket>(std::move(sock));
    return std::make_unique<StreamConnection<Tcp::socket>>(std::move(io), nullptr, std::move(plain),
                                                           endpoint, deadline);
  }
  using Tls = asio::ssl::stream<Tcp::socket>;
  auto ctx = tls_context(endpoint);
  auto tls = std::make_unique<Tls>(std::move(sock), *ctx);
  error_code addr_ec;
  asio::ip::make_address(endpoint.host, addr_ec);
  if (addr_ec) { // SNI only for names, not addresses
    SSL_set_tlsext_host_name(tls->native_handle(), endpoint.host.c_str());
  }
  op = new_op();
  tls->async_handshake(asio::ssl::stream_base::client, [op](error_code ec) {
    op->done = true;
    op->ec = ec;
  });
  if (!io->wait([&op] { return op->done; }, connect_deadline,
                [&tls] {
                  error_code ec;
                  tls->next_layer().close(ec);
                })) {
    timed_out();
  }
  if (op->ec) {
    unreachable(endpoint, op->ec.message(), true);
  }
  return std::make_unique<StreamConnection<Tls>>(std::move(io), std::move(ctx), std::move(tls),
                                                 endpoint, deadline);
}

} // namespace

std::unique_ptr<Connection> open_connection(const Endpoint& endpoint,
                                            std::chrono::milliseconds connect_timeout,
                                            Clock::time_point deadline) {
  cancel::throw_if_requested();
  auto io = std::make_unique<Io>();
  auto connect_deadline = std::min(deadline, Clock::now() + connect_timeout);
  long timeout_s = seconds_of(connect_timeout);
  if (endpoint.kind == Endpoint::Kind::unix_socket) {
    return open_unix(endpoint, std::move(io), connect_deadline, deadline, timeout_s);
  }
  return open_tcp(endpoint, std::move(io), connect_deadline, deadline, timeout_s);
}

std::string read_body_string(Connection& connection, std::size_t limit) {
  std::string out;
  connection.read_body([&out, limit](const char* data, std::size_t size) {
    if (out.size() + size > limit) {
      throw EngineError(0, "the engine's answer is larger than " + std::to_string(limit >> 20) +
                               " MiB");
    }
    out.append(data, size);
  });
  return out;
}

} // namespace slim::engine::detail
