// slim.report.html of a real build, opened in headless Chromium (Debian's package): the page
// renders (a screenshot is made) and its DOM, after its script ran, carries the numbers of
// that build's slim.report.json.
#include "support/served.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>

namespace slim::it {
namespace {

const char* k_chromium = "/usr/bin/chromium";

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

TEST(HtmlReport, RendersInChromiumWithTheBuildsNumbers) {
  ASSERT_TRUE(std::filesystem::exists(k_chromium))
      << "headless Chromium is needed: apt-get install chromium (scripts/setup.sh does)";
  auto client = connect_client();
  TestDir dir("slim-it-html");
  ImageGuard guard(client, "slim-it/site:html");
  auto build = run_command("cd " + dir.path().string() + " && " + slim_binary() +
                               " build --log-level warn --tag slim-it/site:html "
                               "slim-fixture/site:latest",
                           std::chrono::seconds(600));
  ASSERT_EQ(build.exit_code, 0) << build.err;
  auto report = nlohmann::json::parse(read_text(dir / "slim.report.json"));
  ASSERT_TRUE(std::filesystem::exists(dir / "slim.report.html"));

  std::string flags = std::string(k_chromium) +
                      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                      "--disable-background-networking --disable-component-update "
                      "--disable-sync --user-data-dir=" +
                      (dir / "profile").string();
  std::string url = "file://" + (dir / "slim.report.html").string();
  auto shot =
      run_command(flags + " --window-size=1200,1600 --screenshot=" + (dir / "report.png").string() +
                      " " + url + " 2>&1",
                  std::chrono::seconds(120));
  ASSERT_TRUE(std::filesystem::exists(dir / "report.png")) << shot.out;
  auto png = read_text(dir / "report.png");
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(png.size(), 20'000u) << "a page with a treemap and tables, not a blank one";
  std::printf("[ html     ] screenshot %zu bytes\n", png.size());

  auto dom = run_command(flags + " --dump-dom " + url + " 2>/dev/null", std::chrono::seconds(120));
  ASSERT_EQ(dom.exit_code, 0);
  const std::string& html = dom.out;
  EXPECT_NE(html.find("id=\"ratio\">" + fixed1(report["ratio"].get<double>()) + "x<"),
            std::string::npos);
  auto kept = report["kept"]["paths"].get<std::size_t>();
  auto source_paths = report["kept"]["source_paths"].get<std::size_t>();
  EXPECT_NE(html.find("id=\"kept-paths\">" + std::to_string(kept) + " of " +
                      std::to_string(source_paths) + "<"),
            std::string::npos);
  EXPECT_NE(html.find("id=\"verdict\">verified<"), std::string::npos);
  // The filter script ran in the browser and counted every kept path's row.
  EXPECT_NE(html.find(std::to_string(kept) + " of " + std::to_string(kept) + " shown"),
            std::string::npos);
  // One treemap rectangle per directory of the report, one table row per probe.
  std::size_t rects = 0;
  for (std::size_t p = html.find("<g class=\"dir\""); p != std::string::npos;
       p = html.find("<g class=\"dir\"", p + 1)) {
    ++rects;
  }
  std::size_t with_bytes = 0;
  for (const auto& d : report["directories"]) {
    with_bytes += d.value("total", 0) > 0 ? 1 : 0;
  }
  EXPECT_EQ(rects, with_bytes);
  for (const auto& probe : report["probes"]["original"]["probes"]) {
    EXPECT_NE(html.find(probe["url"].get<std::string>()), std::string::npos) << probe.dump();
  }
}

} // namespace
} // namespace slim::it
