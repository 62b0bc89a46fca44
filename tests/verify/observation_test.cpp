#include "slim/verify/observation.hpp"
#include "slim/verify/utf8_text.hpp"
#include "verify_data.hpp"

#include <functional>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace slim::verify {
namespace {

using probe::ProbeOutcome;
using testing::verify_data;

ProbeOutcome answer(const std::string& path, int status, const std::string& body,
                    const std::string& content_type = "text/html; charset=utf-8") {
  ProbeOutcome p;
  p.request.path = path;
  p.connected = true;
  p.status = status;
  p.body = body;
  p.size = static_cast<std::int64_t>(body.size());
  // compare_observations only tests hashes for equality.
  p.sha256 = std::to_string(std::hash<std::string>{}(body));
  p.content_type = content_type;
  return p;
}

ProbeObservation twice(const ProbeOutcome& first, const ProbeOutcome& second) {
  return {first, second};
}

ProbeObservation once(const ProbeOutcome& p) {
  return {p, std::nullopt};
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string listing(const Comparison& c) {
  std::string out;
  for (const auto& d : c.differences) {
    out += "DIFFERENCE " + d.what + " | " + d.original + " | " + d.result + " | " + d.diff + "\n";
  }
  for (const auto& d : c.drift) {
    out += "DRIFT " + d.what + " | " + d.how + "\n";
  }
  return out;
}

// A server's original run (every probe answered twice) and a second run of the same working
// image: drift everywhere, no difference.
struct TwoRuns {
  Observation original;
  Observation result;
};

TwoRuns recorded_runs() {
  TwoRuns t;
  auto probe = [&](const std::string& path, const std::string& stem, const std::string& ct) {
    t.original.probes.push_back(twice(answer(path, 200, verify_data(stem + "_1" + ct),
                                             ct == ".json" ? "application/json" : "text/html"),
                                      answer(path, 200, verify_data(stem + "_2" + ct),
                                             ct == ".json" ? "application/json" : "text/html")));
    t.result.probes.push_back(once(answer(path, 200, verify_data(stem + "_3" + ct),
                                          ct == ".json" ? "application/json" : "text/html")));
  };
  probe("/status", "status", ".json");
  probe("/", "shop", ".html");
  probe("/login", "flask_login", ".html");
  probe("/contact", "express_contact", ".html");
  probe("/books.php", "php_books", ".html");
  t.original.execs.push_back({"redis-cli info", 0, verify_data("redis_info_1.txt")});
  t.result.execs.push_back({"redis-cli info", 0, verify_data("redis_info_2.txt")});
  t.original.execs.push_back({"curl -si http://localhost/", 0, verify_data("curl_i_1.txt")});
  t.result.execs.push_back({"curl -si http://localhost/", 0, verify_data("curl_i_2.txt")});
  t.original.logs = verify_data("gunicorn_1.log");
  t.result.logs = verify_data("gunicorn_2.log");
  t.original.running_at_end = true;
  t.result.running_at_end = true;
  return t;
}

const Drift* drift_of(const Comparison& c, const std::string& what) {
  for (const auto& d : c.drift) {
    if (d.what == what) {
      return &d;
    }
  }
  return nullptr;
}

TEST(CompareObservations, ASecondRunOfAWorkingAppIsDrift) {
  TwoRuns t = recorded_runs();
  Comparison c = compare_observations(t.original, t.result);
  EXPECT_TRUE(c.differences.empty()) << listing(c);
  EXPECT_EQ(c.drift.size(), 7u) << listing(c);
  // Each is tolerated for a reason it names.
  const Drift* status = drift_of(c, "GET http://127.0.0.1:80/status: body");
  ASSERT_NE(status, nullptr) << listing(c);
  EXPECT_TRUE(mentions(status->how, "numbers that changed between the original's own two answers"))
      << status->how;
  const Drift* login = drift_of(c, "GET http://127.0.0.1:80/login: body");
  ASSERT_NE(login, nullptr) << listing(c);
  EXPECT_TRUE(mentions(login->how, "masked")) << login->how;
  const Drift* curl = drift_of(c, "exec `curl -si http://localhost/`: output");
  ASSERT_NE(curl, nullptr) << listing(c);
  EXPECT_EQ(curl->how, "2 http dates, 1 token (session, CSRF, nonce, ETag) masked");
  const Drift* redis = drift_of(c, "exec `redis-cli info`: output");
  ASSERT_NE(redis, nullptr) << listing(c);
  EXPECT_TRUE(mentions(redis->how, "% similar")) << redis->how;
}

TEST(CompareObservations, StrictComparesBytesButStillChecksStatusesAndErrors) {
  TwoRuns t = recorded_runs();
  CompareOptions strict;
  strict.strict = true;
  Comparison c = compare_observations(t.original, t.result, strict);
  // Bodies that changed between the original's own answers are not compared; exec output is,
  // byte for byte.
  ASSERT_EQ(c.differences.size(), 2u) << listing(c);
  EXPECT_EQ(c.differences[0].what, "exec `redis-cli info`: output");
  EXPECT_FALSE(c.differences[0].diff.empty());
  EXPECT_EQ(c.differences[1].what, "exec `curl -si http://localhost/`: output");
  t.result.probes[1].first.status = 500;
  t.result.logs += "ImportError: No module named foo\n";
  c = compare_observations(t.original, t.result, strict);
  ASSERT_EQ(c.differences.size(), 4u) << listing(c);
  EXPECT_EQ(c.differences[0].what, "GET http://127.0.0.1:80/: status");
  EXPECT_EQ(c.differences[3].what, "the app's output");
}

TEST(CompareObservations, ALinkedAssetThatIsNowMissing) {
  Observation original;
  Observation result;
  ProbeOutcome css = answer("/style.css", 200, "body { color: #333; }\n", "text/css");
  css.request.source = probe::ProbeSource::crawl;
  css.request.found_on = "http://127.0.0.1:80/";
  original.probes.push_back(twice(css, css));
  ProbeOutcome gone = answer("/style.css", 404, "<html><title>404 Not Found</title></html>");
  gone.request = css.request;
  result.probes.push_back(once(gone));
  Comparison c = compare_observations(original, result);
  ASSERT_EQ(c.differences.size(), 1u) << listing(c);
  EXPECT_EQ(c.differences[0].what, "GET http://127.0.0.1:80/style.css: status");
  EXPECT_EQ(c.differences[0].original, "status 200");
  EXPECT_EQ(c.differences[0].result, "status 404");
}

TEST(CompareObservations, APageThatNowWarnsOfAMissingInclude) {
  Observation original;
  Observation result;
  original.probes.push_back(twice(answer("/books.php", 200, verify_data("php_books_1.html")),
                                  answer("/books.php", 200, verify_data("php_books_2.html"))));
  result.probes.push_back(once(answer("/books.php", 200, verify_data("php_books_broken.html"))));
  Comparison c = compare_observations(original, result);
  ASSERT_FALSE(c.differences.empty()) << listing(c);
  const Difference& d = c.differences[0];
  EXPECT_EQ(d.what, "GET http://127.0.0.1:80/books.php: body");
  EXPECT_TRUE(mentions(d.result, "include(header.php): failed to open stream: No such file"))
      << d.result;
  EXPECT_EQ(d.original, "not in the original's answer");
  // Not also tolerated as drift.
  EXPECT_EQ(drift_of(c, d.what), nullptr) << listing(c);
}

TEST(CompareObservations, AMissingModuleInTheAppsOutputOnly) {
  TwoRuns t = recorded_runs();
  t.result.logs = verify_data("gunicorn_broken.log");
  Comparison c = compare_observations(t.original, t.result);
  ASSERT_EQ(c.differences.size(), 1u) << listing(c);
  EXPECT_EQ(c.differences[0].what, "the app's output");
  EXPECT_EQ(c.differences[0].result, "ModuleNotFoundError: No module named 'unicodedata'");
}

TEST(CompareObservations, ALostLocaleShowsInExecOutput) {
  Observation original;
  Observation result;
  original.execs.push_back({"date", 0, "Dienstag, 1. Dezember 2026, 20:08:00 CET\n"});
  result.execs.push_back({"date", 0, "Tue Dec  1 19:08:03 UTC 2026\n"});
  original.execs.push_back({"python3 /app/total.py", 0, "Summe: 1.234,5\n"});
  result.execs.push_back({"python3 /app/total.py", 0, "Summe: 1,234.5\n"});
  Comparison c = compare_observations(original, result);
  ASSERT_EQ(c.differences.size(), 2u) << listing(c);
  EXPECT_EQ(c.differences[0].what, "exec `date`: output");
  EXPECT_TRUE(mentions(c.differences[0].diff, "[-Dienstag")) << c.differences[0].diff;
  EXPECT_EQ(c.differences[1].what, "exec `python3 /app/total.py`: output");
  EXPECT_EQ(c.differences[1].diff, "Summe: 1[-.234,-]{+,234.+}5\\n");
  // A second run in the same locale is drift.
  result.execs[0].out = "Dienstag, 1. Dezember 2026, 21:14:09 CET\n";
  result.execs[1].out = "Summe: 1.234,5\n";
  c = compare_observations(original, result);
  EXPECT_TRUE(c.differences.empty()) << listing(c);
  ASSERT_EQ(c.drift.size(), 1u) << listing(c);
  EXPECT_EQ(c.drift[0].how, "1 time of day masked");
}

TEST(CompareObservations, ABodyThatLostHalfItsContent) {
  std::string page = "<html><body><h1>Catalogue</h1>\n<ul>\n";
  std::string half = page;
  for (int i = 0; i < 40; ++i) {
    std::string item = "<li>Item " + std::to_string(i) + ": a thing worth having</li>\n";
    page += item;
    half += i < 20 ? item : "";
  }
  page += "</ul></body></html>\n";
  half += "</ul></body></html>\n";
  Observation original;
  Observation result;
  original.probes.push_back(twice(answer("/", 200, page), answer("/", 200, page)));
  result.probes.push_back(once(answer("/", 200, half)));
  Comparison c = compare_observations(original, result);
  ASSERT_EQ(c.differences.size(), 1u) << listing(c);
  const Difference& d = c.differences[0];
  EXPECT_EQ(d.what, "GET http://127.0.0.1:80/: body");
  EXPECT_EQ(d.original, "text/html; charset=utf-8, " + std::to_string(page.size()) + " bytes");
  EXPECT_TRUE(mentions(d.result, "% similar")) << d.result;
  EXPECT_TRUE(mentions(d.diff, "[-<li>Item 20: a thing worth having</li>")) << d.diff;
  EXPECT_TRUE(is_valid_utf8(d.diff));
}

TEST(CompareObservations, TheAppDiedDuringTheVerification) {
  TwoRuns t = recorded_runs();
  t.result.running_at_end = false;
  t.result.app_exit = 137;
  Comparison c = compare_observations(t.original, t.result);
  ASSERT_EQ(c.differences.size(), 1u) << listing(c);
  EXPECT_EQ(c.differences[0].what, "the app");
  EXPECT_EQ(c.differences[0].result, "exited during the verification with status 137");
}

TEST(CompareObservations, AnswersConnectionsRedirectsAndExitCodes) {
  Observation original;
  original.probes.push_back(twice(answer("/", 200, "hi"), answer("/", 200, "hi")));
  ProbeOutcome tcp;
  tcp.request.protocol = "tcp";
  tcp.request.port = 6379;
  tcp.connected = true;
  original.probes.push_back(twice(tcp, tcp));
  ProbeOutcome redirect = answer("/login", 302, "");
  redirect.location = "/login/?next=%2F&sid=5f2b7c9e1a3d4b6c8e0f2a4b6c8e0f2a";
  original.probes.push_back(twice(redirect, redirect));
  original.execs.push_back({"check", 0, "ok\n"});
  original.app_exit = 0;

  Observation result = original;
  for (auto& p : result.probes) {
    p.second.reset();
  }
  // The session id in the redirect changes between runs: drift.
  result.probes[2].first.location = "/login/?next=%2F&sid=9b0e4e8d1f3c2a5b6c7d8e9f0a1b2c3d";
  Comparison c = compare_observations(original, result);
  EXPECT_TRUE(c.differences.empty()) << listing(c);
  ASSERT_EQ(c.drift.size(), 1u) << listing(c);
  EXPECT_EQ(c.drift[0].what, "GET http://127.0.0.1:80/login: redirect");

  result.probes[0].first = ProbeOutcome{};
  result.probes[0].first.error = "connection refused";
  result.probes[1].first.connected = false;
  result.probes[1].first.error = "connection refused";
  result.probes[2].first.location = "/setup/";
  result.execs[0].exit_code = 127;
  result.execs[0].out = "sh: 1: check: not found\n";
  result.app_exit = 1;
  c = compare_observations(original, result);
  ASSERT_EQ(c.differences.size(), 6u) << listing(c);
  EXPECT_EQ(c.differences[0].what, "GET http://127.0.0.1:80/");
  EXPECT_EQ(c.differences[0].original, "status 200");
  EXPECT_EQ(c.differences[0].result, "no response (connection refused)");
  EXPECT_EQ(c.differences[1].what, "connect tcp://127.0.0.1:6379");
  EXPECT_EQ(c.differences[1].result, "no connection (connection refused)");
  EXPECT_EQ(c.differences[2].what, "GET http://127.0.0.1:80/login: redirect");
  EXPECT_EQ(c.differences[2].result, "Location: /setup/");
  EXPECT_EQ(c.differences[3].what, "exec `check`: exit code");
  EXPECT_EQ(c.differences[4].what, "exec `check`: output");
  EXPECT_EQ(c.differences[4].result, "sh: 1: check: not found");
  EXPECT_EQ(c.differences[5].what, "the app's exit status");
  EXPECT_EQ(c.differences[5].result, "1");
}

TEST(CompareObservations, AStatusTheOriginalItselfGaveIsDrift) {
  Observation original;
  original.probes.push_back(
      twice(answer("/", 503, "warming up"), answer("/", 200, "<p>ready</p>")));
  Observation result;
  result.probes.push_back(once(answer("/", 200, "<p>ready</p>")));
  Comparison c = compare_observations(original, result);
  EXPECT_TRUE(c.differences.empty()) << listing(c);
  ASSERT_EQ(c.drift.size(), 1u);
  EXPECT_EQ(c.drift[0].how, "the original itself answered status 503, then 200");
}

TEST(CompareObservations, BinaryBodies) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  const std::string other_png("\x89PNG\r\n\x1a\n\0\0\0\rIHDX", 16);
  Observation original;
  original.probes.push_back(twice(answer("/logo.png", 200, png, "image/png"),
                                  answer("/logo.png", 200, png, "image/png")));
  original.probes.push_back(twice(answer("/captcha.png", 200, png, "image/png"),
                                  answer("/captcha.png", 200, other_png, "image/png")));
  Observation result;
  result.probes.push_back(once(answer("/logo.png", 200, other_png, "image/png")));
  result.probes.push_back(once(answer("/captcha.png", 200, other_png + "x", "image/png")));
  Comparison c = compare_observations(original, result);
  ASSERT_EQ(c.differences.size(), 1u) << listing(c);
  EXPECT_EQ(c.differences[0].what, "GET http://127.0.0.1:80/logo.png: body");
  EXPECT_TRUE(mentions(c.differences[0].original, "sha256 "));
  ASSERT_EQ(c.drift.size(), 1u) << listing(c);
  EXPECT_TRUE(mentions(c.drift[0].how, "not compared"));
}

TEST(CompareObservations, TruncatedBodiesCompareTheirCapturedPrefixes) {
  std::string prefix = "<html>" + std::string(1000, 'x');
  ProbeOutcome o = answer("/big", 200, prefix);
  o.size = 5 << 20;
  o.body_truncated = true;
  ProbeOutcome r = o;
  r.sha256 = "other";
  r.size = (5 << 20) + 10;
  Observation original;
  original.probes.push_back(twice(o, o));
  Observation result;
  result.probes.push_back(once(r));
  Comparison c = compare_observations(original, result);
  EXPECT_TRUE(c.differences.empty()) << listing(c);
  ASSERT_EQ(c.drift.size(), 1u) << listing(c);
  EXPECT_TRUE(mentions(c.drift[0].how, "compared the first 1006 bytes captured")) << c.drift[0].how;
  // The sizes are known in full: half of the body gone is a difference.
  result.probes[0].first.size = (5 << 20) / 2;
  c = compare_observations(original, result);
  ASSERT_EQ(c.differences.size(), 1u) << listing(c);
  EXPECT_TRUE(mentions(c.differences[0].result, "sizes")) << c.differences[0].result;
}

TEST(CompareObservations, UnexplainedDriftOfTheOriginalLowersTheThreshold) {
  // A page with a random quote: the original's own two answers differ in words no masking
  // explains; the result differs from them about as much.
  auto page = [](const std::string& quote) {
    return "<html><body><h1>Quote of the moment</h1><blockquote>" + quote +
           "</blockquote><p>Refresh for another.</p></body></html>";
  };
  Observation original;
  original.probes.push_back(
      twice(answer("/", 200, page("Simplicity is prerequisite for reliability.")),
            answer("/", 200, page("Premature optimization is the root of all evil."))));
  Observation result;
  result.probes.push_back(once(answer("/", 200, page("Talk is cheap. Show me the code."))));
  Comparison c = compare_observations(original, result);
  EXPECT_TRUE(c.differences.empty()) << listing(c);
  ASSERT_EQ(c.drift.size(), 1u) << listing(c);
  EXPECT_TRUE(mentions(c.drift[0].how, "the original's own two answers were")) << c.drift[0].how;
  // An error page instead is a difference all the same.
  result.probes[0].first = answer("/", 200, "Internal error: template quote.html missing");
  c = compare_observations(original, result);
  ASSERT_EQ(c.differences.size(), 1u) << listing(c);
  EXPECT_TRUE(mentions(c.differences[0].result, "the original's own two answers were"));
}

TEST(CompareObservations, ProbesAndExecsTheResultLacks) {
  Observation original;
  original.probes.push_back(twice(answer("/", 200, "a"), answer("/", 200, "a")));
  original.execs.push_back({"check", 0, ""});
  Comparison c = compare_observations(original, Observation{});
  ASSERT_EQ(c.differences.size(), 2u);
  EXPECT_EQ(c.differences[0].result, "not probed");
  EXPECT_EQ(c.differences[1].result, "not run");
}

TEST(ObservationJson, SmallAndValidUtf8) {
  Observation o;
  o.probes.push_back(twice(answer("/", 200, "<p>body</p>"), answer("/", 200, "<p>body</p>")));
  std::string out = std::string(199, 'a') + "ö and more";
  out += "\xff";
  o.execs.push_back({"check", 0, out});
  o.running_at_end = true;
  o.logs = "the app's logs";
  nlohmann::json j = to_json(o);
  EXPECT_EQ(j["running_at_end"], true);
  EXPECT_EQ(j["probes"][0]["body_stable"], true);
  EXPECT_FALSE(j["probes"][0].contains("body"));
  EXPECT_FALSE(j.contains("logs"));
  EXPECT_EQ(j["execs"][0]["output"], std::string(199, 'a') + "…"); // not half an ö
  EXPECT_NO_THROW(j.dump());

  Difference d{"exec `x`: output", "a\xff", "b", "[-a-]{+b+}"};
  nlohmann::json dj = to_json(d);
  EXPECT_NO_THROW(dj.dump());
  EXPECT_EQ(dj["diff"], "[-a-]{+b+}");
  EXPECT_EQ(to_json(Drift{"w", "94% similar"})["tolerated"], "94% similar");
}

} // namespace
} // namespace slim::verify
