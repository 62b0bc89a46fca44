#include "slim/keep/sensor_report.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace slim::keep {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, std::uint16_t>, 10> k_ops = {{
    {"access", file_op_access},
    {"chdir", file_op_chdir},
    {"exec", file_op_exec},
    {"notfound", file_op_notfound},
    {"open", file_op_open},
    {"read", file_op_read},
    {"readdir", file_op_readdir},
    {"readlink", file_op_readlink},
    {"stat", file_op_stat},
    {"write", file_op_write},
}};

struct SchemaError {
  std::string message;
};

[[noreturn]] void fail(const std::string& field, const std::string& problem) {
  throw SchemaError{"sensor report: " + field + ": " + problem};
}

const char* type_name(const json& j) {
  return j.type_name();
}

const json& member(const json& obj, const char* key, bool& present) {
  static const json k_null;
  auto it = obj.find(key);
  present = it != obj.end();
  return present ? *it : k_null;
}

std::string get_string(const json& j, const std::string& field, std::size_t max) {
  if (!j.is_string()) {
    fail(field, std::string("expected a string, got ") + type_name(j));
  }
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() > max) {
    fail(field, "longer than " + std::to_string(max) + " bytes");
  }
  return s;
}

std::vector<std::string> get_strings(const json& j, const std::string& field, std::size_t max_n,
                                     std::size_t max_len) {
  if (!j.is_array()) {
    fail(field, std::string("expected an array of strings, got ") + type_name(j));
  }
  if (j.size() > max_n) {
    fail(field, "more than " + std::to_string(max_n) + " entries");
  }
  std::vector<std::string> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    out.push_back(get_string(j[i], field + "[" + std::to_string(i) + "]", max_len));
  }
  return out;
}

const json& required(const json& obj, const std::string& parent, const char* key) {
  bool present = false;
  const json& v = member(obj, key, present);
  if (!present) {
    fail(parent.empty() ? key : parent + "." + key, "missing");
  }
  return v;
}

SensorReport parse(const json& doc, const ReportLimits& lim) {
  if (!doc.is_object()) {
    fail("(document)", std::string("expected an object, got ") + type_name(doc));
  }
  SensorReport r;
  const json& version = required(doc, "", "version");
  if (!version.is_number_integer()) {
    fail("version", std::string("expected an integer, got ") + type_name(version));
  }
  r.version = version.get<int>();
  if (r.version != k_sensor_report_version) {
    fail("version", "unsupported version " + std::to_string(r.version) + " (this slim reads " +
                        std::to_string(k_sensor_report_version) + ")");
  }
  r.arch = get_string(required(doc, "", "arch"), "arch", 64);
  bool present = false;
  if (const json& s = member(doc, "sensor", present); present) {
    if (!s.is_object()) {
      fail("sensor", std::string("expected an object, got ") + type_name(s));
    }
    if (const json& v = member(s, "version", present); present) {
      r.sensor_version = get_string(v, "sensor.version", 256);
    }
    if (const json& v = member(s, "mode", present); present) {
      r.sensor_mode = get_string(v, "sensor.mode", 64);
    }
  }
  if (const json& t = member(doc, "target", present); present) {
    if (!t.is_object()) {
      fail("target", std::string("expected an object, got ") + type_name(t));
    }
    if (const json& v = member(t, "argv", present); present) {
      r.argv = get_strings(v, "target.argv", lim.max_strings, lim.max_string);
    }
    if (const json& v = member(t, "user", present); present) {
      r.user = get_string(v, "target.user", 256);
    }
    if (const json& v = member(t, "exit_status", present); present && !v.is_null()) {
      if (!v.is_number_integer()) {
        fail("target.exit_status", std::string("expected an integer or null, got ") + type_name(v));
      }
      auto n = v.get<std::int64_t>();
      if (n < -1 || n > 255 + 128) {
        fail("target.exit_status", "out of range: " + std::to_string(n));
      }
      r.exit_status = static_cast<int>(n);
    }
  }
  const json& files = required(doc, "", "files");
  if (!files.is_array()) {
    fail("files", std::string("expected an array, got ") + type_name(files));
  }
  if (files.size() > lim.max_files) {
    fail("files", "more than " + std::to_string(lim.max_files) + " entries");
  }
  r.files.reserve(files.size());
  std::size_t unknown_ops = 0;
  std::string first_unknown;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string field = "files[" + std::to_string(i) + "]";
    const json& f = files[i];
    if (!f.is_object()) {
      fail(field, std::string("expected an object, got ") + type_name(f));
    }
    ReportFile rf;
    rf.path = get_string(required(f, field, "path"), field + ".path", lim.max_path);
    if (rf.path.empty() || rf.path.front() != '/') {
      fail(field + ".path", "not an absolute path");
    }
    if (rf.path.find('\0') != std::string::npos) {
      fail(field + ".path", "contains a NUL byte");
    }
    auto ops = get_strings(required(f, field, "ops"), field + ".ops", 64, 64);
    for (const auto& op : ops) {
      std::uint16_t bit = file_op_from_name(op);
      if (bit == 0) {
        if (unknown_ops++ == 0) {
          first_unknown = op;
        }
      }
      rf.ops |= bit;
    }
    if (const json& v = member(f, "from_exec", present); present) {
      if (!v.is_boolean()) {
        fail(field + ".from_exec", std::string("expected a boolean, got ") + type_name(v));
      }
      rf.from_exec = v.get<bool>();
    }
    r.files.push_back(std::move(rf));
  }
  r.syscalls = get_strings(required(doc, "", "syscalls"), "syscalls", lim.max_syscalls, 64);
  if (const json& v = member(doc, "denied_syscalls", present); present) {
    r.denied_syscalls = get_strings(v, "denied_syscalls", lim.max_syscalls, 64);
  }
  if (const json& v = member(doc, "probe_syscalls", present); present) {
    r.probe_syscalls = get_strings(v, "probe_syscalls", lim.max_syscalls, 64);
  }
  if (const json& v = member(doc, "syscall_args", present); present) {
    if (!v.is_array()) {
      fail("syscall_args", std::string("expected an array, got ") + type_name(v));
    }
    r.syscall_args = v;
  }
  if (const json& v = member(doc, "warnings", present); present) {
    r.warnings = get_strings(v, "warnings", lim.max_strings, lim.max_string);
  }
  if (unknown_ops > 0) {
    r.warnings.push_back("sensor report: " + std::to_string(unknown_ops) +
                         " unknown file operations ignored (first: `" +
                         first_unknown.substr(0, 64) + "`)");
  }
  return r;
}

} // namespace

std::uint16_t file_op_from_name(std::string_view name) {
  for (const auto& [n, bit] : k_ops) {
    if (n == name) {
      return bit;
    }
  }
  return 0;
}

std::vector<std::string> file_op_names(std::uint16_t ops) {
  std::vector<std::string> out;
  for (const auto& [n, bit] : k_ops) {
    if ((ops & bit) != 0) {
      out.emplace_back(n);
    }
  }
  return out;
}

Result<SensorReport> parse_sensor_report(std::string_view text, const ReportLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Result<SensorReport>::fail("sensor report: (document): " + std::to_string(text.size()) +
                                      " bytes is over the limit of " +
                                      std::to_string(limits.max_bytes));
  }
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return Result<SensorReport>::fail(std::string("sensor report: (document): invalid JSON: ") +
                                      e.what());
  }
  try {
    return parse(doc, limits);
  } catch (const SchemaError& e) {
    return Result<SensorReport>::fail(e.message);
  } catch (const json::exception& e) {
    return Result<SensorReport>::fail(std::string("sensor report: ") + e.what());
  }
}

} // namespace slim::keep
