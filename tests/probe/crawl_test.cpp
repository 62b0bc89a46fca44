#include "slim/probe/crawl.hpp"

#include <gtest/gtest.h>

namespace slim::probe {
namespace {

using Paths = std::vector<std::string>;

ProbeRequest start(std::string path = "/", int port = 8080, std::string protocol = "http") {
  return {.path = std::move(path),
          .port = port,
          .protocol = std::move(protocol),
          .source = ProbeSource::automatic,
          .crawl = true};
}

ProbeOutcome answer(const ProbeRequest& request, int status, std::string content_type,
                    std::string body, std::string location = "") {
  ProbeOutcome o;
  o.request = request;
  o.connected = true;
  o.status = status;
  o.content_type = std::move(content_type);
  o.body = std::move(body);
  o.size = static_cast<std::int64_t>(o.body.size());
  o.location = std::move(location);
  return o;
}

ProbeOutcome page(const ProbeRequest& request, std::string body) {
  return answer(request, 200, "text/html; charset=utf-8", std::move(body));
}

Paths paths(const std::vector<ProbeRequest>& requests) {
  Paths out;
  for (const auto& r : requests) {
    out.push_back(r.path);
  }
  return out;
}

TEST(Crawl, StaticSiteFollowsSameOriginLinksOnly) {
  Crawler crawler({});
  auto root = start();
  crawler.add_known(root);
  auto next = crawler.next({page(root, R"html(<!doctype html><html><head>
    <link rel="stylesheet" href="/css/style.css">
    <link rel="icon" href="favicon.ico"><link rel="preconnect" href="//localhost:8080/pre">
    <script src="js/app.js?v=1.2"></script>
    <script src="https://cdn.example.com/jquery.js"></script>
    <link href="//fonts.example.org/css?family=Roboto" rel="stylesheet">
  </head><body>
    <a href="/"><img src="img/logo.png" srcset="img/logo@2x.png 2x, img/logo@3x.png 3x"></a>
    <a href="http://localhost:8080/a?b=1#top">absolute, same origin</a>
    <a href="http://127.0.0.1:8080/c">ip</a> <a href="http://[::1]:8080/d">v6</a>
    <a href="http://0.0.0.0:8080/e">any</a> <a href="//localhost:8080/f">protocol-relative</a>
    <a href="https://localhost:8080/other-scheme">x</a> <a href="http://localhost:9090/port">x</a>
    <a href="http://example.com:8080/host">x</a> <a href="http://127.0.0.2:8080/ip">x</a>
    <a href="#section">x</a> <a href="page.html#frag">x</a> <a href="page.html">again</a>
    <a href="mailto:x@example.com">x</a> <a href="javascript:go()">x</a> <a href="tel:1">x</a>
    <a href="search?q=a+b&amp;page=2">query kept</a> <a href="/a b/">space</a>
  </body></html>)html")});
  EXPECT_EQ(paths(next),
            (Paths{"/css/style.css", "/favicon.ico", "/js/app.js?v=1.2", "/img/logo.png",
                   "/img/logo@2x.png", "/img/logo@3x.png", "/a?b=1", "/c", "/d", "/e", "/f",
                   "/page.html", "/search?q=a+b&page=2", "/a%20b/"}));
  for (const auto& r : next) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.port, 8080);
    EXPECT_EQ(r.protocol, "http");
    EXPECT_EQ(r.source, ProbeSource::crawl);
    EXPECT_TRUE(r.crawl);
    EXPECT_EQ(r.depth, 1);
    EXPECT_EQ(r.found_on, "http://127.0.0.1:8080/");
    EXPECT_TRUE(r.headers.empty());
    EXPECT_TRUE(r.body.empty());
  }
  EXPECT_EQ(crawler.crawled(), next.size());
  EXPECT_FALSE(crawler.limit_reached());

  // the next level: the stylesheet's url() and @import resolve against the stylesheet
  auto css = answer(next[0], 200, "text/css",
                    "@import 'theme.css'; body{background:url(../img/bg.png)} "
                    "@font-face{src:url(/fonts/a.woff2)} .x{background:url(/img/logo.png)}");
  auto js = answer(next[2], 200, "application/javascript", "var a = '<a href=/no>';");
  auto level2 = crawler.next({css, js});
  EXPECT_EQ(paths(level2), (Paths{"/css/theme.css", "/img/bg.png", "/fonts/a.woff2"}));
  for (const auto& r : level2) {
    EXPECT_EQ(r.depth, 2);
    EXPECT_EQ(r.found_on, "http://127.0.0.1:8080/css/style.css");
  }
  EXPECT_EQ(crawler.crawled(), next.size() + 3);
}

TEST(Crawl, LoopsAndRepeatsAreRequestedOnce) {
  Crawler crawler({});
  auto root = start("/a");
  crawler.add_known(root);
  auto l1 = crawler.next({page(root, "<a href=/b>b</a><a href=/a>self</a><a href=a>self</a>")});
  ASSERT_EQ(paths(l1), (Paths{"/b"}));
  auto l2 = crawler.next({page(l1[0], "<a href=/a>back</a><a href=/b>self</a><a href=./b>")});
  EXPECT_TRUE(l2.empty());
  // two pages of one level linking to the same new page: handed out once, in order
  Crawler c2({});
  auto p = start("/p");
  auto q = start("/q");
  auto both = c2.next({page(p, "<a href=/shared><a href=/only-p>"),
                       page(q, "<a href=/shared><a href=/only-q><a href=/p>")});
  EXPECT_EQ(paths(both), (Paths{"/shared", "/only-p", "/only-q"}));
  EXPECT_EQ(both[0].found_on, "http://127.0.0.1:8080/p");
  EXPECT_EQ(both[2].found_on, "http://127.0.0.1:8080/q");
  EXPECT_EQ(c2.crawled(), 3u);
}

TEST(Crawl, KnownRequestsAreNeverHandedOut) {
  Crawler crawler({});
  auto root = start();
  crawler.add_known(root);
  crawler.add_known({.path = "/health", .port = 8080});
  crawler.add_known({.path = "/everywhere", .port = 0}); // a user probe of every port
  crawler.add_known({.method = "POST", .path = "/login", .port = 8080});
  crawler.add_known({.path = "/on-9090", .port = 9090});
  auto next = crawler.next(
      {page(root, "<a href=/health><a href=/everywhere><a href=/login><a href=/on-9090>")});
  // GET /login is not the known POST; /on-9090 was known on another port only
  EXPECT_EQ(paths(next), (Paths{"/login", "/on-9090"}));
}

TEST(Crawl, OnlyCrawlAnswersWithAStatusAreFollowed) {
  Crawler crawler({});
  auto user = start("/user");
  user.crawl = false;
  auto failed = answer(start("/down"), 200, "text/html", "<a href=/no-status>");
  failed.status.reset();
  failed.error = "connection refused";
  auto tcp = answer(start("/", 6379, "tcp"), 200, "text/html", "<a href=/tcp>");
  auto next = crawler.next({page(user, "<a href=/not-followed>"), failed, tcp,
                            answer(start("/404"), 404, "text/html", "<a href=/from-404>"),
                            answer(start("/500"), 500, "text/html", "<a href=/from-500>"),
                            answer(start("/204"), 204, "", ""),
                            answer(start("/ok"), 200, "text/html", "<a href=/from-200>")});
  EXPECT_EQ(paths(next), (Paths{"/from-200"}));
}

TEST(Crawl, RedirectsFollowTheirLocation) {
  Crawler crawler({});
  auto old = start("/old/page");
  auto next = crawler.next(
      {answer(old, 301, "text/html", "<a href=/body-of-redirect>", "new-page?x=1#frag"),
       answer(start("/moved"), 302, "", "", "http://localhost:8080/absolute"),
       answer(start("/away"), 307, "", "", "https://login.example.com/"),
       answer(start("/tls"), 308, "", "", "https://localhost:8080/"),
       answer(start("/none"), 304, "", "")});
  EXPECT_EQ(paths(next), (Paths{"/old/new-page?x=1", "/absolute"}));
  EXPECT_EQ(next[0].found_on, "http://127.0.0.1:8080/old/page");
}

TEST(Crawl, BaseHrefChangesHowLinksResolve) {
  Crawler crawler({});
  auto post = start("/blog/2024/post.html");
  auto next = crawler.next({page(post, R"(<head><base href="/static/v2/"></head>
      <link rel=stylesheet href="css/site.css"><img src="../logo.png"><a href="/abs">
      <a href="?page=2">)")});
  EXPECT_EQ(paths(next),
            (Paths{"/static/v2/css/site.css", "/static/logo.png", "/abs", "/static/v2/?page=2"}));
  // a base on another host takes the relative links with it
  auto cdn = crawler.next({page(start("/cdn-page"), R"(<base href="https://cdn.example.com/">
      <img src="relative.png"><img src="http://localhost:8080/still-ours.png">)")});
  EXPECT_EQ(paths(cdn), (Paths{"/still-ours.png"}));
  // a base that is no URL is ignored
  auto bad = crawler.next(
      {page(start("/dir/bad-base"), "<base href=\"javascript:x\"><img src=\"img.png\">")});
  EXPECT_EQ(paths(bad), (Paths{"/dir/img.png"}));
}

TEST(Crawl, MetaRefreshFormsAndDirectoryListing) {
  Crawler crawler({});
  auto next = crawler.next({page(start("/files/"), R"(<meta http-equiv="refresh"
      content="0; url=/files/index.html"><form action="/find?x=1"><input name=q></form>
      <form method=post action="/upload"></form>
      <pre><a href="../">../</a>
<a href="sub/">sub/</a>   01-Jan-2024 00:00   -
<a href="../../../../../etc/passwd">up</a>
<a href="report%202024.pdf">report 2024.pdf</a></pre>)")});
  EXPECT_EQ(paths(next), (Paths{"/files/index.html", "/find", "/", "/files/sub/", "/etc/passwd",
                                "/files/report%202024.pdf"}));
}

TEST(Crawl, HttpsAndDefaultPorts) {
  Crawler crawler({});
  auto tls = start("/", 8443, "https");
  auto plain80 = start("/", 80, "http");
  auto next = crawler.next(
      {page(tls, "<a href=https://localhost:8443/s><a href=http://localhost:8443/no>"
                 "<a href=//localhost:8443/rel><a href=https://localhost/443-no>"),
       page(plain80, "<a href=http://localhost/p80><a href=http://localhost:80/p80-explicit>"
                     "<a href=https://localhost/tls-no>")});
  EXPECT_EQ(paths(next), (Paths{"/s", "/rel", "/p80", "/p80-explicit"}));
  EXPECT_EQ(next[0].protocol, "https");
  EXPECT_EQ(next[0].port, 8443);
  EXPECT_EQ(next[0].found_on, "https://127.0.0.1:8443/");
  EXPECT_EQ(next[2].protocol, "http");
  EXPECT_EQ(next[2].port, 80);
}

TEST(Crawl, DepthLimit) {
  Crawler crawler({.max_depth = 2});
  auto root = start();
  auto l1 = crawler.next({page(root, "<a href=/1>")});
  ASSERT_EQ(l1.size(), 1u);
  auto l2 = crawler.next({page(l1[0], "<a href=/2>")});
  ASSERT_EQ(l2.size(), 1u);
  EXPECT_EQ(l2[0].depth, 2);
  EXPECT_FALSE(crawler.limit_reached());
  // depth 2's links would be depth 3: only links that are known anyway do not count
  EXPECT_TRUE(crawler.next({page(l2[0], "<a href=/1><a href=/2>")}).empty());
  EXPECT_FALSE(crawler.limit_reached());
  EXPECT_TRUE(crawler.next({page(l2[0], "<a href=/3>")}).empty());
  EXPECT_TRUE(crawler.limit_reached());
  EXPECT_EQ(crawler.crawled(), 2u);

  Crawler none({.max_depth = 0});
  EXPECT_TRUE(none.next({page(root, "<a href=/x>")}).empty());
  EXPECT_TRUE(none.limit_reached());
}

TEST(Crawl, PageLimitAcrossLevels) {
  Crawler crawler({.max_pages = 5});
  auto next = crawler.next({page(start(), "<a href=/1><a href=/2><a href=/3>")});
  ASSERT_EQ(next.size(), 3u);
  EXPECT_FALSE(crawler.limit_reached());
  auto more = crawler.next({page(next[0], "<a href=/4><a href=/1>"),
                            page(next[1], "<a href=/5><a href=/6><a href=/7>"),
                            page(next[2], "<a href=/8>")});
  EXPECT_EQ(paths(more), (Paths{"/4", "/5"}));
  EXPECT_TRUE(crawler.limit_reached());
  EXPECT_EQ(crawler.crawled(), 5u);
  EXPECT_TRUE(crawler.next({page(more[0], "<a href=/9>")}).empty());
  EXPECT_EQ(crawler.crawled(), 5u);
}

TEST(Crawl, LinksPerPageLimit) {
  Crawler crawler({.max_links_per_page = 2});
  auto next = crawler.next({page(start(), "<a href=/1><a href=/1><a href=/2><a href=/3>")});
  EXPECT_EQ(paths(next), (Paths{"/1", "/2"}));
  EXPECT_TRUE(crawler.limit_reached());
}

TEST(Crawl, LongUrlsAreSkipped) {
  Crawler crawler({.max_url_bytes = 64});
  std::string fits = "/" + std::string(63, 'a');
  std::string too_long = "/" + std::string(64, 'b');
  std::string huge = "/" + std::string(50 * 1024, 'c');
  std::string long_query = "/q?" + std::string(70, 'd');
  auto next = crawler.next(
      {page(start(), "<a href=\"" + huge + "\"><a href=\"" + too_long + "\"><a href=\"" +
                         long_query + "\"><a href=\"" + fits + "\"><a href=/short>")});
  EXPECT_EQ(paths(next), (Paths{fits, "/short"}));
  EXPECT_FALSE(crawler.limit_reached()); // skipping is not a bound that cut the crawl
}

TEST(Crawl, ContentTypesAndSniffing) {
  Crawler crawler({});
  auto next = crawler.next(
      {answer(start("/plain"), 200, "text/plain", "<p><a href=/sniffed>"),
       answer(start("/json"), 200, "application/json", "{\"a\":\"/no\"}"),
       answer(start("/img"), 200, "image/png", "<a href=/no-png>"),
       answer(start("/svg"), 200, "image/svg+xml", "<svg><image href=\"/in-svg.png\"/></svg>"),
       answer(start("/none"), 200, "", "body{background:url(/bg.gif)}")});
  EXPECT_EQ(paths(next), (Paths{"/sniffed", "/in-svg.png", "/bg.gif"}));
}

TEST(Crawl, TruncatedBodyYieldsNoHalfUrl) {
  Crawler crawler({});
  auto cut = page(start(), "<a href=/whole><a href=\"/half-of-a-lo");
  cut.body_truncated = true;
  EXPECT_EQ(paths(crawler.next({cut})), (Paths{"/whole"}));
}

TEST(Crawl, TenThousandLinksOnOnePage) {
  Crawler crawler({});
  std::string body;
  for (int i = 0; i < 10000; ++i) {
    body += "<a href=\"/p" + std::to_string(i) + "\">" + std::to_string(i) + "</a>\n";
  }
  auto next = crawler.next({page(start(), body)});
  ASSERT_EQ(next.size(), 1000u); // max_pages
  EXPECT_EQ(next.front().path, "/p0");
  EXPECT_EQ(next.back().path, "/p999");
  EXPECT_TRUE(crawler.limit_reached());
  EXPECT_EQ(crawler.crawled(), 1000u);
}

} // namespace
} // namespace slim::probe

namespace slim::probe {
namespace {

TEST(Crawl, StateChangingLinksAreNotFollowed) {
  EXPECT_TRUE(looks_state_changing("/logout"));
  EXPECT_TRUE(looks_state_changing("/account/Sign-Out?next=/"));
  EXPECT_TRUE(looks_state_changing("/admin/delete.php?id=3"));
  EXPECT_TRUE(looks_state_changing("/shutdown"));
  EXPECT_FALSE(looks_state_changing("/blog/how-to-delete-files")); // a segment must start so
  EXPECT_FALSE(looks_state_changing("/?action=logout"));           // the query is not read
  EXPECT_FALSE(looks_state_changing("/css/site.css"));

  Crawler crawler(CrawlLimits{});
  ProbeOutcome page;
  page.request = ProbeRequest{.path = "/", .port = 80, .crawl = true};
  page.status = 200;
  page.content_type = "text/html";
  page.body = "<a href='/logout'>x</a><a href='/about'>y</a><a href='logout'>z</a>";
  auto next = crawler.next({page});
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].path, "/about");
  EXPECT_EQ(crawler.skipped_state_changing(), 1u);
}

} // namespace
} // namespace slim::probe
