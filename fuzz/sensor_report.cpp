// Fuzz target: the controller's parser of the sensor's report (untrusted: the app runs as root
// in its container and can write /.slim), under the default limits and under tiny ones, and
// the sensor's JSON string writer read back by nlohmann::json. Checks: the limits hold on
// every accepted report; valid UTF-8 written by the sensor reads back unchanged.
#include "slim/keep/sensor_report.hpp"

#include "sensor/json.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_sensor_report: invariant broken: %s\n", what);
    std::abort();
  }
}

void parse_within(std::string_view text, const slim::keep::ReportLimits& limits) {
  auto report = slim::keep::parse_sensor_report(text, limits);
  if (!report) {
    check(report.error().rfind("sensor report: ", 0) == 0, "errors start with `sensor report: `");
    return;
  }
  const auto& r = report.value();
  check(text.size() <= limits.max_bytes, "document under max_bytes");
  check(r.version == slim::keep::k_sensor_report_version, "version checked");
  check(r.files.size() <= limits.max_files, "files under max_files");
  for (const auto& f : r.files) {
    check(!f.path.empty() && f.path.front() == '/', "paths are absolute");
    check(f.path.size() <= limits.max_path, "paths under max_path");
    check(f.path.find('\0') == std::string::npos, "paths have no NUL");
    for (const auto& name : slim::keep::file_op_names(f.ops)) {
      check(slim::keep::file_op_from_name(name) != 0, "op names round-trip");
    }
  }
  check(r.syscalls.size() <= limits.max_syscalls, "syscalls under max_syscalls");
  check(r.argv.size() <= limits.max_strings, "argv under max_strings");
  for (const auto& a : r.argv) {
    check(a.size() <= limits.max_string, "argv strings under max_string");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  parse_within(text, {});
  slim::keep::ReportLimits tiny;
  tiny.max_bytes = 2048;
  tiny.max_files = 3;
  tiny.max_path = 16;
  tiny.max_syscalls = 4;
  tiny.max_strings = 2;
  tiny.max_string = 8;
  parse_within(text, tiny);

  // The sensor writes every string of its report with json_string.
  if (slim::sensor::is_utf8(text)) {
    std::string written = slim::sensor::json_string(text);
    nlohmann::json back;
    try {
      back = nlohmann::json::parse(written);
    } catch (const nlohmann::json::exception& e) {
      std::fprintf(stderr, "json_string wrote invalid JSON: %s\n", e.what());
      std::abort();
    }
    check(back.is_string() && back.get<std::string>() == text, "json_string round-trips");
  }
  return 0;
}
