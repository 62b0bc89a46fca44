#include "slim/verify/error_lines.hpp"
#include "slim/verify/utf8_text.hpp"
#include "verify_data.hpp"

#include <gtest/gtest.h>

namespace slim::verify {
namespace {

TEST(ErrorLines, RecognisesMissingThings) {
  const char* missing[] = {
      "nginx: [emerg] open() \"/etc/nginx/mime.types\" failed (2: No such file or directory)",
      "python3: error while loading shared libraries: libpython3.11.so.1.0: cannot open shared "
      "object file: No such file or directory",
      "ModuleNotFoundError: No module named 'unicodedata'",
      "ImportError: libGL.so.1: cannot open shared object file",
      "Error: Cannot find module 'express'",
      "  code: 'MODULE_NOT_FOUND',",
      "Exception in thread \"main\" java.lang.NoClassDefFoundError: org/slf4j/LoggerFactory",
      "Caused by: java.lang.ClassNotFoundException: org.postgresql.Driver",
      "Error: Could not find or load main class com.example.App",
      "FATAL:  could not access file \"pg_stat_statements\": No such file or directory",
      "<internal:/usr/lib/ruby/3.1.0/rubygems/core_ext/kernel_require.rb>:85:in `require': cannot "
      "load such file -- json (LoadError)",
      "Can't locate JSON/PP.pm in @INC (you may need to install the JSON::PP module)",
      "sh: 1: convert: not found",
      "/bin/sh: curl: command not found",
      "exec: \"node\": executable file not found in $PATH",
      "Warning: include(header.php): failed to open stream: No such file or directory in "
      "/var/www/html/index.php on line 3",
      "PHP Fatal error:  require(): Failed opening required 'vendor/autoload.php'",
      "symbol lookup error: /usr/lib/libfoo.so: undefined symbol: bar_init",
      "cp: cannot stat '/app/static/*': No such file or directory",
      "PHP Warning:  PHP Startup: Unable to load dynamic library 'gd.so'",
      "could not open configuration file /etc/app.conf",
      "bash: warning: setlocale: LC_ALL: cannot change locale (de_DE.UTF-8)",
      "panic: unknown time zone Europe/Berlin",
      "zoneinfo._common.ZoneInfoNotFoundError: 'No time zone found with key Europe/Berlin'",
      "SSL: CERTIFICATE_VERIFY_FAILED: unable to get local issuer certificate",
      "x509: certificate signed by unknown authority",
      "\tlibssl.so.3 => not found",
  };
  for (const char* line : missing) {
    EXPECT_TRUE(is_missing_error(line)) << line;
  }
  const char* fine[] = {
      "<title>404 Not Found</title>",  "Page not found",
      "Nothing found for your search", "Listening at: http://0.0.0.0:8000 (7)",
      "could not parse date",          "Can't locate the remote host",
      "INFO: using worker: sync",
  };
  for (const char* line : fine) {
    EXPECT_FALSE(is_missing_error(line)) << line;
  }
}

TEST(ErrorLines, LinesAreTrimmedClippedAndCounted) {
  std::string text = "ok\n  ModuleNotFoundError: No module named 'x'  \r\nfine\n";
  text += "No such file or directory: " + std::string(1000, 'a') + "ö\n";
  for (int i = 0; i < 10; ++i) {
    text += "cannot stat 'f" + std::to_string(i) + "'\n";
  }
  auto lines = error_lines(text);
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines[0], "ModuleNotFoundError: No module named 'x'");
  EXPECT_LE(lines[1].size(), k_error_line_bytes + 6);
  EXPECT_TRUE(is_valid_utf8(lines[1]));
  EXPECT_EQ(error_lines(text, 3).size(), 3u);
}

TEST(ErrorLines, ALongLineIsQuotedAroundItsError) {
  const std::string before(1000, 'b');
  const std::string after(1000, 'a');
  auto lines =
      error_lines("<p>" + before + "Warning: include(x.php): failed to open stream" + after);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("…", 0), 0u);
  EXPECT_NE(lines[0].find("include(x.php): failed to open stream"), std::string::npos);
  EXPECT_LE(lines[0].size(), k_error_line_bytes + 6);
}

TEST(ErrorLines, OnlyTheFirstBytesOfAVeryLongLineAreSearched) {
  std::string line(2 * k_error_scan_bytes, 'x');
  EXPECT_FALSE(is_missing_error(line + " No such file or directory"));
  EXPECT_TRUE(is_missing_error("No such file or directory " + line));
}

TEST(ErrorLines, NewErrorsIgnoreTheirTimesPidsAndNumbers) {
  const std::string original = testing::verify_data("gunicorn_1.log");
  const std::string second_run = testing::verify_data("gunicorn_2.log");
  const std::string broken = testing::verify_data("gunicorn_broken.log");
  // The config warning is in every run, with other times and pids: not new.
  ASSERT_EQ(error_lines(original).size(), 1u);
  EXPECT_TRUE(new_error_lines(original, second_run).empty());
  auto added = new_error_lines(original, broken);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0], "ModuleNotFoundError: No module named 'unicodedata'");
}

TEST(ErrorLines, EachNewErrorOnceAndAtMostAFew) {
  std::string result;
  for (int i = 0; i < 5; ++i) {
    result += "[2026-12-01 20:08:0" + std::to_string(i) + "] cannot stat '/a'\n";
    result += "cannot stat '/file" + std::string(1, static_cast<char>('a' + i)) + "'\n";
  }
  auto added = new_error_lines("", result, 3);
  ASSERT_EQ(added.size(), 3u);
  EXPECT_EQ(added[0], "[2026-12-01 20:08:00] cannot stat '/a'");
  EXPECT_EQ(added[1], "cannot stat '/filea'");
  EXPECT_EQ(added[2], "cannot stat '/fileb'");
  // Any of the originals knows a line.
  const std::vector<std::string_view> originals = {"x", "cannot stat '/a'\ncannot stat '/filea'"};
  auto none = new_error_lines(originals, "cannot stat '/filea'\ncannot stat '/a'", 3);
  EXPECT_TRUE(none.empty());
}

} // namespace
} // namespace slim::verify
