#include "slim/probe/links.hpp"

#include <chrono>
#include <gtest/gtest.h>

namespace slim::probe {
namespace {

using Links = std::vector<std::string>;

Links html(std::string_view body) {
  return extract_links(body, "text/html; charset=utf-8");
}

Links css(std::string_view body) {
  return extract_links(body, "text/css");
}

TEST(Links, StaticSiteIndex) {
  const std::string page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>My <site> & "blog"</title>
  <link rel="preconnect" href="https://fonts.example.org">
  <link rel="dns-prefetch" href="//cdn.example.com">
  <link rel="stylesheet" href="/css/style.css?v=3">
  <LINK REL=icon HREF=/favicon.ico type=image/x-icon>
  <link rel="apple-touch-icon" sizes="180x180" href="apple-touch-icon.png">
  <link rel="preload" as="image" href="hero.jpg" imagesrcset="hero-1x.jpg 1x, hero-2x.jpg 2x">
  <link rel="manifest" href="/site.webmanifest">
  <script src="/js/app.js" defer></script>
  <script>
    var html = '<a href="/from-script">no</a>'; if (a < b) { document.write("<img src=x>"); }
  </script>
  <style>
    body { background: url("/img/bg.png") no-repeat; }
    @import url(/css/print.css) print;
  </style>
</head>
<body>
  <!-- <a href="/commented-out">old</a> -->
  <header><a href="/"><img src="/img/logo.svg" alt="Logo"></a></header>
  <nav><a href="about.html">About</a> <a href='./blog/'>Blog</a> <a href=#main>skip</a>
       <a href="mailto:me@example.com">mail</a> <a href="javascript:void(0)">menu</a></nav>
  <img src="photo.jpg" srcset="photo-480.jpg 480w, photo-800.jpg 800w" sizes="50vw">
  <picture>
    <source type="image/webp" srcset="/img/pic.webp 1x, /img/pic@2x.webp 2x">
    <img src="/img/pic.jpg">
  </picture>
  <div style="background-image: url('/img/banner.jpg')">hi</div>
  <video src="/media/intro.mp4" poster="/media/poster.jpg"><track src="/media/en.vtt"></video>
  <audio src="/media/theme.ogg"></audio>
  <a href="https://github.com/someone">GitHub</a>
  <a href="/css/style.css?v=3">duplicate</a>
  <textarea><a href="/in-textarea">no</a></textarea>
</body>
</html>)html";
  EXPECT_EQ(html(page), (Links{"/css/style.css?v=3",
                               "/favicon.ico",
                               "apple-touch-icon.png",
                               "hero.jpg",
                               "hero-1x.jpg",
                               "hero-2x.jpg",
                               "/site.webmanifest",
                               "/js/app.js",
                               "/img/bg.png",
                               "/css/print.css",
                               "/",
                               "/img/logo.svg",
                               "about.html",
                               "./blog/",
                               "#main",
                               "mailto:me@example.com",
                               "javascript:void(0)",
                               "photo.jpg",
                               "photo-480.jpg",
                               "photo-800.jpg",
                               "/img/pic.webp",
                               "/img/pic@2x.webp",
                               "/img/pic.jpg",
                               "/img/banner.jpg",
                               "/media/intro.mp4",
                               "/media/poster.jpg",
                               "/media/en.vtt",
                               "/media/theme.ogg",
                               "https://github.com/someone"}));
}

TEST(Links, EveryElementThatLinks) {
  EXPECT_EQ(html(R"(<map><area shape=rect href="/area"></map><iframe src="/frame.html"></iframe>
    <frameset><frame src="/f2.html"></frameset><embed src="/movie.swf"><object data="/obj.svg">
    </object><input type="IMAGE" src="/submit.png"><input type=text src="/not-an-image.png">
    <table background="/tbl.png"><td background="/td.png"></td></table><body background=/b.png>
    <svg><use xlink:href="/sprite.svg#icon"></use><image href="/svg-image.png"/></svg>
    <img data-src="/lazy.jpg" data-srcset="/lazy-2x.jpg 2x">)"),
            (Links{"/area", "/frame.html", "/f2.html", "/movie.swf", "/obj.svg", "/submit.png",
                   "/tbl.png", "/td.png", "/b.png", "/sprite.svg#icon", "/svg-image.png",
                   "/lazy.jpg", "/lazy-2x.jpg"}));
}

TEST(Links, AttributesAsTheTokenizerReadsThem) {
  // case, quotes, spaces around `=`, `/` between attributes, the first of duplicates,
  // `>` inside a quoted value, a value-less attribute
  EXPECT_EQ(html(R"(<A HREF = "/one" href="/dup">x</A><a
      href='/two'/><a/href=/three><img alt="a > b" src="/four"><a download href="/five">)"),
            (Links{"/one", "/two", "/three", "/four", "/five"}));
  // unquoted values end at whitespace or `>`
  EXPECT_EQ(html("<a href=/six>x</a><a href=/seven?a=1&b=2 class=x>"),
            (Links{"/six", "/seven?a=1&b=2"}));
  // leading and trailing whitespace of values
  EXPECT_EQ(html("<a href=\"\n\t  /eight  \n\">"), (Links{"/eight"}));
  // empty values are no links
  EXPECT_EQ(html("<a href=\"\"><a href=\"   \"><img src><a href=>"), Links{});
  // a name that is no element we know
  EXPECT_EQ(html("<my-component src=\"/x.js\" href=\"/y\"></my-component>"), Links{});
}

TEST(Links, CharacterReferences) {
  EXPECT_EQ(html(R"(<a href="/a?x=1&amp;y=2"><a href="&#47;b&#x2F;c&#X2f;d"><a href="/e&quot;f">
    <a href="/g?h=1&copy=2"><a href="/i?j&amp"><a href="/k?l=&ampm"><a href="&sol;n&colon;o">
    <a href="/p&#0;q&#xD800;r&#99999999999;"><a href="/s&unknown;t"><a href="/u&#;v&#x;"><a href="/w?a&amp=1">)"),
            (Links{"/a?x=1&y=2", "/b/c/d", "/e\"f", "/g?h=1&copy=2", "/i?j&", "/k?l=&ampm", "/n:o",
                   "/p\xef\xbf\xbdq\xef\xbf\xbdr\xef\xbf\xbd", "/s&unknown;t", "/u&#;v&#x;",
                   "/w?a&amp=1"}));
  // references are not decoded in the raw text of <style>
  EXPECT_EQ(html("<style>a{background:url(/x&amp;y.png)}</style>"), (Links{"/x&amp;y.png"}));
}

TEST(Links, CommentsAndRawTextElements) {
  EXPECT_EQ(html("<!-- a --><a href=/1><!----><a href=/2><!--> <a href=/3><!---> <a href=/4>"
                 "<!-- x --!> <a href=/5><!-- <a href=/no> -- > --> <a href=/6>"),
            (Links{"/1", "/2", "/3", "/4", "/5", "/6"}));
  EXPECT_EQ(html("<script>if (a</b) x = '</scrip'; </script ><a href=/after-script>"
                 "<SCRIPT type=text/template><a href=/no></SCRIPT><a href=/after-template>"
                 "<title><a href=/no></title><xmp><a href=/no></xmp><noembed><a href=/no>"
                 "</noembed><noscript><img src=/noscript.gif></noscript>"),
            (Links{"/after-script", "/after-template", "/noscript.gif"}));
  // doctype, processing instructions, CDATA, stray `<` and `</>` in text
  EXPECT_EQ(html("<!DOCTYPE html><?xml version=\"1.0\"?><![CDATA[x]]>a < b <3 </> </3 x>"
                 "<a href=/ok>"),
            (Links{"/ok"}));
  // end tags with attributes link nothing
  EXPECT_EQ(html("</a href=/end-tag><a href=/start>"), (Links{"/start"}));
  EXPECT_EQ(html("<plaintext><a href=/no>"), Links{});
}

TEST(Links, UnterminatedAtTheEndOfTheBuffer) {
  // a body cut at max_body ends anywhere: what is cut yields nothing
  EXPECT_EQ(html("<a href=/ok><a href=\"/cut-in-quo"), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><a href='/cut"), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><a href=/cut-unquoted"), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><a href=/cut-before-gt "), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><a href="), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><a"), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><"), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><!-- <a href=/no>"), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><script><a href=/no>"), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><style>a{b:url(/cut"), (Links{"/ok"}));
  EXPECT_EQ(html("<a href=/ok><style>a{b:url(/whole.png)} c{d:url(\"/cut"),
            (Links{"/ok", "/whole.png"}));
  EXPECT_EQ(html("<a href=/ok><!DOCTYPE"), (Links{"/ok"}));
  EXPECT_EQ(css("a{b:url(/ok.png)} /* c{d:url(/no.png)}"), (Links{"/ok.png"}));
  EXPECT_EQ(css("@import \"/cut.css"), Links{});
}

TEST(Links, Srcset) {
  EXPECT_EQ(parse_srcset("a.jpg 1x, b.jpg 2x"), (Links{"a.jpg", "b.jpg"}));
  EXPECT_EQ(parse_srcset("  a.jpg  480w ,b.jpg 800w,c.jpg"), (Links{"a.jpg", "b.jpg", "c.jpg"}));
  EXPECT_EQ(parse_srcset("a.jpg, b.jpg,, c.jpg 2x,"), (Links{"a.jpg", "b.jpg", "c.jpg"}));
  EXPECT_EQ(parse_srcset("a.jpg,b.jpg 2x"), (Links{"a.jpg,b.jpg"})); // commas need a space after
  EXPECT_EQ(parse_srcset("a.jpg (x, y) 2x, b.jpg"), (Links{"a.jpg", "b.jpg"}));
  EXPECT_EQ(parse_srcset("data:image/png;base64,iVBOR= 1x, /real.png 2x"),
            (Links{"data:image/png;base64,iVBOR=", "/real.png"}));
  EXPECT_EQ(parse_srcset("/img/a,b.jpg 1x"), (Links{"/img/a,b.jpg"}));
  EXPECT_EQ(parse_srcset(" , ,  "), Links{});
  EXPECT_EQ(parse_srcset(""), Links{});
  EXPECT_EQ(html("<img srcset=\"/a.jpg 1x,&#10;/b.jpg 2x\">"), (Links{"/a.jpg", "/b.jpg"}));
}

TEST(Links, BaseMetaRefreshAndForms) {
  auto page = extract_page_links(R"(<head><base href=" /static/v2/ "><base href="/second/">
    <meta http-equiv="Refresh" content="0; URL='/moved.html'"></head>
    <form action="/search?x=1#f"><input name=q></form>
    <form method=GET action="results.php"></form>
    <form method="post" action="/login"></form>
    <form method=dialog action="/dialog"></form>
    <form method=bogus action="/bogus-is-get"></form>
    <form action=""></form><form></form>)",
                                 "text/html");
  EXPECT_EQ(page.base, "/static/v2/");
  EXPECT_EQ(page.links, (Links{"/moved.html", "/search", "results.php", "/bogus-is-get"}));
  EXPECT_FALSE(page.truncated);
  EXPECT_EQ(extract_page_links("<a href=/x>", "text/html").base, "");
  // a <base> applies to the links before it too, so it is found past the cap
  auto late =
      extract_page_links("<a href=/1><a href=/2><a href=/3><base href=/b/>", "text/html", 1);
  EXPECT_EQ(late.links, (Links{"/1"}));
  EXPECT_TRUE(late.truncated);
  EXPECT_EQ(late.base, "/b/");

  auto refresh = [](std::string_view content) {
    return html("<meta http-equiv=refresh content=\"" + std::string(content) + "\">");
  };
  EXPECT_EQ(refresh("0; url=/next"), (Links{"/next"}));
  EXPECT_EQ(refresh("5;URL = '/q'"), (Links{"/q"}));
  EXPECT_EQ(refresh("0; url='/q2"), (Links{"/q2"})); // an unclosed quote runs to the end
  EXPECT_EQ(refresh("0,/comma"), (Links{"/comma"}));
  EXPECT_EQ(refresh("0 /space"), (Links{"/space"}));
  EXPECT_EQ(refresh("1.5; url=/frac"), (Links{"/frac"}));
  EXPECT_EQ(refresh("0; urlish.html"), (Links{"urlish.html"}));
  EXPECT_EQ(refresh("30"), Links{});      // reloads itself
  EXPECT_EQ(refresh("0; url="), Links{}); // likewise
  EXPECT_EQ(refresh("soon; url=/x"), Links{});
  EXPECT_EQ(html("<meta name=refresh content=\"0; url=/not-http-equiv\">"), Links{});
}

TEST(Links, Stylesheet) {
  EXPECT_EQ(css(R"css(@charset "utf-8";
@import "reset.css";
@import url("fonts.css") screen;
@import url(layout.css);
@IMPORT 'theme.css' layer(base);
@namespace svg url(http://www.w3.org/2000/svg);
/* url(/commented.png) @import "commented.css"; */
@font-face { font-family: X; src: url(/fonts/x.woff2) format("woff2"), url('/fonts/x.woff') format("woff"); }
body { background: #fff URL( /img/bg.png ) repeat-x; content: "url(/in-a-string.png)"; }
.a { background-image: image-set("/img/a.png" 1x, url(/img/a2.png) 2x); }
.b { background-image: -webkit-image-set('/img/b.png' 1x); }
.c::after { content: "not a link"; background: url(data:image/gif;base64,R0lGOD==) }
.d { background: url(/img/esc\29 aped.png) url("/img/q\"uote.png") url(/img/\
bad.png) url(/img/with space.png) url(/img/after-bad.png); }
.e { mask: myurl(/no.png); --x: url( "/custom-prop.png" ); }
)css"),
            (Links{"reset.css", "fonts.css", "layout.css", "theme.css", "/fonts/x.woff2",
                   "/fonts/x.woff", "/img/bg.png", "/img/a.png", "/img/a2.png", "/img/b.png",
                   "data:image/gif;base64,R0lGOD==", "/img/esc)aped.png", "/img/q\"uote.png",
                   "/img/after-bad.png", "/custom-prop.png"}));
  // a newline ends a string: the rest of the sheet is read on
  EXPECT_EQ(css("a { content: \"unterminated\n; } b { background: url(/b.png) }"),
            (Links{"/b.png"}));
  EXPECT_EQ(css("@import \"x.css\" url(y.css);"), (Links{"x.css", "y.css"}));
  EXPECT_EQ(extract_css_links("div{background:url(/inline.png)}").links, (Links{"/inline.png"}));
}

TEST(Links, DirectoryListings) {
  // nginx autoindex
  EXPECT_EQ(html(R"(<html>
<head><title>Index of /files/</title></head>
<body>
<h1>Index of /files/</h1><hr><pre><a href="../">../</a>
<a href="docs/">docs/</a>                                              01-Jan-2024 00:00       -
<a href="report%202024.pdf">report 2024.pdf</a>                        01-Jan-2024 00:00    1234
<a href="a%26b.txt">a&amp;b.txt</a>                                    01-Jan-2024 00:00      12
</pre><hr></body>
</html>)"),
            (Links{"../", "docs/", "report%202024.pdf", "a%26b.txt"}));
  // lighttpd mod_dirlisting
  EXPECT_EQ(html(R"(<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en">
<head><title>Index of /pub/</title>
<style type="text/css">a, a:active {text-decoration: none; color: blue;}</style></head>
<body><h2>Index of /pub/</h2><div class="list"><table summary="Directory Listing">
<thead><tr><th class="n">Name</th><th class="m">Last Modified</th></tr></thead>
<tbody><tr class="d"><td class="n"><a href="../">..</a>/</td></tr>
<tr class="d"><td class="n"><a href="img/">img</a>/</td></tr>
<tr><td class="n"><a href="index.html">index.html</a></td></tr>
</tbody></table></div><div class="foot">lighttpd/1.4.69</div></body></html>)"),
            (Links{"../", "img/", "index.html"}));
}

TEST(Links, DocumentKinds) {
  EXPECT_EQ(document_kind("", "text/html"), DocumentKind::html);
  EXPECT_EQ(document_kind("", "TEXT/HTML ; charset=ISO-8859-1"), DocumentKind::html);
  EXPECT_EQ(document_kind("", "application/xhtml+xml"), DocumentKind::html);
  EXPECT_EQ(document_kind("", "image/svg+xml"), DocumentKind::html);
  EXPECT_EQ(document_kind("", "text/css;charset=utf-8"), DocumentKind::css);
  EXPECT_EQ(document_kind("<html>", "application/javascript"), DocumentKind::other);
  EXPECT_EQ(document_kind("<html>", "image/png"), DocumentKind::other);
  EXPECT_EQ(document_kind("<html>", "application/json"), DocumentKind::other);
  // generic types are sniffed
  EXPECT_EQ(document_kind("\xef\xbb\xbf  <!doctype html>", ""), DocumentKind::html);
  EXPECT_EQ(document_kind("\n<html><a href=x>", "text/plain"), DocumentKind::html);
  EXPECT_EQ(document_kind("<!-- x -->", "application/octet-stream"), DocumentKind::html);
  EXPECT_EQ(document_kind("/*! normalize */\n@import 'x.css';", ""), DocumentKind::css);
  EXPECT_EQ(document_kind("body, .a > p:hover { color: red }", "text/plain"), DocumentKind::css);
  EXPECT_EQ(document_kind("{\"a\": \"url(x)\"}", ""), DocumentKind::other);
  EXPECT_EQ(document_kind("function f() { return 1; }", ""), DocumentKind::other);
  EXPECT_EQ(document_kind("var a = {b: 1}", ""), DocumentKind::other);
  EXPECT_EQ(document_kind("hello world", "text/plain"), DocumentKind::other);
  EXPECT_EQ(document_kind("a < b", ""), DocumentKind::other);
  EXPECT_EQ(document_kind("\x89PNG\r\n\x1a\n", ""), DocumentKind::other);
  EXPECT_EQ(document_kind("", ""), DocumentKind::other);
  EXPECT_EQ(extract_links("<a href=/x>", "image/png"), Links{});
  EXPECT_EQ(extract_links("<a href=/x>", ""), (Links{"/x"}));
  EXPECT_EQ(extract_links("a{b:url(/y)}", "text/plain"), (Links{"/y"}));
}

TEST(Links, NulsAndInvalidUtf8PassThrough) {
  using namespace std::string_literals;
  auto page = "<a href=\"/a\0b\xff\xc3(\">\0<img src=/c\x80>\xfe\xff<a hr\0ef=/no><a href=/after>"s;
  EXPECT_EQ(html(page), (Links{"/a\0b\xff\xc3("s, "/c\x80", "/after"}));
  // a control character makes a bad url( (CSS Syntax 4.3.6); the sheet is read on
  EXPECT_EQ(css("a{b:url(/x\0\xff.png)} c{d:url(/y\xff.png)} e{f:url('/z\0w\0')}"s),
            (Links{"/y\xff.png", "/z\0w"s})); // the trailing NUL trimmed
}

TEST(Links, CapDedupeAndOrderOn10000Links) {
  std::string page = "<html><body>";
  for (int i = 0; i < 10000; ++i) {
    page += "<a href=\"/p/" + std::to_string(i % 5000) + "\">x</a>\n"; // each twice
  }
  auto all = extract_page_links(page, "text/html", 100000);
  ASSERT_EQ(all.links.size(), 5000u);
  EXPECT_FALSE(all.truncated);
  EXPECT_EQ(all.links.front(), "/p/0");
  EXPECT_EQ(all.links.back(), "/p/4999");

  auto capped = extract_page_links(page, "text/html"); // the default cap, 2000
  ASSERT_EQ(capped.links.size(), 2000u);
  EXPECT_TRUE(capped.truncated);
  EXPECT_TRUE(std::equal(capped.links.begin(), capped.links.end(), all.links.begin()));

  auto exact = extract_page_links(page, "text/html", 5000);
  EXPECT_EQ(exact.links.size(), 5000u);
  EXPECT_FALSE(exact.truncated); // the 5000 unique links fit: repeats cut nothing
  EXPECT_TRUE(extract_page_links("<a href=/a><a href=/b>", "text/html", 1).truncated);
  EXPECT_EQ(extract_links("<a href=/a><a href=/b>", "text/html", 0), Links{});
}

// Each of these would take minutes with a quadratic rescan (1 MiB, ~10^12 steps); linear they
// take milliseconds. The bound is loose so that a loaded machine does not fail it.
TEST(Links, HostileMegabyteDocumentsStayLinear) {
  const std::size_t mib = 1 << 20;
  auto repeat = [&](std::string_view unit) {
    std::string out;
    while (out.size() < mib) {
      out += unit;
    }
    return out;
  };
  const std::vector<std::pair<std::string, std::string>> docs = {
      {"text/html", repeat("<")},
      {"text/html", repeat("<a ")},
      {"text/html", repeat("<a href=")},
      {"text/html", "<a href=\"" + repeat("x")},
      {"text/html", repeat("<!--")},
      {"text/html", "<!--" + repeat("-")},
      {"text/html", repeat("<!-- -- ")},
      {"text/html", repeat("<script>")},
      {"text/html", "<script>" + repeat("</scrip")},
      {"text/html", "<style>" + repeat("</styl url(")},
      {"text/html", repeat("<div><span>")},  // deeply nested
      {"text/html", "<a " + repeat("a=1 ")}, // a tag with a quarter million attributes
      {"text/html", "<a " + repeat("href=1 ") + ">"},
      {"text/html", "<a href=\"" + repeat("&#x41;&amp;&") + "\">"},
      {"text/html", "<img srcset=\"" + repeat("a,") + "\">"},
      {"text/html", "<img srcset=\"a (" + repeat(",") + "\">"},
      {"text/html", repeat("<a href=/x>")},
      {"text/css", repeat("url(")},
      {"text/css", repeat("url(a")},
      {"text/css", repeat("/*")},
      {"text/css", repeat("\"\\")},
      {"text/css", repeat("@import ")},
      {"text/css", repeat("image-set(")},
      {"text/css", repeat("((((")},
      {"text/css", repeat("url(\\")},
      {"", repeat(" ")},
      {"", "/*" + repeat("*")},
  };
  for (const auto& [type, doc] : docs) {
    auto start = std::chrono::steady_clock::now();
    auto page = extract_page_links(doc, type);
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 3.0) << type << " document starting `" << doc.substr(0, 20) << "`";
    EXPECT_LE(page.links.size(), 2000u);
  }
  // 1 MiB of links: capped at the default 2000, and fast
  auto many = extract_page_links(repeat("<a href=/y>") + repeat("<img src=/z>"), "text/html");
  EXPECT_EQ(many.links, (Links{"/y", "/z"}));
}

TEST(Links, FiftyKilobyteUrlsAreExtractedWhole) {
  // extraction keeps them (as written); the crawler skips them by max_url_bytes
  std::string long_path = "/" + std::string(50 * 1024, 'a');
  EXPECT_EQ(html("<a href=\"" + long_path + "\"><a href=/short>"), (Links{long_path, "/short"}));
}

} // namespace
} // namespace slim::probe
