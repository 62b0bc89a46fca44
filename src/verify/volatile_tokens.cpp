#include "slim/verify/volatile_tokens.hpp"

#include <algorithm>
#include <optional>

namespace slim::verify {

namespace {

struct ClassInfo {
  std::string_view label;
  std::string_view singular;
  std::string_view plural;
};

constexpr std::array<ClassInfo, k_token_class_count> k_classes = {{
    {"http-date", "http date", "http dates"},
    {"rfc2822-date", "RFC 2822 date", "RFC 2822 dates"},
    {"js-date", "JavaScript date", "JavaScript dates"},
    {"date-time", "ISO 8601 date-time", "ISO 8601 date-times"},
    {"log-date", "log date", "log dates"},
    {"syslog-date", "syslog date", "syslog dates"},
    {"time", "time of day", "times of day"},
    {"date", "date", "dates"},
    {"epoch", "epoch timestamp", "epoch timestamps"},
    {"duration", "duration", "durations"},
    {"uptime", "uptime", "uptimes"},
    {"value", "value after a key like `uptime` or `pid`",
     "values after keys like `uptime` or `pid`"},
    {"uuid", "UUID", "UUIDs"},
    {"hex", "long hex or numeric id", "long hex or numeric ids"},
    {"token", "token (session, CSRF, nonce, ETag)", "tokens (session, CSRF, nonce, ETag)"},
    {"random", "random-looking token", "random-looking tokens"},
    {"n", "number", "numbers"},
}};

// Bounds of the matchers that scan a run (the others look at most ~40 bytes ahead).
constexpr std::size_t k_max_key = 64;           // a key's name
constexpr std::size_t k_max_token_value = 1024; // the value after a token key
constexpr std::size_t k_min_random = 16;        // a random-looking run's length

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_alpha(char c) {
  return is_upper(c) || is_lower(c);
}
bool is_alnum(char c) {
  return is_digit(c) || is_alpha(c);
}
bool is_word(char c) {
  return is_alnum(c) || c == '_';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Base64 and base64url without `/` (which would take whole paths) and without the padding.
bool is_random_char(char c) {
  return is_alnum(c) || c == '+' || c == '_' || c == '-';
}
bool is_token_char(char c) {
  return is_random_char(c) || c == '/' || c == '=' || c == '.' || c == '%' || c == '~';
}
char to_lower(char c) {
  return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr std::array<std::string_view, 12> k_months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> k_days = {"Mon", "Tue", "Wed", "Thu",
                                                    "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> k_full_days = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// A position in the input for the matchers: each method either consumes what it names and
// returns true, or leaves the position as it was (a failed match copies the cursor back).
class Cursor {
public:
  Cursor(std::string_view s, std::size_t pos) : m_s(s), m_pos(pos) {}
  std::size_t pos() const { return m_pos; }
  char peek(std::size_t ahead = 0) const {
    return m_pos + ahead < m_s.size() ? m_s[m_pos + ahead] : '\0';
  }
  bool lit(char c) {
    if (peek() != c || m_pos >= m_s.size()) {
      return false;
    }
    ++m_pos;
    return true;
  }
  void skip(std::size_t n) { m_pos = std::min(m_s.size(), m_pos + n); }
  bool lit(std::string_view w) {
    if (m_s.substr(m_pos, w.size()) != w) {
      return false;
    }
    m_pos += w.size();
    return true;
  }
  /// Between `min` and `max` (<= 9) digits, as many as there are; their value in `value`.
  bool digits(std::size_t min, std::size_t max, int& value) {
    std::size_t n = 0;
    int v = 0;
    while (n < max && is_digit(peek(n))) {
      v = v * 10 + (peek(n) - '0');
      ++n;
    }
    if (n < min) {
      return false;
    }
    m_pos += n;
    value = v;
    return true;
  }
  /// Any number of digits, at least one.
  bool digit_run() {
    std::size_t n = 0;
    while (is_digit(peek(n))) {
      ++n;
    }
    m_pos += n;
    return n > 0;
  }
  /// Between `min` and `max` spaces or tabs; how many in `count`.
  bool spaces(std::size_t min, std::size_t max, std::size_t* count = nullptr) {
    std::size_t n = 0;
    while (n < max && (peek(n) == ' ' || peek(n) == '\t')) {
      ++n;
    }
    if (n < min) {
      return false;
    }
    m_pos += n;
    if (count != nullptr) {
      *count = n;
    }
    return true;
  }
  /// An English month's abbreviation (`Dec`), case as in dates.
  bool month() { return one_of(k_months); }
  template <std::size_t N> bool one_of(const std::array<std::string_view, N>& words) {
    for (auto w : words) {
      if (lit(w)) {
        return true;
      }
    }
    return false;
  }

private:
  std::string_view m_s;
  std::size_t m_pos;
};

struct Match {
  std::size_t end = 0;
  TokenClass kind = TokenClass::number;
};

// A fraction of seconds: `.123456`, or Python logging's `,123`.
void fraction(Cursor& c) {
  int v = 0;
  Cursor f = c;
  if (f.lit('.') && f.digits(1, 9, v) && !is_digit(f.peek())) {
    c = f;
    return;
  }
  f = c;
  if (f.lit(',') && f.digits(3, 3, v) && !is_digit(f.peek())) {
    c = f;
  }
}

// H:MM:SS or HH:MM:SS with an optional fraction.
bool time_hms(Cursor& c) {
  Cursor t = c;
  int h = 0;
  int m = 0;
  int s = 0;
  if (!t.digits(1, 2, h) || h > 23 || !t.lit(':') || !t.digits(2, 2, m) || m > 59 || !t.lit(':') ||
      !t.digits(2, 2, s) || s > 60) {
    return false;
  }
  fraction(t);
  c = t;
  return true;
}

// HH:MM with optional :SS and fraction (ISO 8601, RFC 2822); `seconds` says whether :SS came.
bool time_hm(Cursor& c, bool* seconds = nullptr) {
  Cursor t = c;
  int h = 0;
  int m = 0;
  if (!t.digits(2, 2, h) || h > 23 || !t.lit(':') || !t.digits(2, 2, m) || m > 59) {
    return false;
  }
  Cursor u = t;
  int s = 0;
  bool with_seconds = u.lit(':') && u.digits(2, 2, s) && s <= 60;
  if (with_seconds) {
    fraction(u);
    t = u;
  }
  if (seconds != nullptr) {
    *seconds = with_seconds;
  }
  c = t;
  return true;
}

// A day of the month: 1-31 in one or two digits.
bool day_of_month(Cursor& c, std::size_t* width = nullptr) {
  Cursor t = c;
  int d = 0;
  if (!t.digits(1, 2, d) || d < 1 || d > 31) {
    return false;
  }
  if (width != nullptr) {
    *width = t.pos() - c.pos();
  }
  c = t;
  return true;
}

// The part of an RFC 2822 date after the day name: `01 Dec 2026 20:08:00`.
bool rfc2822_rest(Cursor& c, std::size_t& day_width, bool& seconds) {
  Cursor t = c;
  int y = 0;
  if (!day_of_month(t, &day_width) || !t.lit(' ') || !t.month() || !t.lit(' ') ||
      !t.digits(4, 4, y) || !t.lit(' ') || !time_hm(t, &seconds) || is_digit(t.peek())) {
    return false;
  }
  c = t;
  return true;
}

// `2026-12-01`, `2026/12/01`, optionally with a time after `T` or a space.
std::optional<Match> match_iso(std::string_view s, std::size_t p) {
  Cursor c(s, p);
  int y = 0;
  int mo = 0;
  int d = 0;
  if (!c.digits(4, 4, y) || y < 1900 || y > 2199) {
    return std::nullopt;
  }
  char sep = c.peek();
  if ((sep != '-' && sep != '/') || !c.lit(sep) || !c.digits(2, 2, mo) || mo < 1 || mo > 12 ||
      !c.lit(sep) || !c.digits(2, 2, d) || d < 1 || d > 31 || is_digit(c.peek())) {
    return std::nullopt;
  }
  Cursor t = c;
  if ((t.lit('T') || t.lit(' ')) && time_hm(t) && !is_digit(t.peek())) {
    return Match{t.pos(), TokenClass::iso_datetime};
  }
  return Match{c.pos(), TokenClass::date};
}

// `01/Dec/2026:20:08:00` (common log format) and `01-Dec-2026 20:08:00.123` (Tomcat).
std::optional<Match> match_clf(std::string_view s, std::size_t p) {
  Cursor c(s, p);
  int y = 0;
  if (!day_of_month(c)) {
    return std::nullopt;
  }
  char sep = c.peek();
  if ((sep != '/' && sep != '-') || !c.lit(sep) || !c.month() || !c.lit(sep) ||
      !c.digits(4, 4, y) || !(c.lit(':') || c.lit(' ')) || !time_hms(c) || is_digit(c.peek())) {
    return std::nullopt;
  }
  return Match{c.pos(), TokenClass::clf_date};
}

// Dates that start with an English day name: IMF-fixdate and RFC 2822, RFC 850, asctime,
// JavaScript's Date.toString().
std::optional<Match> match_day_name_date(std::string_view s, std::size_t p) {
  Cursor c(s, p);
  if (c.one_of(k_full_days)) {
    int d = 0;
    int y = 0;
    if (c.lit(", ") && c.digits(2, 2, d) && c.lit('-') && c.month() && c.lit('-') &&
        c.digits(2, 2, y) && c.lit(' ') && time_hms(c) && !is_digit(c.peek())) {
      return Match{c.pos(), TokenClass::http_date};
    }
    return std::nullopt;
  }
  if (!c.one_of(k_days)) {
    return std::nullopt;
  }
  Cursor t = c;
  if (t.lit(", ")) {
    std::size_t day_width = 0;
    bool seconds = false;
    if (!rfc2822_rest(t, day_width, seconds)) {
      return std::nullopt;
    }
    bool http = day_width == 2 && seconds && s.substr(t.pos(), 4) == " GMT";
    return Match{t.pos(), http ? TokenClass::http_date : TokenClass::rfc2822_date};
  }
  if (!t.lit(' ') || !t.month() || !t.lit(' ')) {
    return std::nullopt;
  }
  Cursor padded = t; // asctime pads the day with a space: `Dec  1`
  if (padded.lit(' ') && day_of_month(padded)) {
    t = padded;
  } else if (!day_of_month(t)) {
    return std::nullopt;
  }
  if (!t.lit(' ')) {
    return std::nullopt;
  }
  Cursor asctime = t;
  if (time_hms(asctime) && !is_digit(asctime.peek())) {
    Cursor year = asctime;
    int y = 0;
    if (year.lit(' ') && year.digits(4, 4, y) && !is_digit(year.peek())) {
      asctime = year;
    }
    return Match{asctime.pos(), TokenClass::http_date};
  }
  int y = 0;
  if (t.digits(4, 4, y) && t.lit(' ') && time_hms(t) && !is_digit(t.peek())) {
    return Match{t.pos(), TokenClass::js_date};
  }
  return std::nullopt;
}

// `Dec  1 20:08:00` (syslog).
std::optional<Match> match_syslog(std::string_view s, std::size_t p) {
  Cursor c(s, p);
  if (!c.month() || !c.lit(' ')) {
    return std::nullopt;
  }
  Cursor padded = c;
  if (padded.lit(' ') && day_of_month(padded)) {
    c = padded;
  } else if (!day_of_month(c)) {
    return std::nullopt;
  }
  if (!c.lit(' ') || !time_hms(c) || is_digit(c.peek())) {
    return std::nullopt;
  }
  return Match{c.pos(), TokenClass::syslog_date};
}

// `20:08:00` alone (not followed by more `:NN`).
std::optional<Match> match_time(std::string_view s, std::size_t p) {
  Cursor c(s, p);
  if (!time_hms(c) || is_digit(c.peek()) || (c.peek() == ':' && is_digit(c.peek(1)))) {
    return std::nullopt;
  }
  return Match{c.pos(), TokenClass::time_of_day};
}

// Unix time in seconds, ms, µs or ns between 2001-09-09 (10 digits) and 2100.
std::optional<Match> match_epoch(std::string_view s, std::size_t p) {
  if (p > 0 && s[p - 1] == '.') {
    return std::nullopt; // the digits of a fraction
  }
  std::size_t e = p;
  while (e < s.size() && is_digit(s[e])) {
    ++e;
  }
  std::size_t len = e - p;
  if ((len != 10 && len != 13 && len != 16 && len != 19) || s[p] == '0' ||
      (e < s.size() && is_alpha(s[e]))) {
    return std::nullopt;
  }
  std::uint64_t seconds = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    seconds = seconds * 10 + static_cast<std::uint64_t>(s[p + i] - '0');
  }
  if (seconds >= 4102444800u) { // 2100-01-01
    return std::nullopt;
  }
  if (len == 10 && e + 1 < s.size() && s[e] == '.' && is_digit(s[e + 1])) {
    Cursor c(s, e + 1);
    c.digit_run();
    e = c.pos();
  }
  return Match{e, TokenClass::epoch};
}

std::optional<Match> match_uuid(std::string_view s, std::size_t p) {
  constexpr std::array<std::size_t, 5> k_groups = {8, 4, 4, 4, 12};
  std::size_t q = p;
  for (std::size_t g = 0; g < k_groups.size(); ++g) {
    for (std::size_t i = 0; i < k_groups[g]; ++i, ++q) {
      if (q >= s.size() || !is_hex(s[q])) {
        return std::nullopt;
      }
    }
    if (g + 1 < k_groups.size()) {
      if (q >= s.size() || s[q] != '-') {
        return std::nullopt;
      }
      ++q;
    }
  }
  if (q < s.size() && is_alnum(s[q])) {
    return std::nullopt;
  }
  return Match{q, TokenClass::uuid};
}

// `0x` and 4+ hex digits (addresses change with ASLR), or a word of 12+ hex digits with at
// least one decimal digit (container hostnames, digests, run ids; all-digit 12+ runs too).
std::optional<Match> match_hex(std::string_view s, std::size_t p) {
  if (s[p] == '0' && p + 1 < s.size() && (s[p + 1] == 'x' || s[p + 1] == 'X')) {
    std::size_t q = p + 2;
    while (q < s.size() && is_hex(s[q])) {
      ++q;
    }
    if (q - p - 2 >= 4 && (q >= s.size() || !is_alnum(s[q]))) {
      return Match{q, TokenClass::hex};
    }
    return std::nullopt;
  }
  std::size_t q = p;
  bool digit = false;
  while (q < s.size() && is_alnum(s[q])) {
    if (!is_hex(s[q])) {
      return std::nullopt;
    }
    digit = digit || is_digit(s[q]);
    ++q;
  }
  if (q - p < 12 || !digit) {
    return std::nullopt;
  }
  return Match{q, TokenClass::hex};
}

// A number with an optional fraction: `12`, `1.5`.
bool plain_number(Cursor& c) {
  Cursor t = c;
  if (!t.digit_run()) {
    return false;
  }
  Cursor f = t;
  if (f.lit('.') && f.digit_run()) {
    t = f;
  }
  c = t;
  return true;
}

// Units, longest first so that `ms` is not read as `m`.
constexpr std::array<std::string_view, 23> k_units = {
    "seconds", "second", "minutes", "minute", "hours", "hour", "days", "day",
    "secs",    "sec",    "mins",    "min",    "hrs",   "hr",   "ms",   "µs",
    "μs",      "us",     "ns",      "s",      "m",     "h",    "d"};

std::string_view take_unit(Cursor& c) {
  for (auto u : k_units) {
    if (c.lit(u)) {
      return u;
    }
  }
  return {};
}

// `123ms`, `1.5 s`, `3 seconds`, `2 days`, Go's `1h2m3.5s`. A space is allowed before the
// units that cannot be read as something else (`5 m` could be metres).
std::optional<Match> match_duration(std::string_view s, std::size_t p) {
  Cursor c(s, p);
  bool any = false;
  for (;;) {
    Cursor t = c;
    if (!plain_number(t)) {
      break;
    }
    Cursor u = t;
    std::string_view unit = take_unit(u);
    bool spaced = false;
    if (unit.empty() && !any) {
      u = t;
      if (u.lit(' ')) {
        unit = take_unit(u);
        spaced = !unit.empty() && unit != "m" && unit != "h" && unit != "d" && unit != "us";
        if (!spaced) {
          unit = {};
        }
      }
    }
    if (unit.empty() || (is_alpha(u.peek()) || u.peek() == '_') || (spaced && is_digit(u.peek()))) {
      break;
    }
    c = u;
    any = true;
    if (spaced || !is_digit(c.peek())) {
      break; // Go's compound durations go on with a digit: `1h2m`
    }
  }
  if (!any) {
    return std::nullopt;
  }
  return Match{c.pos(), TokenClass::duration};
}

// `up 3 days, 2:03`, `up 2:03`, `up 5 min` (uptime(1), w(1), top(1)).
std::optional<Match> match_uptime(std::string_view s, std::size_t p) {
  Cursor c(s, p);
  if (!c.lit("up") || !c.spaces(1, 3)) {
    return std::nullopt;
  }
  std::optional<std::size_t> days_end;
  int n = 0;
  Cursor t = c;
  if (t.digits(1, 5, n) && t.lit(' ') && t.lit("day")) {
    t.lit('s');
    if (is_alnum(t.peek())) {
      return std::nullopt;
    }
    days_end = t.pos();
    if (!t.lit(',') || !t.spaces(0, 3)) {
      return Match{*days_end, TokenClass::uptime};
    }
    c = t;
  }
  t = c;
  int h = 0;
  int m = 0;
  if (t.digits(1, 2, h) && t.lit(':') && t.digits(2, 2, m) && !is_digit(t.peek())) {
    return Match{t.pos(), TokenClass::uptime};
  }
  t = c;
  if (t.digits(1, 5, n) && t.lit(' ') && t.lit("min")) {
    t.lit('s');
    if (!is_alnum(t.peek())) {
      return Match{t.pos(), TokenClass::uptime};
    }
  }
  if (days_end) {
    return Match{*days_end, TokenClass::uptime};
  }
  return std::nullopt;
}

// A long run of base64-ish characters that looks random: letters and digits (or both cases)
// alternating often, unlike words, paths and identifiers (`x86_64-linux-gnu`, `addEventListener`
// have few changes of character class). Random 20+ character tokens pass with near certainty.
std::optional<Match> match_random(std::string_view s, std::size_t p, std::size_t& failed_until) {
  if (p < failed_until || (p > 0 && is_random_char(s[p - 1]))) {
    return std::nullopt; // inside a run already judged (keeps the pass linear)
  }
  std::size_t q = p;
  std::size_t digits = 0;
  std::size_t upper = 0;
  std::size_t lower = 0;
  std::size_t changes = 0;
  int last = -1; // 0 digit, 1 upper, 2 lower
  while (q < s.size() && is_random_char(s[q])) {
    char ch = s[q];
    int kind = is_digit(ch) ? 0 : is_upper(ch) ? 1 : is_lower(ch) ? 2 : -1;
    if (kind >= 0) {
      digits += kind == 0 ? 1 : 0;
      upper += kind == 1 ? 1 : 0;
      lower += kind == 2 ? 1 : 0;
      changes += last >= 0 && last != kind ? 1 : 0;
      last = kind;
    }
    ++q;
  }
  std::size_t len = q - p;
  bool random =
      len >= k_min_random && ((digits > 0 && upper + lower > 0 && changes * 6 >= len) ||
                              (digits == 0 && upper > 0 && lower > 0 && changes * 3 >= len));
  if (!random) {
    failed_until = q;
    return std::nullopt;
  }
  for (int pad = 0; pad < 2 && q < s.size() && s[q] == '='; ++pad) {
    ++q;
  }
  return Match{q, TokenClass::random};
}

// What a key says about the value after it.
enum class KeyKind { none, number, load, token };

// Key names are split into lower-case parts at `_`, `-`, `.` and camelCase humps.
constexpr std::array<std::string_view, 23> k_number_key_parts = {
    "uptime", "elapsed",   "duration", "took",  "pid",     "ppid",    "started", "startup",
    "time",   "timestamp", "ts",       "clock", "latency", "runtime", "epoch",   "cpu",
    "rss",    "memory",    "mem",      "usec",  "msec",    "nsec",    "now"};
constexpr std::array<std::string_view, 9> k_id_key_suffixes = {
    "process_id", "run_id",    "request_id",   "trace_id",      "span_id",
    "boot_id",    "thread_id", "container_id", "correlation_id"};
constexpr std::array<std::string_view, 6> k_token_key_fragments = {"csrf",  "xsrf",   "token",
                                                                   "nonce", "sessid", "session"};
constexpr std::array<std::string_view, 2> k_token_key_parts = {"sid", "etag"};

template <std::size_t N> bool in(const std::array<std::string_view, N>& words, std::string_view w) {
  for (auto x : words) {
    if (x == w) {
      return true;
    }
  }
  return false;
}

KeyKind classify_key(std::string_view name) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < name.size(); ++i) {
    char ch = name[i];
    if (ch == '_' || ch == '-' || ch == '.') {
      if (!parts.back().empty()) {
        parts.emplace_back();
      }
      continue;
    }
    if (is_upper(ch) && i > 0 && (is_lower(name[i - 1]) || is_digit(name[i - 1])) &&
        !parts.back().empty()) {
      parts.emplace_back();
    }
    parts.back() += to_lower(ch);
  }
  if (parts.back().empty()) {
    parts.pop_back();
  }
  if (parts.empty()) {
    return KeyKind::none;
  }
  if (parts.size() == 1 && parts[0] == "load") {
    return KeyKind::load;
  }
  std::string joined;
  for (const auto& part : parts) {
    if (in(k_number_key_parts, part)) {
      return KeyKind::number;
    }
    joined += (joined.empty() ? "" : "_") + part;
  }
  for (auto suffix : k_id_key_suffixes) {
    if (joined.size() >= suffix.size() &&
        joined.compare(joined.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        (joined.size() == suffix.size() || joined[joined.size() - suffix.size() - 1] == '_')) {
      return KeyKind::number;
    }
  }
  for (const auto& part : parts) {
    if (in(k_token_key_parts, part)) {
      return KeyKind::token;
    }
    for (auto fragment : k_token_key_fragments) {
      if (part.find(fragment) != std::string::npos) {
        return KeyKind::token;
      }
    }
  }
  return KeyKind::none;
}

struct Key {
  KeyKind kind = KeyKind::none;
  std::size_t value = 0; ///< where the value starts, after the separator
};

// After `name="csrf_token" `: `value=` or `content=`, possibly after a few other attributes of
// the tag (`type="hidden" `), each short.
bool html_value_attribute(Cursor& c) {
  constexpr int k_max_attributes = 3;
  constexpr std::size_t k_max_attribute = 64;
  Cursor t = c;
  for (int i = 0;; ++i) {
    if (t.lit("value=") || t.lit("content=")) {
      c = t;
      return true;
    }
    if (i == k_max_attributes) {
      return false;
    }
    std::size_t n = 0;
    while (n < k_max_attribute && (is_alpha(t.peek(n)) || t.peek(n) == '-')) {
      ++n;
    }
    if (n == 0 || t.peek(n) != '=' || t.peek(n + 1) != '"') {
      return false;
    }
    std::size_t q = n + 2;
    while (q < n + 2 + k_max_attribute && t.peek(q) != '"' && t.peek(q) != '\0' &&
           t.peek(q) != '>') {
      ++q;
    }
    if (t.peek(q) != '"') {
      return false;
    }
    Cursor next = t;
    next.skip(q + 1);
    if (!next.spaces(1, 4)) {
      return false;
    }
    t = next;
  }
}

// A key and its separator: `uptime_in_seconds:`, `"uptime": `, `pid=`, `pid `, `took `,
// `X-Request-Id: `, `load average: `, `name="csrf_token" value="`. Token keys need `:`, `=`
// or an attribute (`token missing` is prose).
std::optional<Key> match_key(std::string_view s, std::size_t p) {
  std::size_t e = p;
  while (e < s.size() && e - p <= k_max_key) {
    if (is_word(s[e])) {
      ++e;
    } else if ((s[e] == '-' || s[e] == '.') && e > p && e + 1 < s.size() && is_alnum(s[e + 1])) {
      ++e;
    } else {
      break;
    }
  }
  if (e - p > k_max_key) {
    return std::nullopt;
  }
  KeyKind kind = classify_key(s.substr(p, e - p));
  if (kind == KeyKind::none) {
    return std::nullopt;
  }
  Cursor c(s, e);
  if (kind == KeyKind::load) {
    if (!c.lit(" average")) {
      return std::nullopt;
    }
    c.lit('s');
  }
  bool quoted = c.lit('"') || c.lit('\'');
  std::size_t blanks = 0;
  c.spaces(0, 4, &blanks);
  bool explicit_sep = c.lit("=>") || c.lit(':') || c.lit('=');
  if (!explicit_sep && kind == KeyKind::token) {
    if (!quoted || blanks == 0 || !html_value_attribute(c)) {
      return std::nullopt;
    }
    explicit_sep = true;
  }
  if (!explicit_sep && blanks == 0) {
    return std::nullopt;
  }
  c.spaces(0, 4);
  if (!c.lit('"')) {
    c.lit('\'');
  }
  return Key{kind, c.pos()};
}

// A number after a number key: `12`, `-3`, `12.3`, `1.5e-3`, `1.18M`, `45%`.
std::optional<Match> match_keyed_number(std::string_view s, std::size_t p) {
  Cursor c(s, p);
  if (!c.lit('-')) {
    c.lit('+');
  }
  if (!plain_number(c)) {
    return std::nullopt;
  }
  Cursor e = c;
  if (e.lit('e') || e.lit('E')) {
    if (!e.lit('-')) {
      e.lit('+');
    }
    if (e.digit_run()) {
      c = e;
    }
  }
  Cursor unit = c;
  std::size_t n = 0;
  while (n < 3 && (is_alpha(unit.peek()) || unit.peek() == '%')) {
    unit.lit(unit.peek());
    ++n;
  }
  if (!is_alnum(unit.peek())) {
    c = unit;
  }
  if (is_alnum(c.peek())) {
    return std::nullopt;
  }
  return Match{c.pos(), TokenClass::keyed_value};
}

// `0.00, 0.01, 0.05` after `load average:`.
std::optional<Match> match_load(std::string_view s, std::size_t p) {
  auto first = match_keyed_number(s, p);
  if (!first) {
    return std::nullopt;
  }
  std::size_t end = first->end;
  for (int i = 0; i < 2; ++i) {
    Cursor c(s, end);
    c.lit(',');
    c.spaces(0, 2);
    auto next = match_keyed_number(s, c.pos());
    if (c.pos() == end || !next) {
      break;
    }
    end = next->end;
  }
  return Match{end, TokenClass::keyed_value};
}

// The value after a token key: a run of token characters that is not a plain word.
std::optional<Match> match_token_value(std::string_view s, std::size_t p,
                                       std::size_t& failed_until) {
  const std::size_t start = p;
  if (start < failed_until) {
    return std::nullopt;
  }
  std::size_t q = start;
  bool digit = false;
  bool upper = false;
  bool lower = false;
  while (q < s.size() && is_token_char(s[q]) && q - start <= k_max_token_value) {
    digit = digit || is_digit(s[q]);
    upper = upper || is_upper(s[q]);
    lower = lower || is_lower(s[q]);
    ++q;
  }
  std::size_t len = q - start;
  if (len < 6 || len > k_max_token_value || !(digit || (upper && lower))) {
    failed_until = q;
    return std::nullopt;
  }
  return Match{q, TokenClass::token};
}

class Masker {
public:
  Masker(std::string_view s, MaskLevel level) : m_s(s), m_level(level) {
    m_out.text.reserve(s.size() + s.size() / 8);
  }

  MaskedText run() {
    std::size_t p = 0;
    while (p < m_s.size()) {
      char ch = m_s[p];
      bool start = is_word(ch) && (p == 0 || !is_word(m_s[p - 1]));
      if (!start) {
        p = is_word(ch) ? copy_word(p) : copy_char(p);
        continue;
      }
      if (auto m = match_token(p)) {
        p = emit(p, *m);
        continue;
      }
      if (auto key = match_key(m_s, p)) {
        copy_plain(p, key->value);
        p = key->value;
        if (key->kind == KeyKind::token && m_s.substr(p, 3) == "W/\"") {
          copy_plain(p, p + 3); // a weak ETag's mark stays
          p += 3;
        }
        if (auto m = match_value(p, key->kind)) {
          p = emit(p, *m);
        }
        continue;
      }
      p = copy_word(p);
    }
    return std::move(m_out);
  }

private:
  // The matchers that need no key, at the start of a word.
  std::optional<Match> match_token(std::size_t p) {
    char ch = m_s[p];
    std::optional<Match> m;
    if (is_digit(ch)) {
      (m = match_epoch(m_s, p)) || (m = match_uuid(m_s, p)) || (m = match_hex(m_s, p)) ||
          (m = match_iso(m_s, p)) || (m = match_clf(m_s, p)) || (m = match_rfc2822_no_day(p)) ||
          (m = match_time(m_s, p)) || (m = match_duration(m_s, p));
    } else if (is_alpha(ch)) {
      (m = match_day_name_date(m_s, p)) || (m = match_syslog(m_s, p)) ||
          (m = match_uptime(m_s, p)) || (m = match_uuid(m_s, p)) || (m = match_hex(m_s, p));
    }
    if (!m) {
      m = match_random(m_s, p, m_random_failed_until);
    }
    return m;
  }

  std::optional<Match> match_rfc2822_no_day(std::size_t p) {
    Cursor c(m_s, p);
    std::size_t day_width = 0;
    bool seconds = false;
    if (!rfc2822_rest(c, day_width, seconds)) {
      return std::nullopt;
    }
    return Match{c.pos(), TokenClass::rfc2822_date};
  }

  std::optional<Match> match_value(std::size_t p, KeyKind kind) {
    if (p >= m_s.size()) {
      return std::nullopt;
    }
    if (kind == KeyKind::token) {
      // The whole value (`eyJ...J9.Z1xY.abc-def`), before the matchers that take parts of it.
      if (auto m = match_token_value(m_s, p, m_token_failed_until)) {
        return m;
      }
    }
    if (is_word(m_s[p]) && !is_word(m_s[p - 1])) {
      if (auto m = match_token(p)) {
        return m;
      }
    }
    switch (kind) {
    case KeyKind::number:
      return match_keyed_number(m_s, p);
    case KeyKind::load:
      return match_load(m_s, p);
    case KeyKind::token:
    case KeyKind::none:
      break;
    }
    return std::nullopt;
  }

  std::size_t emit(std::size_t p, const Match& m) {
    m_out.text += "⟨";
    m_out.text += token_class_label(m.kind);
    m_out.text += "⟩";
    m_out.tokens.push_back({m.kind, p, m.end - p});
    return m.end;
  }

  std::size_t copy_char(std::size_t p) {
    m_out.text += m_s[p];
    return p + 1;
  }

  // Copies [from, to); at MaskLevel::numbers each run of digits becomes a number token.
  void copy_plain(std::size_t from, std::size_t to) {
    std::size_t p = from;
    while (p < to) {
      if (m_level == MaskLevel::numbers && is_digit(m_s[p])) {
        std::size_t e = p;
        while (e < to && is_digit(m_s[e])) {
          ++e;
        }
        emit(p, Match{e, TokenClass::number});
        p = e;
      } else {
        m_out.text += m_s[p++];
      }
    }
  }

  std::size_t copy_word(std::size_t p) {
    std::size_t e = p;
    while (e < m_s.size() && is_word(m_s[e])) {
      ++e;
    }
    copy_plain(p, e);
    return e;
  }

  std::string_view m_s;
  MaskLevel m_level;
  MaskedText m_out;
  std::size_t m_random_failed_until = 0;
  std::size_t m_token_failed_until = 0;
};

} // namespace

MaskedText mask_volatile(std::string_view text, MaskLevel level) {
  return Masker(text, level).run();
}

TokenCounts count_tokens(const MaskedText& masked) {
  TokenCounts counts{};
  for (const auto& t : masked.tokens) {
    ++counts[static_cast<std::size_t>(t.kind)];
  }
  return counts;
}

TokenCounts changed_tokens(std::string_view a, const MaskedText& masked_a, std::string_view b,
                           const MaskedText& masked_b) {
  TokenCounts counts{};
  std::size_t n = std::min(masked_a.tokens.size(), masked_b.tokens.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& ta = masked_a.tokens[i];
    const auto& tb = masked_b.tokens[i];
    if (a.substr(ta.offset, ta.length) != b.substr(tb.offset, tb.length)) {
      ++counts[static_cast<std::size_t>(ta.kind)];
    }
  }
  return counts;
}

std::string describe_counts(const TokenCounts& counts) {
  std::string out;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) {
      continue;
    }
    out += (out.empty() ? "" : ", ") + std::to_string(counts[i]) + " ";
    out += counts[i] == 1 ? k_classes[i].singular : k_classes[i].plural;
  }
  return out;
}

std::string_view token_class_label(TokenClass kind) {
  return k_classes[static_cast<std::size_t>(kind)].label;
}

} // namespace slim::verify
