#include "slim/probe/url.hpp"

#include <gtest/gtest.h>

namespace slim::probe {
namespace {

std::string resolved(std::string_view base, std::string_view link) {
  return resolve_url(base, link).value_or("<nullopt>");
}

// RFC 3986 5.4.1 and 5.4.2, with this resolver's two choices: `//g` gets the path `/`
// (a request needs one), and `http:g` is relative (the RFC's non-strict parser).
TEST(Url, Rfc3986Examples) {
  const std::string base = "http://a/b/c/d;p?q";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g/"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"g#s", "http://a/b/c/g"},
      {"g?y#s", "http://a/b/c/g?y"},
      {";x", "http://a/b/c/;x"},
      {"g;x", "http://a/b/c/g;x"},
      {"g;x?y#s", "http://a/b/c/g;x?y"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../", "http://a/"},
      {"../../g", "http://a/g"},
      // abnormal
      {"../../../g", "http://a/g"},
      {"../../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {".g", "http://a/b/c/.g"},
      {"g..", "http://a/b/c/g.."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
      {"g;x=1/../y", "http://a/b/c/y"},
      {"g?y/./x", "http://a/b/c/g?y/./x"},
      {"g?y/../x", "http://a/b/c/g?y/../x"},
      {"g#s/./x", "http://a/b/c/g"},
      {"g#s/../x", "http://a/b/c/g"},
      {"http:g", "http://a/b/c/g"},
  };
  for (const auto& [link, want] : cases) {
    EXPECT_EQ(resolved(base, link), want) << "link `" << link << "`";
  }
}

TEST(Url, OtherSchemesFragmentsAndMalformedInputAreNotUrls) {
  const std::string base = "http://127.0.0.1:8080/dir/page.html";
  for (std::string_view link : {"#top",
                                "#",
                                "  #x",
                                "javascript:void(0)",
                                "JavaScript:alert(1)",
                                " javascript:x",
                                "java\nscript:alert(1)",
                                "mailto:a@example.com",
                                "tel:+123",
                                "data:image/png;base64,AAAA",
                                "ftp://example.com/f",
                                "file:///etc/passwd",
                                "about:blank",
                                "https:relative",
                                "http://",
                                "http:///x",
                                "http://a:99999/",
                                "http://a:8x/",
                                "http://a b/",
                                "http://[::1/x",
                                "http://[zz]/",
                                "http://[127.0.0.1]/",
                                "//host%2Fx/",
                                "http://h\xc3\xa9/"}) {
    EXPECT_EQ(resolve_url(base, link), std::nullopt) << "link `" << link << "`";
  }
  // the base must be an absolute http(s) URL
  EXPECT_EQ(resolve_url("/dir/", "a"), std::nullopt);
  EXPECT_EQ(resolve_url("ftp://h/", "a"), std::nullopt);
  EXPECT_EQ(resolve_url("", "http://localhost/"), std::nullopt);
}

TEST(Url, NormalisesSchemeHostPortAndDropsUserInfo) {
  const std::string base = "http://127.0.0.1:8080/";
  EXPECT_EQ(resolved(base, "HTTP://LocalHost:8080/A/../B?X=1#f"), "http://localhost:8080/B?X=1");
  EXPECT_EQ(resolved(base, "http://localhost:80/x"), "http://localhost/x");
  EXPECT_EQ(resolved(base, "https://localhost:443"), "https://localhost/");
  EXPECT_EQ(resolved(base, "http://localhost:/x"), "http://localhost/x");
  EXPECT_EQ(resolved(base, "http://localhost:08080/x"), "http://localhost:8080/x");
  EXPECT_EQ(resolved(base, "http://user:secret@localhost:8080/x"), "http://localhost:8080/x");
  EXPECT_EQ(resolved(base, "http://[::1]:8080/x"), "http://[::1]:8080/x");
  EXPECT_EQ(resolved(base, "//cdn.example.com/lib.js"), "http://cdn.example.com/lib.js");
  EXPECT_EQ(resolved("https://127.0.0.1:8443/a/b", "//fonts.example.org/css?family=X"),
            "https://fonts.example.org/css?family=X");

  auto url = resolve_http_url(base, "http://LOCALHOST:8080/a?b=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(*url,
            (HttpUrl{.scheme = "http", .host = "localhost", .port = 8080, .target = "/a?b=1"}));
  auto plain = parse_http_url("https://Example.COM");
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain,
            (HttpUrl{.scheme = "https", .host = "example.com", .port = 443, .target = "/"}));
  EXPECT_EQ(plain->to_string(), "https://example.com/");
  EXPECT_EQ(parse_http_url("/relative"), std::nullopt);
  EXPECT_EQ(parse_http_url("localhost:8080/x"), std::nullopt);
}

TEST(Url, WhatBrowsersDoToMessyLinks) {
  const std::string base = "http://localhost/dir/page";
  EXPECT_EQ(resolved(base, "  \t/a.css \n"), "http://localhost/a.css");
  EXPECT_EQ(resolved(base, "/a\n/b\t.css"), "http://localhost/a/b.css");
  EXPECT_EQ(resolved(base, "img\\logo.png"), "http://localhost/dir/img/logo.png");
  EXPECT_EQ(resolved(base, "?q=a\\b"), "http://localhost/dir/page?q=a\\b"); // not in the query
  EXPECT_EQ(resolved(base, "%2e%2e/x"), "http://localhost/x");
  EXPECT_EQ(resolved(base, ".%2E/x"), "http://localhost/x");
  EXPECT_EQ(resolved(base, "%2e/x"), "http://localhost/dir/x");
  EXPECT_EQ(resolved(base, "%2e%2e%2e/x"), "http://localhost/dir/%2e%2e%2e/x");
}

TEST(Url, PercentEncodesWhatARequestLineCannotCarry) {
  const std::string base = "http://localhost/";
  EXPECT_EQ(resolved(base, "/a b/c\"d<e>f`g{h}"),
            "http://localhost/a%20b/c%22d%3Ce%3Ef%60g%7Bh%7D");
  EXPECT_EQ(resolved(base, "/caf\xc3\xa9.png"), "http://localhost/caf%C3%A9.png");
  EXPECT_EQ(resolved(base, "/bad\xff\xfe"), "http://localhost/bad%FF%FE");
  EXPECT_EQ(resolved(base, std::string("/nul\0x", 6)), "http://localhost/nul%00x");
  EXPECT_EQ(resolved(base, "/x?q=a b&c='d'"), "http://localhost/x?q=a%20b&c=%27d%27");
  EXPECT_EQ(resolved(base, "/x?q={}"), "http://localhost/x?q={}");
  EXPECT_EQ(resolved(base, "/already%20encoded%2F?x=%41"),
            "http://localhost/already%20encoded%2F?x=%41");
  EXPECT_EQ(resolved(base, "/50%"), "http://localhost/50%");
}

TEST(Url, DotSegmentsNeverClimbAboveTheRoot) {
  EXPECT_EQ(resolved("http://localhost/a/b/", "../../../../../../etc/passwd"),
            "http://localhost/etc/passwd");
  EXPECT_EQ(resolved("http://localhost/", "/../../.."), "http://localhost/");
  EXPECT_EQ(resolved("http://localhost/a//b/", "../x"), "http://localhost/a//x");
  std::string deep;
  for (int i = 0; i < 10000; ++i) {
    deep += "../";
  }
  EXPECT_EQ(resolved("http://localhost/a/b/c", deep + "x"), "http://localhost/x");
}

TEST(Url, ResultsAreFixedPoints) {
  const std::string base = "http://127.0.0.1:8080/d/p?q";
  for (std::string_view link : {"x/./y/../z?a=b c", "/caf\xc3\xa9", "HTTP://LOCALHOST:8080/..",
                                "%2e%2e/%2E", "//[::1]:8080?x", "g;x=1/../y"}) {
    auto once = resolve_url(base, link);
    ASSERT_TRUE(once) << link;
    EXPECT_EQ(resolve_url(base, *once), once) << link;
    EXPECT_EQ(resolve_url(*once, *once), once) << link;
    EXPECT_EQ(resolve_url(*once, ""), once) << link;
  }
}

TEST(Url, LoopbackHosts) {
  for (std::string_view h : {"127.0.0.1", "localhost", "[::1]", "0.0.0.0"}) {
    EXPECT_TRUE(is_loopback_host(h)) << h;
  }
  for (std::string_view h : {"127.0.0.2", "example.com", "localhost.example.com", "[::2]", ""}) {
    EXPECT_FALSE(is_loopback_host(h)) << h;
  }
  auto url = parse_http_url("http://LOCALHOST/");
  ASSERT_TRUE(url);
  EXPECT_TRUE(is_loopback_host(url->host));
}

} // namespace
} // namespace slim::probe
