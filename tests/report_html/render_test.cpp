#include "slim/report_html/render.hpp"
#include "slim/report_html/treemap.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace slim::report_html {
namespace {

TEST(ReportHtml, EscapesMarkupAndBadUtf8) {
  EXPECT_EQ(escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
  EXPECT_EQ(escape("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(escape("bad\xFF"), "bad\xEF\xBF\xBD");
  EXPECT_EQ(escape("cut\xE2\x82"), "cut\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1500), "1.5 kB");
  EXPECT_EQ(human_bytes(217.1e6), "217.1 MB");
  EXPECT_EQ(human_bytes(1.7e9), "1.70 GB");
}

TEST(ReportHtml, TreemapTilesTheBoundsInProportion) {
  std::vector<double> w = {50, 25, 12.5, 12.5};
  auto rects = squarify(w, {0, 0, 200, 100});
  ASSERT_EQ(rects.size(), 4u);
  double area = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto& r = rects[i];
    EXPECT_NEAR(r.w * r.h, 20000 * w[i] / 100, 1e-6) << i;
    EXPECT_GE(r.x, -1e-9);
    EXPECT_GE(r.y, -1e-9);
    EXPECT_LE(r.x + r.w, 200 + 1e-9);
    EXPECT_LE(r.y + r.h, 100 + 1e-9);
    area += r.w * r.h;
  }
  EXPECT_NEAR(area, 20000, 1e-6);
  auto none = squarify({0, -1}, {0, 0, 10, 10});
  EXPECT_EQ(none[0].w * none[0].h, 0);
  EXPECT_TRUE(squarify({}, {0, 0, 10, 10}).empty());
}

nlohmann::json sample() {
  return nlohmann::json::parse(R"({
    "slim_version": "0.1.0",
    "source": {"image": "app:1", "size": 100000000},
    "result": {"tags": ["app.slim:1"], "size": 10000000},
    "ratio": 10.0,
    "kept": {"paths": 3, "source_paths": 900, "bytes": 9000000},
    "directories": [{"path": "/usr/lib", "total": 60000000, "kept": 9000000},
                    {"path": "/var/cache/<apt>", "total": 40000000, "kept": 0}],
    "paths": [{"path": "/usr/bin/app", "reason": "accessed", "why": "accessed by the app", "size": 9000000},
              {"path": "/usr", "reason": "parent", "why": "parent of /usr/bin"}],
    "syscalls": ["read", "write"],
    "seccomp": {"profile": "app-seccomp.json", "rules": 2, "names": 115, "default_action": "SCMP_ACT_ERRNO",
                "baseline": "harmless", "from_baseline": ["getuid"], "added_by_runtime": ["capset"]},
    "probes": {"original": {"probes": [{"method": "GET", "url": "http://127.0.0.1:80/", "source": "default", "status": 200}], "execs": []},
               "result": {"probes": [{"method": "GET", "url": "http://127.0.0.1:80/", "source": "default", "status": 404}], "execs": []}},
    "differences": [{"what": "GET http://127.0.0.1:80/: status", "original": "status 200", "result": "status 404", "diff": "[-a-]{+b+}"}],
    "drift": [{"what": "exec `x`: output", "tolerated": "1 http date masked"}],
    "warnings": ["w <1>"],
    "timings": [{"pass": "keep", "seconds": 0.25}]
  })");
}

TEST(ReportHtml, PageCarriesTheReportsNumbersAndNothingExternal) {
  auto html = render(sample());
  EXPECT_NE(html.find("id=\"ratio\">10.0x<"), std::string::npos);
  EXPECT_NE(html.find("id=\"source-size\">100.0 MB<"), std::string::npos);
  EXPECT_NE(html.find("id=\"kept-paths\">3 of 900<"), std::string::npos);
  EXPECT_NE(html.find("id=\"verdict\">1 difference(s)<"), std::string::npos);
  EXPECT_NE(html.find("<svg id=\"treemap\""), std::string::npos);
  EXPECT_NE(html.find("data-path=\"/var/cache/&lt;apt&gt;\""), std::string::npos) << "escaped";
  EXPECT_EQ(html.find("/var/cache/<apt>"), std::string::npos);
  EXPECT_NE(html.find("<tr data-reason=\"accessed\"><td>/usr/bin/app</td>"), std::string::npos);
  EXPECT_NE(html.find("[-a-]{+b+}"), std::string::npos);
  EXPECT_NE(html.find("1 http date masked"), std::string::npos);
  EXPECT_NE(html.find("<code>getuid</code>"), std::string::npos);
  EXPECT_NE(html.find("w &lt;1&gt;"), std::string::npos);
  // Self-contained: no external scripts, styles, fonts or images.
  for (const char* external : {"src=\"http", "href=\"http", "@import", "url(http", "<link "}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
}

TEST(ReportHtml, AReportWithMissingPartsStillRenders) {
  auto html = render(nlohmann::json::object());
  EXPECT_NE(html.find("id=\"verdict\">not verified<"), std::string::npos);
  EXPECT_NE(html.find("No directory sizes"), std::string::npos);
  auto wrong_types =
      render(nlohmann::json::parse(R"({"source": 3, "paths": {"a": 1}, "ratio": "x"})"));
  EXPECT_NE(wrong_types.find("id=\"ratio\">-<"), std::string::npos);
}

} // namespace
} // namespace slim::report_html
