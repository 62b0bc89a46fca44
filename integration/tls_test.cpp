// TLS to a second dockerd that this test starts itself on a loopback port, with a CA, server
// and client certificates made here with openssl. The daemon has its own data, exec and pid
// paths in a temp dir (no iptables, no bridge) and is stopped and removed at the end.
#include "slim/engine/client.hpp"
#include "slim/util/sha256.hpp"
#include "slim/util/temp_dir.hpp"
#include "support/support.hpp"

#include <array>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace slim::engine {
namespace {

/// A free TCP port on 127.0.0.1 (bound, read back, released).
int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw Error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Makes a CA and a certificate signed by it in `dir` (openssl CLI).
void make_certs(const std::string& dir) {
  std::string script = R"(set -e
cd ")" + dir + R"("
o() { openssl "$@" 2>/dev/null; }
o req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=slim-test-ca
o req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=localhost
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
o x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -days 2 -extfile server.ext
o req -newkey rsa:2048 -nodes -keyout key.pem -out client.csr -subj /CN=slim-test-client
printf 'extendedKeyUsage=clientAuth\n' > client.ext
o x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -days 2 -extfile client.ext
)";
  auto r = it::run_command(script);
  if (r.exit_code != 0) {
    throw Error("cannot make test certificates with openssl in `" + dir + "`: " + r.err);
  }
}

/// The second dockerd, shared by the tests of this file.
struct TlsDaemon {
  TempDir dir{"tls"};
  std::string certs;
  int port = 0;
  pid_t pid = -1;

  TlsDaemon() {
    certs = (dir.path() / "certs").string();
    std::filesystem::create_directories(certs);
    make_certs(certs);
    port = free_loopback_port();
    auto root = dir.path().string();
    std::ofstream(root + "/daemon.json") << "{}\n";
    std::vector<std::string> args = {"dockerd",
                                     "--config-file=" + root + "/daemon.json",
                                     "--tlsverify",
                                     "--tlscacert=" + certs + "/ca.pem",
                                     "--tlscert=" + certs + "/server-cert.pem",
                                     "--tlskey=" + certs + "/server-key.pem",
                                     "-H",
                                     "tcp://127.0.0.1:" + std::to_string(port),
                                     "-H",
                                     "unix://" + root + "/docker.sock",
                                     "--data-root=" + root + "/data",
                                     "--exec-root=" + root + "/exec",
                                     "--pidfile=" + root + "/docker.pid",
                                     "--iptables=false",
                                     "--bridge=none"};
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::string log = root + "/dockerd.log";
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    int rc = posix_spawnp(&pid, "dockerd", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      throw Error(errno_message("cannot start a second dockerd", "dockerd", rc));
    }
    wait_until_ready(root);
  }

  void wait_until_ready(const std::string& root) {
    ClientOptions options;
    options.endpoint = parse_docker_host("unix://" + root + "/docker.sock").value();
    options.call_timeout = std::chrono::seconds(5);
    Client local(std::move(options));
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      try {
        local.connect();
        return;
      } catch (const EngineError& e) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          pid = -1;
          throw Error("the test's dockerd exited; see `" + root + "/dockerd.log`");
        }
        if (std::chrono::steady_clock::now() > until) {
          throw Error(std::string("the test's dockerd did not answer within 30 s: ") + e.what());
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  ~TlsDaemon() {
    if (pid <= 0) {
      return;
    }
    ::kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300; ++i) { // up to 30 s, then force
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }

  TlsDaemon(const TlsDaemon&) = delete;
  TlsDaemon& operator=(const TlsDaemon&) = delete;

  /// An endpoint like DOCKER_HOST=tcp://HOST:PORT DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=certs.
  Endpoint endpoint(const std::string& host = "127.0.0.1") const {
    std::map<std::string, std::string> env = {
        {"DOCKER_HOST", "tcp://" + host + ":" + std::to_string(port)},
        {"DOCKER_TLS_VERIFY", "1"},
        {"DOCKER_CERT_PATH", certs}};
    return endpoint_from(std::nullopt, [env](const char* name) -> const char* {
      auto i = env.find(name);
      return i == env.end() ? nullptr : i->second.c_str();
    });
  }
};

class TlsTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() { s_daemon = new TlsDaemon(); }
  static void TearDownTestSuite() {
    delete s_daemon;
    s_daemon = nullptr;
  }
  void SetUp() override { ASSERT_NE(s_daemon, nullptr) << "the test's dockerd did not start"; }

  static Client client_for(Endpoint endpoint) {
    ClientOptions options;
    options.endpoint = std::move(endpoint);
    options.connect_timeout = std::chrono::seconds(5);
    options.call_timeout = std::chrono::seconds(30);
    return Client(std::move(options));
  }

  static TlsDaemon* s_daemon;
};

TlsDaemon* TlsTest::s_daemon = nullptr;

TEST_F(TlsTest, PingAndVersionOverTls) {
  auto endpoint = s_daemon->endpoint();
  EXPECT_TRUE(endpoint.tls);
  EXPECT_TRUE(endpoint.tls_verify);
  auto client = client_for(endpoint);
  client.connect();
  EXPECT_FALSE(client.ping().empty());
  EXPECT_FALSE(client.version().version.empty());
  EXPECT_FALSE(client.api_version().empty());
}

TEST_F(TlsTest, HostNameFromTheCertificate) {
  auto client = client_for(s_daemon->endpoint("localhost"));
  EXPECT_NO_THROW(client.connect());
}

TEST_F(TlsTest, StreamsBothWaysOverTls) {
  auto client = client_for(s_daemon->endpoint());
  client.connect();
  auto image = it::tiny_image("slim-test/tls-load:1");
  it::ImageGuard guard(client, image.id);
  EXPECT_EQ(client.load_images(it::string_source(image.archive)).image_id, image.id);
  std::string saved;
  client.save_images({image.id}, it::string_sink(saved));
  EXPECT_EQ(it::read_tar_files(saved).count("manifest.json"), 1u);
  try {
    client.inspect_image("slim-test/missing:1");
    FAIL() << "no error";
  } catch (const EngineError& e) {
    EXPECT_EQ(e.status(), 404);
  }
}

TEST_F(TlsTest, ServerSignedByAnotherCaIsRefused) {
  auto other = (s_daemon->dir.path() / "other-ca").string();
  std::filesystem::create_directories(other);
  make_certs(other); // a different CA; its client cert is not trusted by the daemon either
  auto endpoint = s_daemon->endpoint();
  endpoint.cert_path = other;
  auto client = client_for(endpoint);
  try {
    client.connect();
    FAIL() << "connected to a server signed by an unknown CA";
  } catch (const EngineError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind("TLS handshake with the Docker engine at `tcp://127.0.0.1:", 0), 0u) << msg;
    EXPECT_NE(msg.find("certificate verify failed"), std::string::npos) << msg;
  }
}

TEST_F(TlsTest, MissingClientCertificateIsRefused) {
  auto empty = (s_daemon->dir.path() / "no-client-cert").string();
  std::filesystem::create_directories(empty);
  std::filesystem::copy_file(s_daemon->certs + "/ca.pem", empty + "/ca.pem");
  auto endpoint = s_daemon->endpoint();
  endpoint.cert_path = empty;
  auto client = client_for(endpoint);
  try {
    client.connect();
    FAIL() << "connected without a client certificate";
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("cert.pem"), std::string::npos) << e.what();
  }
  // Without verification the client still tries; the daemon (--tlsverify) refuses it.
  endpoint.tls_verify = false;
  auto unverified = client_for(endpoint);
  EXPECT_THROW(unverified.connect(), EngineError);
}

TEST_F(TlsTest, PlainHttpToTheTlsPortSaysSo) {
  auto endpoint = s_daemon->endpoint();
  endpoint.tls = false;
  auto client = client_for(endpoint);
  try {
    client.connect();
    FAIL() << "plain HTTP worked on a TLS port";
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("expects TLS"), std::string::npos) << e.what();
  }
}

TEST_F(TlsTest, SlimVersionOverTls) {
  auto r = it::run_command("DOCKER_HOST=tcp://127.0.0.1:" + std::to_string(s_daemon->port) +
                           " DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=" + s_daemon->certs + " " +
                           it::slim_binary() + " version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("at tcp://127.0.0.1:" + std::to_string(s_daemon->port)), std::string::npos)
      << r.out;
}

// A docker context pointing at the test's TLS dockerd: chosen by --context, by DOCKER_CONTEXT
// and as the docker CLI's current context, with the context's own TLS files.
TEST_F(TlsTest, DockerContextsChooseTheSecondEngine) {
  namespace fs = std::filesystem;
  auto config = s_daemon->dir.path() / "docker-config";
  std::string id = sha256_hex("slim-tls");
  fs::create_directories(config / "contexts" / "meta" / id);
  fs::create_directories(config / "contexts" / "tls" / id / "docker");
  for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) {
    fs::copy_file(s_daemon->certs + "/" + f, config / "contexts" / "tls" / id / "docker" / f,
                  fs::copy_options::overwrite_existing);
  }
  {
    std::ofstream meta(config / "contexts" / "meta" / id / "meta.json");
    meta << R"({"Name":"slim-tls","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://localhost:)"
         << s_daemon->port << R"(","SkipTLSVerify":false}}})";
  }
  std::string env = "env -u DOCKER_HOST -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH DOCKER_CONFIG=" +
                    config.string() + " ";
  auto by_flag = it::run_command(env + it::slim_binary() + " --context slim-tls version");
  EXPECT_EQ(by_flag.exit_code, 0) << by_flag.err;
  EXPECT_NE(by_flag.out.find("localhost:" + std::to_string(s_daemon->port) + " (context slim-tls)"),
            std::string::npos)
      << by_flag.out;
  auto by_env = it::run_command(env + "DOCKER_CONTEXT=slim-tls " + it::slim_binary() + " version");
  EXPECT_NE(by_env.out.find("(context slim-tls)"), std::string::npos) << by_env.out << by_env.err;
  {
    std::ofstream cfg(config / "config.json");
    cfg << R"({"currentContext":"slim-tls"})";
  }
  auto current = it::run_command(env + it::slim_binary() + " version");
  EXPECT_NE(current.out.find("(context slim-tls)"), std::string::npos) << current.err;
  auto unknown = it::run_command(env + it::slim_binary() + " --context nope version");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no docker context `nope`"), std::string::npos) << unknown.err;
}

} // namespace
} // namespace slim::engine
