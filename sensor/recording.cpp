#include "sensor/recording.hpp"

#include "sensor/paths.hpp"

#include <array>
#include <charconv>
#include <sys/syscall.h>
#include <utility>

namespace slim::sensor {

namespace {

constexpr std::array<std::pair<std::uint16_t, const char*>, 10> k_ops = {{
    {op_access, "access"},
    {op_chdir, "chdir"},
    {op_exec, "exec"},
    {op_notfound, "notfound"},
    {op_open, "open"},
    {op_read, "read"},
    {op_readdir, "readdir"},
    {op_readlink, "readlink"},
    {op_stat, "stat"},
    {op_write, "write"},
}};

std::string escape(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '%') {
      out += "%25";
    } else if (c == '\n') {
      out += "%0A";
    } else if (c == '\r') {
      out += "%0D";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    auto code = text.substr(i + 1, 2);
    if (code == "25") {
      out += '%';
    } else if (code == "0A") {
      out += '\n';
    } else if (code == "0D") {
      out += '\r';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

template <typename T> bool parse_number(std::string_view text, T& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

} // namespace

std::vector<std::string> op_names(std::uint16_t ops) {
  std::vector<std::string> names;
  for (const auto& [bit, name] : k_ops) {
    if ((ops & bit) != 0) {
      names.emplace_back(name);
    }
  }
  return names;
}

std::uint16_t op_from_name(std::string_view name) {
  for (const auto& [bit, op_name] : k_ops) {
    if (name == op_name) {
      return bit;
    }
  }
  return 0;
}

void Recording::add_path(const std::string& path, std::uint16_t ops, Source source) {
  if (is_ignored_path(path)) {
    return;
  }
  auto& record = m_files[path];
  record.ops |= ops;
  if (source == Source::exec) {
    record.by_exec = true;
  } else if (source == Source::app) {
    record.by_app = true;
  }
}

void Recording::merge(const Recording& other, std::optional<Source> as) {
  for (const auto& [path, record] : other.m_files) {
    auto& mine = m_files[path];
    mine.ops |= record.ops;
    if (as) {
      mine.by_app = mine.by_app || *as == Source::app;
      mine.by_exec = mine.by_exec || *as == Source::exec;
    } else {
      mine.by_app = mine.by_app || record.by_app;
      mine.by_exec = mine.by_exec || record.by_exec;
    }
  }
  m_syscalls |= other.m_syscalls;
  m_denied |= other.m_denied;
  m_probe_syscalls |= other.m_probe_syscalls;
  for (const auto& [nr, values] : other.m_arg_values) {
    for (auto v : values) {
      add_arg_value(nr, v);
    }
  }
}

void Recording::add_arg_value(long nr, std::uint64_t value) {
  auto& values = m_arg_values[nr];
  if (values.size() <= k_max_arg_values) { // one more than kept: "too many to filter"
    values.insert(value);
  }
}

int arg_index(long nr) {
  switch (nr) {
  case SYS_socket:
  case SYS_unshare:
  case SYS_personality:
  case SYS_prctl:
    return 0;
  case SYS_clone:
#if defined(__s390x__)
    return 1; // s390x swaps clone's first two arguments
#else
    return 0;
#endif
  default:
    return -1;
  }
}

namespace {

std::vector<long> numbers(const std::bitset<k_max_syscalls>& set) {
  std::vector<long> out;
  for (std::size_t nr = 0; nr < k_max_syscalls; ++nr) {
    if (set.test(nr)) {
      out.push_back(static_cast<long>(nr));
    }
  }
  return out;
}

} // namespace

std::vector<long> Recording::syscalls() const {
  return numbers(m_syscalls);
}

std::vector<long> Recording::denied() const {
  return numbers(m_denied);
}

std::vector<long> Recording::probe_syscalls() const {
  return numbers(m_probe_syscalls);
}

std::string encode_recording(const Recording& recording) {
  std::string out;
  for (const auto& [path, record] : recording.files()) {
    out += "F " + std::to_string(record.ops) + " " + escape(path) + "\n";
  }
  for (long nr : recording.syscalls()) {
    out += "S " + std::to_string(nr) + "\n";
  }
  for (long nr : recording.denied()) {
    out += "D " + std::to_string(nr) + "\n";
  }
  for (long nr : recording.probe_syscalls()) {
    out += "P " + std::to_string(nr) + "\n";
  }
  for (const auto& [nr, values] : recording.arg_values()) {
    for (auto v : values) {
      out += "A " + std::to_string(nr) + " " + std::to_string(v) + "\n";
    }
  }
  return out;
}

bool decode_recording(std::string_view text, Source source, Recording& out) {
  while (!text.empty()) {
    auto eol = text.find('\n');
    if (eol == std::string_view::npos) {
      return false;
    }
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    if (line.starts_with("A ")) {
      auto rest = line.substr(2);
      auto space = rest.find(' ');
      long nr = 0;
      std::uint64_t value = 0;
      if (space == std::string_view::npos || !parse_number(rest.substr(0, space), nr) ||
          !parse_number(rest.substr(space + 1), value) || arg_index(nr) < 0) {
        return false;
      }
      out.add_arg_value(nr, value);
    } else if (line.starts_with("S ") || line.starts_with("D ") || line.starts_with("P ")) {
      long nr = 0;
      if (!parse_number(line.substr(2), nr)) {
        return false;
      }
      if (line[0] == 'S') {
        out.add_syscall(nr);
      } else if (line[0] == 'D') {
        out.add_denied(nr);
      } else {
        out.add_probe_syscall(nr);
      }
    } else if (line.starts_with("F ")) {
      auto rest = line.substr(2);
      auto space = rest.find(' ');
      std::uint16_t ops = 0;
      if (space == std::string_view::npos || !parse_number(rest.substr(0, space), ops)) {
        return false;
      }
      auto path = unescape(rest.substr(space + 1));
      if (!path) {
        return false;
      }
      out.add_path(*path, ops, source);
    } else {
      return false;
    }
  }
  return true;
}

} // namespace slim::sensor
