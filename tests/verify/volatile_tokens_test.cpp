#include "slim/verify/volatile_tokens.hpp"
#include "verify_data.hpp"

#include <gtest/gtest.h>

namespace slim::verify {
namespace {

std::string masked(std::string_view s) {
  return mask_volatile(s).text;
}
std::string numbers(std::string_view s) {
  return mask_volatile(s, MaskLevel::numbers).text;
}

// The one token `text` holds is masked whole, as `kind`.
void expect_one(std::string_view text, TokenClass kind) {
  MaskedText m = mask_volatile(text);
  ASSERT_EQ(m.tokens.size(), 1u) << text << " -> " << m.text;
  EXPECT_EQ(m.tokens[0].kind, kind) << text << " -> " << m.text;
  EXPECT_EQ(m.text, "⟨" + std::string(token_class_label(kind)) + "⟩") << text;
}

TEST(VolatileTokens, HttpDates) {
  expect_one("Tue, 01 Dec 2026 20:08:00", TokenClass::rfc2822_date); // IMF-fixdate needs GMT
  EXPECT_EQ(masked("Date: Tue, 01 Dec 2026 20:08:00 GMT"), "Date: ⟨http-date⟩ GMT");
  EXPECT_EQ(masked("Tuesday, 01-Dec-26 20:08:00 GMT"), "⟨http-date⟩ GMT"); // RFC 850
  expect_one("Tue Dec  1 20:08:00 2026", TokenClass::http_date);           // asctime
  // date(1): the zone stays, so a lost time zone still shows.
  EXPECT_EQ(masked("Tue Dec  1 20:08:00 UTC 2026"), "⟨http-date⟩ UTC 2026");
  EXPECT_NE(masked("Tue Dec  1 20:08:00 UTC 2026"), masked("Tue Dec  1 21:08:00 CET 2026"));
}

TEST(VolatileTokens, Rfc2822AndJavaScriptDates) {
  EXPECT_EQ(masked("Tue, 1 Dec 2026 20:08:00 +0100"), "⟨rfc2822-date⟩ +0100");
  EXPECT_EQ(masked("sent 1 Dec 2026 20:08 -0500"), "sent ⟨rfc2822-date⟩ -0500");
  EXPECT_EQ(masked("Tue Dec 01 2026 20:08:00 GMT+0000 (Coordinated Universal Time)"),
            "⟨js-date⟩ GMT+0000 (Coordinated Universal Time)");
}

TEST(VolatileTokens, IsoDateTimesKeepTheirZone) {
  EXPECT_EQ(masked("2026-12-01T20:08:00.123Z"), "⟨date-time⟩Z");
  EXPECT_EQ(masked("2026-12-01T20:08:00+01:00"), "⟨date-time⟩+01:00");
  EXPECT_EQ(masked("at 2026-12-01 20:08:00,123 INFO"), "at ⟨date-time⟩ INFO"); // Python logging
  EXPECT_EQ(masked("2026/12/01 20:08:00 [error]"), "⟨date-time⟩ [error]");     // nginx, Go
  EXPECT_EQ(masked("2026-12-01T20:08"), "⟨date-time⟩");
  EXPECT_NE(masked("2026-12-01T20:08:00Z"), masked("2026-12-01T21:08:00+01:00"));
}

TEST(VolatileTokens, LogDates) {
  EXPECT_EQ(masked("127.0.0.1 - - [01/Dec/2026:20:08:00 +0000] \"GET / HTTP/1.1\" 200 612"),
            "127.0.0.1 - - [⟨log-date⟩ +0000] \"GET / HTTP/1.1\" 200 612");
  EXPECT_EQ(masked("01-Dec-2026 20:08:00.123 INFO [main]"), "⟨log-date⟩ INFO [main]"); // Tomcat
  EXPECT_EQ(masked("Dec  1 20:08:00 host cron[7]: ok"), "⟨syslog-date⟩ host cron[7]: ok");
  EXPECT_EQ(masked("Dec 11 20:08:00 host"), "⟨syslog-date⟩ host");
}

TEST(VolatileTokens, TimesAndPlainDates) {
  expect_one("20:08:00", TokenClass::time_of_day);
  expect_one("20:08:00.123456", TokenClass::time_of_day);
  expect_one("2026-12-01", TokenClass::date);
  EXPECT_EQ(masked("ratio 1:2:3 and 25:61:00 stay"), "ratio 1:2:3 and 25:61:00 stay");
  EXPECT_EQ(masked("2026-13-01 and 2026-12-32 stay"), "2026-13-01 and 2026-12-32 stay");
}

TEST(VolatileTokens, EpochSecondsAndMilliseconds) {
  expect_one("1764619680", TokenClass::epoch);
  expect_one("1764619680123", TokenClass::epoch);
  expect_one("1764619680.123456", TokenClass::epoch);
  // Not in 2001-2100, or not 10/13/16/19 digits: numbers like any other.
  EXPECT_EQ(masked("9999999999 0123456789 12345678901"), "9999999999 0123456789 12345678901");
}

TEST(VolatileTokens, DurationsAndUptimes) {
  EXPECT_EQ(masked("took 123ms, 1.5 s, 3 seconds, 2 days, 1h2m3.5s"),
            "took ⟨duration⟩, ⟨duration⟩, ⟨duration⟩, ⟨duration⟩, ⟨duration⟩");
  EXPECT_EQ(masked("5 sheep, HTTP/1.1 200 OK, 3 m"), "5 sheep, HTTP/1.1 200 OK, 3 m");
  EXPECT_EQ(masked(" 20:08:00 up 3 days,  2:03,  1 user,  load average: 0.00, 0.01, 0.05"),
            " ⟨time⟩ ⟨uptime⟩,  1 user,  load average: ⟨value⟩");
  EXPECT_EQ(masked("up 5 min"), "⟨uptime⟩");
  EXPECT_EQ(masked("up 12:41,"), "⟨uptime⟩,");
}

TEST(VolatileTokens, NumbersAfterVolatileKeys) {
  EXPECT_EQ(masked("uptime_in_seconds:12\r\nprocess_id:7\r\nconnected_clients:1"),
            "uptime_in_seconds:⟨value⟩\r\nprocess_id:⟨value⟩\r\nconnected_clients:1");
  EXPECT_EQ(masked(R"({"uptime": 12.3, "requests": 4, "pid": 7, "startTime": 5})"),
            R"({"uptime": ⟨value⟩, "requests": 4, "pid": ⟨value⟩, "startTime": ⟨value⟩})");
  EXPECT_EQ(masked("[pid 7] worker (pid: 8) elapsed=0.123 took 12 X-Runtime: 0.0123"),
            "[pid ⟨value⟩] worker (pid: ⟨value⟩) elapsed=⟨value⟩ took ⟨value⟩ X-Runtime: ⟨value⟩");
  EXPECT_EQ(masked("used_memory_human:1.18M used_cpu_sys:0.012345"),
            "used_memory_human:⟨value⟩ used_cpu_sys:⟨value⟩");
  // Not a key: `id`, `count`; a key needs a separator.
  EXPECT_EQ(masked("id: 7, count=3, pid7"), "id: 7, count=3, pid7");
}

TEST(VolatileTokens, UuidsAndHex) {
  expect_one("123e4567-e89b-12d3-a456-426614174000", TokenClass::uuid);
  expect_one("3f2a1b9c4d5e", TokenClass::hex); // a container's hostname
  expect_one("4f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6", TokenClass::hex);
  expect_one("0x7f3a2b1c4d50", TokenClass::hex);
  EXPECT_EQ(masked("deadbeef cafe 3f2a1b9c4d5"), "deadbeef cafe 3f2a1b9c4d5"); // short
}

TEST(VolatileTokens, SessionAndCsrfTokens) {
  EXPECT_EQ(masked("Set-Cookie: session=eyJjc3JmIjoiYWJjIn0.Z1xYzQ.abc-def_GHI123; HttpOnly"),
            "Set-Cookie: session=⟨token⟩; HttpOnly");
  EXPECT_EQ(
      masked(R"(<input id="csrf_token" name="csrf_token" type="hidden" value="IjQ5.Z0zBQA.kx4Z">)"),
      R"(<input id="csrf_token" name="csrf_token" type="hidden" value="⟨token⟩">)");
  EXPECT_EQ(masked(R"(<meta name="csrf-token" content="Xk2j3abcDEF">)"),
            R"(<meta name="csrf-token" content="⟨token⟩">)");
  EXPECT_EQ(masked("ETag: \"6537cac7-267\""), "ETag: \"⟨token⟩\"");
  EXPECT_EQ(masked("ETag: W/\"6537cac7-267\""), "ETag: W/\"⟨token⟩\"");
  // Prose after a token key is not a token.
  EXPECT_EQ(masked("csrf token: invalid; token missing"), "csrf token: invalid; token missing");
}

TEST(VolatileTokens, RandomLookingRuns) {
  expect_one("aB3xY9kLmN2pQrStUvWx", TokenClass::random);
  expect_one("Nh8mDq2s-aXd0cY4wG5hZk1EoR3tJ9vVbL7U", TokenClass::random);
  // Words, identifiers and paths do not look random.
  const std::string plain =
      "addEventListener x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/libssl.so.3 "
      "SOME_CONSTANT_NAME_V2 internationalization";
  EXPECT_EQ(masked(plain), plain);
}

TEST(VolatileTokens, MaskingKeepsTheShapeOfLocales) {
  // A missing locale prints English names and other number separators: that must show.
  EXPECT_NE(masked("Dienstag, 1. Dezember 2026 20:08:00"), masked("Tue Dec  1 20:08:00 2026"));
  EXPECT_NE(numbers("Dienstag, 1. Dezember 2026 20:08:00"), numbers("Tue Dec  1 20:08:00 2026"));
  EXPECT_EQ(masked("Dienstag, 1. Dezember 2026"), "Dienstag, 1. Dezember 2026");
  EXPECT_NE(masked("1.234,5"), masked("1,234.5"));
  EXPECT_NE(numbers("1.234,5"), numbers("1,234.5"));
  EXPECT_EQ(numbers("1.234,5"), "⟨n⟩.⟨n⟩,⟨n⟩");
  EXPECT_EQ(numbers("1.234,5"), numbers("9.876,0"));
}

TEST(VolatileTokens, NumbersLevelMasksEveryNumberByShape) {
  EXPECT_EQ(masked("requests served: 17"), "requests served: 17");
  EXPECT_EQ(numbers("requests served: 17"), "requests served: ⟨n⟩");
  EXPECT_EQ(numbers("requests served: 17"), numbers("requests served: 2"));
  EXPECT_EQ(numbers("db0:keys=12,expires=0 at Tue, 01 Dec 2026 20:08:00 GMT"),
            "db⟨n⟩:keys=⟨n⟩,expires=⟨n⟩ at ⟨http-date⟩ GMT");
  EXPECT_NE(numbers("12.5 items"), numbers("12 items"));
}

TEST(VolatileTokens, CountsOnlyTheTokensThatChanged) {
  const std::string a = "Date: Tue, 01 Dec 2026 20:08:00 GMT took 12ms pid 7 took 5ms";
  const std::string b = "Date: Tue, 01 Dec 2026 21:14:09 GMT took 3ms pid 7 took 5ms";
  MaskedText ma = mask_volatile(a);
  MaskedText mb = mask_volatile(b);
  ASSERT_EQ(ma.text, mb.text);
  TokenCounts all = count_tokens(ma);
  EXPECT_EQ(all[static_cast<std::size_t>(TokenClass::duration)], 2u);
  EXPECT_EQ(describe_counts(changed_tokens(a, ma, b, mb)), "1 http date, 1 duration");
  EXPECT_EQ(describe_counts(changed_tokens(a, ma, a, ma)), "");
}

TEST(VolatileTokens, TokenOffsetsPointIntoTheInput) {
  const std::string a = "id 123e4567-e89b-12d3-a456-426614174000 at 20:08:00";
  MaskedText m = mask_volatile(a);
  ASSERT_EQ(m.tokens.size(), 2u);
  EXPECT_EQ(a.substr(m.tokens[0].offset, m.tokens[0].length),
            "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(a.substr(m.tokens[1].offset, m.tokens[1].length), "20:08:00");
}

TEST(VolatileTokens, TwoRedisInfoSamplesAtTheNumbersLevel) {
  const std::string a = testing::verify_data("redis_info_1.txt");
  const std::string b = testing::verify_data("redis_info_2.txt");
  MaskedText ma = mask_volatile(a);
  MaskedText mb = mask_volatile(b);
  // uptime, pid, run_id, times, memory and CPU are masked; the counters are not.
  EXPECT_NE(ma.text.find("run_id:⟨hex⟩\r\n"), std::string::npos);
  EXPECT_NE(ma.text.find("uptime_in_seconds:⟨value⟩\r\n"), std::string::npos);
  EXPECT_NE(ma.text.find("rdb_last_save_time:⟨epoch⟩\r\n"), std::string::npos);
  EXPECT_NE(ma.text.find("total_connections_received:3\r\n"), std::string::npos);
  EXPECT_NE(ma.text, mb.text);
  EXPECT_EQ(numbers(a), numbers(b));
}

TEST(VolatileTokens, LinearOnAdversarialRuns) {
  // Runs that every matcher starts on and gives up on: a quadratic pass would take minutes.
  std::string dashes;
  for (int i = 0; i < 200000; ++i) {
    dashes += "a-";
  }
  EXPECT_TRUE(masked(dashes) == dashes);
  std::string keys;
  for (int i = 0; i < 100000; ++i) {
    keys += "token=token=";
  }
  EXPECT_TRUE(masked(keys) == keys);
  std::string digits(1 << 20, '7');
  EXPECT_EQ(masked(digits), "⟨hex⟩"); // a long numeric id
  std::string spaced;
  for (int i = 0; i < 100000; ++i) {
    spaced += "12 ";
  }
  // Compared as booleans: a failure must not print megabytes.
  EXPECT_TRUE(masked(spaced) == spaced);
}

} // namespace
} // namespace slim::verify
