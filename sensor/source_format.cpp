#include "sensor/source_format.hpp"

#include <charconv>

namespace slim::sensor {

namespace {

constexpr char k_hex[] = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

std::string hex(std::string_view bytes) {
  if (bytes.empty()) {
    return "-";
  }
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    out += k_hex[c >> 4];
    out += k_hex[c & 15];
  }
  return out;
}

std::string octal(std::uint32_t v) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 8);
  std::string s(buf, end);
  return s.size() < 4 ? std::string(4 - s.size(), '0') + s : s;
}

} // namespace

std::string escape_field(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '%') {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

std::optional<std::string> unescape_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c == '%') {
      int hi = i + 1 < field.size() ? hex_value(field[i + 1]) : -1;
      int lo = i + 2 < field.size() ? hex_value(field[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    } else if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return std::nullopt;
    } else {
      out += c;
    }
  }
  return out;
}

std::string index_record(const IndexEntry& e) {
  std::string out(1, e.kind);
  out += ' ' + escape_field(e.path) + ' ' + octal(e.mode & 07777U) + ' ' + std::to_string(e.uid) +
         ' ' + std::to_string(e.gid) + ' ' + std::to_string(e.mtime) + ' ' +
         std::to_string(e.mtime_nsec);
  switch (e.kind) {
  case 'f':
    out += ' ' + std::to_string(e.size) + ' ' + e.inode.value_or("-");
    break;
  case 'l':
    out += ' ' + escape_field(e.target);
    break;
  case 'c':
  case 'b':
    out += ' ' + std::to_string(e.major) + ' ' + std::to_string(e.minor);
    break;
  default:
    break;
  }
  out += '\n';
  for (const auto& [name, value] : e.xattrs) {
    out += "x " + escape_field(name) + ' ' + hex(value) + '\n';
  }
  return out;
}

std::string warning_record(std::string_view text) {
  return "w " + escape_field(text) + '\n';
}

std::optional<ReadLine> parse_read_line(std::string_view line) {
  if (line.size() < 4 || line.compare(0, 2, "r ") != 0) {
    return std::nullopt;
  }
  line.remove_prefix(2);
  std::size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0) {
    return std::nullopt;
  }
  ReadLine r;
  auto [end, ec] = std::from_chars(line.data(), line.data() + space, r.max);
  if (ec != std::errc() || end != line.data() + space) {
    return std::nullopt;
  }
  auto path = unescape_field(line.substr(space + 1));
  if (!path || path->empty() || path->front() != '/') {
    return std::nullopt;
  }
  r.path = std::move(*path);
  return r;
}

std::vector<std::string> mount_points(std::string_view mountinfo) {
  std::vector<std::string> out;
  while (!mountinfo.empty()) {
    std::size_t nl = mountinfo.find('\n');
    std::string_view line = mountinfo.substr(0, nl);
    mountinfo.remove_prefix(nl == std::string_view::npos ? mountinfo.size() : nl + 1);
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT ...
    std::string_view rest = line;
    for (int field = 0; field < 4; ++field) {
      std::size_t sp = rest.find(' ');
      if (sp == std::string_view::npos) {
        rest = {};
        break;
      }
      rest.remove_prefix(sp + 1);
    }
    std::string_view raw = rest.substr(0, rest.find(' '));
    if (raw.empty()) {
      continue;
    }
    std::string point;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 3 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '3' &&
          raw[i + 2] >= '0' && raw[i + 2] <= '7' && raw[i + 3] >= '0' && raw[i + 3] <= '7') {
        point += static_cast<char>((raw[i + 1] - '0') * 64 + (raw[i + 2] - '0') * 8 +
                                   (raw[i + 3] - '0'));
        i += 3;
      } else {
        point += raw[i];
      }
    }
    if (point != "/") {
      out.push_back(std::move(point));
    }
  }
  return out;
}

} // namespace slim::sensor
