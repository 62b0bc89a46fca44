// The first run just works: `slim build IMAGE` with no flags on images that a first run got
// wrong before (assets only linked, a service that is not HTTP, answers that change between
// runs, a CGI page reachable only by a link). Each result is checked from outside, as clients
// see it, against the original; negative controls must still fail the verification (exit 2)
// and name what broke. The crawl's probe counts and the tolerated drift are printed.
#include "support/served.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>

namespace slim::it {
namespace {

struct Built {
  CommandResult run;
  nlohmann::json report;
  std::filesystem::path profile;
  std::string tag;
};

class FirstRun : public ::testing::Test {
protected:
  // `slim build slim-fixture/NAME:latest` run in a private directory, so the report and the
  // profile land at their default paths: no flags but `flags`.
  Built build(const std::string& fixture, const std::string& flags = "") {
    Built b;
    b.tag = "slim-fixture/" + fixture + ".slim:latest";
    b.profile = m_dir / (fixture + "-seccomp.json");
    b.run = run_command("cd " + m_dir.path().string() + " && " + slim_binary() + " build " + flags +
                            " slim-fixture/" + fixture + ":latest",
                        std::chrono::seconds(600));
    auto text = read_text(m_dir / "slim.report.json");
    b.report = nlohmann::json::parse(text.empty() ? "{}" : text, nullptr, false);
    return b;
  }

  TestDir m_dir{"slim-it-first"};
};

// The probes of the original run by source ("default", "user", "crawl") and their paths.
std::multiset<std::string> probe_urls(const nlohmann::json& report, const std::string& source) {
  std::multiset<std::string> out;
  for (const auto& p : report["probes"]["original"]["probes"]) {
    if (p.value("source", "") == source) {
      out.insert(p.value("url", ""));
    }
  }
  return out;
}

void print_summary(const std::string& fixture, const Built& b) {
  auto crawled = probe_urls(b.report, "crawl").size();
  std::printf("[ crawl    ] %-8s %zu probe(s) added by the crawl\n", fixture.c_str(), crawled);
  for (const auto& d : b.report["drift"]) {
    std::printf("[ drift    ] %-8s %s: %s\n", fixture.c_str(), d.value("what", "").c_str(),
                d.value("tolerated", "").c_str());
  }
}

bool kept(const nlohmann::json& report, const std::string& path) {
  for (const auto& p : report["paths"]) {
    if (p.value("path", "") == path) {
      return true;
    }
  }
  return false;
}

TEST_F(FirstRun, StaticSiteWithOnlyLinkedAssetsIsCrawledAndWorks) {
  auto client = connect_client();
  auto b = build("site");
  ImageGuard guard(client, b.tag);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  print_summary("site", b);
  auto crawled = probe_urls(b.report, "crawl");
  for (const char* path :
       {"/css/site.css", "/css/print.css", "/img/bg.png", "/js/app.js", "/img/logo.png",
        "/img/logo@2x.png", "/favicon.ico", "/about/", "/img/team.jpg", "/news.html"}) {
    EXPECT_EQ(crawled.count(std::string("http://127.0.0.1:8080") + path), 1u) << path;
  }
  for (const auto& url : crawled) {
    EXPECT_EQ(url.rfind("http://127.0.0.1:8080/", 0), 0u) << "left the origin: " << url;
  }
  EXPECT_FALSE(kept(b.report, "/srv/www/img/unlinked.png"));
  EXPECT_TRUE(kept(b.report, "/srv/www/img/logo@2x.png"));

  ServedImage original("slim-fixture/site:latest", b.profile);
  ServedImage slim(b.tag, b.profile);
  for (const char* path :
       {"/", "/css/site.css", "/css/print.css", "/img/bg.png", "/js/app.js", "/img/logo.png",
        "/img/logo@2x.png", "/favicon.ico", "/about/", "/img/team.jpg", "/news.html"}) {
    SCOPED_TRACE(path);
    auto want = original.get(8080, path);
    auto got = slim.get(8080, path);
    EXPECT_EQ(want.status, 200);
    EXPECT_EQ(got.status, want.status);
    EXPECT_EQ(got.body, want.body);
  }
}

TEST_F(FirstRun, PagesThatChangeOnEveryRunVerifyAndTheDriftIsNamed) {
  auto client = connect_client();
  auto b = build("dynamic");
  ImageGuard guard(client, b.tag);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  print_summary("dynamic", b);
  auto crawled = probe_urls(b.report, "crawl");
  EXPECT_EQ(crawled.count("http://127.0.0.1:8000/status"), 1u);
  EXPECT_EQ(crawled.count("http://127.0.0.1:8000/report?text=Stra%C3%9Fe"), 1u);
  EXPECT_EQ(crawled.count("http://127.0.0.1:8000/static/app.css"), 1u);
  // The page, the status and the health check's headers all drift: each must be named.
  EXPECT_FALSE(b.report["drift"].empty()) << b.report["drift"].dump();
  EXPECT_TRUE(b.report["differences"].empty()) << b.report["differences"].dump();

  ServedImage slim(b.tag, b.profile);
  auto page = slim.get(8000, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("A dynamic page"), std::string::npos) << page.body;
  auto status = nlohmann::json::parse(slim.get(8000, "/status").body, nullptr, false);
  EXPECT_EQ(status.value("status", ""), "ok");
  auto report = nlohmann::json::parse(slim.get(8000, "/report").body, nullptr, false);
  EXPECT_EQ(report.value("nfkc", ""), "Straße fine 1") << report.dump();
}

TEST_F(FirstRun, ServiceThatIsNotHttpIsConnectedToAndWorks) {
  auto client = connect_client();
  auto b = build("redis");
  ImageGuard guard(client, b.tag);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  print_summary("redis", b);
  // 6379 is a well-known non-HTTP port: no HTTP request is sent to it, only a connection.
  auto probes = b.report["probes"]["original"]["probes"];
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].value("url", ""), "tcp://127.0.0.1:6379");
  EXPECT_EQ(probes[0].value("connected", false), true);

  ServedImage slim(b.tag, b.profile);
  auto ping = slim.client("slim-fixture/redis:latest",
                          "sh -c 'for i in $(seq 40); do redis-cli ping && break; sleep 0.25; "
                          "done; redis-cli set k v; redis-cli get k'");
  EXPECT_EQ(ping.exit_code, 0) << ping.err;
  EXPECT_NE(ping.out.find("PONG"), std::string::npos) << ping.out;
  EXPECT_NE(ping.out.find("OK\nv\n"), std::string::npos) << ping.out;
}

TEST_F(FirstRun, DefaultProbeOnAPortThatAnswersNoHttpFallsBackToConnectingWithAWarning) {
  auto client = connect_client();
  // Redis on a port that is not well known: the default probe sends HTTP, gets no answer,
  // tries HTTPS, then only connects.
  auto b = build("redis", "--cmd 'redis-server --port 7777 --protected-mode no --save \"\"' "
                          "--http-probe-ports 7777");
  ImageGuard guard(client, b.tag);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  EXPECT_NE(b.run.err.find("port 7777 accepts connections but answers neither HTTP nor HTTPS"),
            std::string::npos)
      << b.run.err;
  EXPECT_EQ(probe_urls(b.report, "default").count("tcp://127.0.0.1:7777"), 1u);
  // An explicit HTTP probe there stays an error: the user asked for HTTP.
  auto strict = build("redis", "--cmd 'redis-server --port 7777 --protected-mode no' "
                               "--http-probe-ports 7777 --http-probe-cmd 'GET /'");
  EXPECT_EQ(strict.run.exit_code, 1) << strict.run.err;
  EXPECT_NE(strict.run.err.find("got no HTTP answer"), std::string::npos) << strict.run.err;
}

TEST_F(FirstRun, CgiPageReachableOnlyByALinkWorks) {
  auto client = connect_client();
  auto b = build("cgi");
  ImageGuard guard(client, b.tag);
  ASSERT_EQ(b.run.exit_code, 0) << b.run.out << b.run.err;
  print_summary("cgi", b);
  EXPECT_EQ(probe_urls(b.report, "crawl").count("http://127.0.0.1:8080/cgi-bin/filetype.cgi"), 1u);
  ServedImage slim(b.tag, b.profile);
  auto cgi = slim.get(8080, "/cgi-bin/filetype.cgi");
  EXPECT_EQ(cgi.status, 200);
  EXPECT_EQ(cgi.body, "index.html: text/html\n");
}

// Negative controls: slimming damage must still fail the build, naming what broke.
TEST_F(FirstRun, ExcludingALinkedAssetFailsVerificationNamingIt) {
  auto client = connect_client();
  auto b = build("site", "--exclude-pattern '/srv/www/img/logo.png'");
  ImageGuard guard(client, b.tag);
  EXPECT_EQ(b.run.exit_code, 2) << b.run.out << b.run.err;
  EXPECT_NE(b.run.err.find("http://127.0.0.1:8080/img/logo.png"), std::string::npos) << b.run.err;
  EXPECT_NE(b.run.err.find("404"), std::string::npos) << b.run.err;
}

TEST_F(FirstRun, ExcludingALibraryACgiNeedsFailsVerificationNamingIt) {
  auto client = connect_client();
  auto b = build("cgi", "--exclude-pattern '**/libmagic.so*'");
  ImageGuard guard(client, b.tag);
  EXPECT_EQ(b.run.exit_code, 2) << b.run.out << b.run.err;
  EXPECT_NE(b.run.err.find("/cgi-bin/filetype.cgi"), std::string::npos) << b.run.err;
  EXPECT_NE(b.run.err.find("libmagic.so.1"), std::string::npos) << b.run.err;
}

TEST_F(FirstRun, ExcludingAModuleTheAppImportsLazilyFailsVerificationNamingIt) {
  auto client = connect_client();
  auto b = build("dynamic", "--exclude-pattern '**/difflib*'");
  ImageGuard guard(client, b.tag);
  EXPECT_EQ(b.run.exit_code, 2) << b.run.out << b.run.err;
  EXPECT_NE(b.run.err.find("/report"), std::string::npos) << b.run.err;
  EXPECT_NE(b.run.err.find("difflib"), std::string::npos) << b.run.err;
}

TEST_F(FirstRun, VerifyStrictToleratesNoDrift) {
  auto client = connect_client();
  auto b = build("dynamic", "--verify-strict");
  ImageGuard guard(client, b.tag);
  EXPECT_EQ(b.run.exit_code, 2) << b.run.out << b.run.err;
  // Nothing is tolerated as masked or similar: what the original itself answered differently
  // twice is only listed as not compared.
  for (const auto& d : b.report["drift"]) {
    EXPECT_EQ(d.value("tolerated", "").rfind("not compared", 0), 0u) << d.dump();
  }
  EXPECT_FALSE(b.report["differences"].empty());
}

} // namespace
} // namespace slim::it
