#include "slim/image/source_stream.hpp"

#include "slim/util/strings.hpp"

#include <charconv>
#include <cstring>
#include <limits>

namespace slim::image {

namespace {

constexpr char k_hex[] = "0123456789ABCDEF";
constexpr std::string_view k_index_header = "slim-source-index 1";
constexpr std::string_view k_data_header = "slim-source-data 1";
constexpr std::size_t k_max_data_line = 64u << 10;

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  for (;;) {
    std::size_t j = line.find(' ', i);
    out.push_back(line.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) {
      return out;
    }
    i = j + 1;
  }
}

template <typename T> bool parse_number(std::string_view s, T& out, int base = 10) {
  if (s.empty() || (s.size() > 1 && s[0] == '0' && base == 10) || s[0] == '+') {
    return false;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && end == s.data() + s.size();
}

Result<std::string> unhex(std::string_view s) {
  if (s == "-") {
    return std::string();
  }
  auto bytes = s.empty() ? std::nullopt : decode_hex(s);
  if (!bytes) {
    return Result<std::string>::fail("malformed hex value");
  }
  return *bytes;
}

// Splits complete lines off `buffer` + new bytes, calling `on_line` for each; keeps the rest.
template <typename Fn>
void each_line(std::string& partial, const char* data, std::size_t size, std::size_t max_line,
               Fn&& on_line) {
  std::string_view in(data, size);
  while (!in.empty()) {
    std::size_t nl = in.find('\n');
    if (nl == std::string_view::npos) {
      if (partial.size() + in.size() > max_line) {
        on_line(std::string_view(), true);
        return;
      }
      partial.append(in);
      return;
    }
    if (partial.size() + nl > max_line) {
      on_line(std::string_view(), true);
      return;
    }
    if (partial.empty()) {
      on_line(in.substr(0, nl), false);
    } else {
      partial.append(in.substr(0, nl));
      std::string whole = std::move(partial);
      partial.clear();
      on_line(whole, false);
    }
    in.remove_prefix(nl + 1);
  }
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

Result<std::string> unescape_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c == '%') {
      auto byte = i + 2 < field.size() ? decode_hex(field.substr(i + 1, 2)) : std::nullopt;
      if (!byte) {
        return Result<std::string>::fail("malformed escape");
      }
      out += *byte;
      i += 2;
    } else if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Result<std::string>::fail("unescaped control byte");
    } else {
      out += c;
    }
  }
  return out;
}

// -- the index ---------------------------------------------------------------------------------

void IndexStreamParser::fail(const std::string& why) const {
  throw Error("the pristine container's index is malformed (line " + std::to_string(m_line_no) +
              "): " + why);
}

void IndexStreamParser::feed(const char* data, std::size_t size) {
  m_total += size;
  if (m_total > m_limits.max_total) {
    fail("the stream is larger than " + std::to_string(m_limits.max_total) + " bytes");
  }
  each_line(m_partial, data, size, m_limits.max_line, [this](std::string_view l, bool too_long) {
    ++m_line_no;
    if (too_long) {
      fail("a line is longer than " + std::to_string(m_limits.max_line) + " bytes");
    }
    line(l);
  });
}

void IndexStreamParser::finish() {
  if (!m_partial.empty()) {
    ++m_line_no;
    fail("the stream ends inside a line");
  }
  if (!m_ended) {
    fail("the stream ended before its `end` line (was the sensor killed?)");
  }
}

void IndexStreamParser::line(std::string_view text) {
  if (m_ended) {
    fail("data after the `end` line");
  }
  if (!m_header) {
    if (text != k_index_header) {
      fail("not a slim-source-index 1 stream");
    }
    m_header = true;
    return;
  }
  auto f = split_fields(text);
  const std::string_view kind = f[0];
  if (kind == "end") {
    std::uint64_t count = 0;
    if (f.size() != 2 || !parse_number(f[1], count) || count != m_entries) {
      fail("the `end` line does not match the " + std::to_string(m_entries) + " entries sent");
    }
    m_ended = true;
    return;
  }
  if (kind == "w") {
    if (f.size() != 2) {
      fail("malformed warning");
    }
    auto w = unescape_field(f[1]);
    if (!w) {
      fail(w.error());
    }
    if (m_warnings.size() < m_limits.max_warnings) {
      m_warnings.push_back(w.value().substr(0, 1000));
    } else {
      ++m_more_warnings;
    }
    return;
  }
  if (kind == "x") {
    if (f.size() != 3 || m_last == nullptr) {
      fail("malformed xattr line");
    }
    auto name = unescape_field(f[1]);
    auto value = unhex(f[2]);
    if (!name || name.value().empty() || name.value().size() > 255 ||
        name.value().find('\0') != std::string::npos) {
      fail("malformed xattr name");
    }
    if (!value || value.value().size() > m_limits.max_xattr_value) {
      fail("malformed or oversized xattr value of `" + name.value() + "`");
    }
    if (m_last->xattrs.size() >= m_limits.max_xattrs) {
      fail("more than " + std::to_string(m_limits.max_xattrs) + " xattrs on `" + m_last->path +
           "`");
    }
    if (!m_last->xattrs.emplace(std::move(name.value()), std::move(value.value())).second) {
      fail("xattr given twice on `" + m_last->path + "`");
    }
    return;
  }
  static const std::map<std::string_view, std::pair<EntryType, std::size_t>> k_kinds = {
      {"d", {EntryType::directory, 7}},    {"f", {EntryType::regular, 9}},
      {"l", {EntryType::symlink, 8}},      {"c", {EntryType::char_device, 9}},
      {"b", {EntryType::block_device, 9}}, {"p", {EntryType::fifo, 7}}};
  auto k = k_kinds.find(kind);
  if (k == k_kinds.end()) {
    fail("unknown record `" + std::string(kind.substr(0, 20)) + "`");
  }
  if (f.size() != k->second.second) {
    fail("a `" + std::string(kind) + "` record has " + std::to_string(f.size()) + " fields, not " +
         std::to_string(k->second.second));
  }
  if (++m_entries > m_limits.max_entries) {
    fail("more than " + std::to_string(m_limits.max_entries) + " entries");
  }
  Entry e;
  e.type = k->second.first;
  auto path = unescape_field(f[1]);
  if (!path) {
    fail(path.error());
  }
  e.path = std::move(path.value());
  if (e.path.empty() || e.path.size() > m_limits.max_path || normalize_path(e.path) != e.path ||
      e.path.find('\0') != std::string::npos) {
    fail("a path that is not absolute and normal, or too long");
  }
  if (!parse_number(f[2], e.mode, 8) || e.mode > 07777 || !parse_number(f[3], e.uid) ||
      !parse_number(f[4], e.gid) || !parse_number(f[5], e.mtime) ||
      !parse_number(f[6], e.mtime_nsec) || e.mtime_nsec > 999'999'999) {
    fail("malformed metadata of `" + e.path + "`");
  }
  if (e.type == EntryType::regular) {
    if (!parse_number(f[7], e.size) || e.size < 0) {
      fail("malformed size of `" + e.path + "`");
    }
    std::uint64_t data = m_next_data;
    if (f[8] != "-") {
      std::size_t colon = f[8].find(':');
      std::uint64_t dev = 0, ino = 0;
      if (colon == std::string_view::npos || !parse_number(f[8].substr(0, colon), dev) ||
          !parse_number(f[8].substr(colon + 1), ino)) {
        fail("malformed inode of `" + e.path + "`");
      }
      auto [it, fresh] = m_inodes.emplace(std::string(f[8]), m_next_data);
      data = it->second;
      if (!fresh && m_sizes[data] != e.size) {
        fail("names of one inode with different sizes (`" + e.path + "`)");
      }
    }
    if (data == m_next_data) {
      ++m_next_data;
      m_sizes.push_back(e.size);
    }
    e.data = DataRef{.layer = 0, .offset = data};
  } else if (e.type == EntryType::symlink) {
    auto target = unescape_field(f[7]);
    if (!target || target.value().empty() || target.value().size() > m_limits.max_path ||
        target.value().find('\0') != std::string::npos) {
      fail("malformed link target of `" + e.path + "`");
    }
    e.link_target = std::move(target.value());
  } else if (e.type == EntryType::char_device || e.type == EntryType::block_device) {
    if (!parse_number(f[7], e.dev_major) || !parse_number(f[8], e.dev_minor)) {
      fail("malformed device numbers of `" + e.path + "`");
    }
  }
  if (m_index.find(e.path) != nullptr) {
    fail("`" + e.path + "` is listed twice");
  }
  std::string key = e.path;
  m_index.put(std::move(e));
  m_last = m_index.find_mutable(key);
}

// -- reads -------------------------------------------------------------------------------------

std::string encode_read_requests(const std::vector<ReadRequest>& requests) {
  std::string out = "slim-source-read 1\n";
  for (const auto& r : requests) {
    out += "r " + std::to_string(r.max) + " " + escape_field(r.path) + "\n";
  }
  out += "end\n";
  return out;
}

void DataStreamParser::fail(const std::string& why) const {
  throw Error("the pristine container's answer is malformed (answer " + std::to_string(m_next) +
              "): " + why);
}

void DataStreamParser::feed(const char* data, std::size_t size) {
  while (size > 0) {
    if (m_in_data) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, m_left));
      if (n > 0 && m_handler.bytes) {
        m_handler.bytes(m_next, data, n);
      }
      data += n;
      size -= n;
      m_left -= n;
      if (m_left == 0) {
        m_in_data = false;
        if (m_handler.done) {
          m_handler.done(m_next);
        }
        ++m_next;
      }
      continue;
    }
    const char* nl = static_cast<const char*>(std::memchr(data, '\n', size));
    std::size_t take = nl == nullptr ? size : static_cast<std::size_t>(nl - data);
    if (m_partial.size() + take > k_max_data_line) {
      fail("a line is too long");
    }
    m_partial.append(data, take);
    if (nl == nullptr) {
      return;
    }
    data += take + 1;
    size -= take + 1;
    std::string l = std::move(m_partial);
    m_partial.clear();
    line(l);
  }
}

void DataStreamParser::line(std::string_view text) {
  if (m_ended) {
    fail("data after the `end` line");
  }
  if (!m_header) {
    if (text != k_data_header) {
      fail("not a slim-source-data 1 stream");
    }
    m_header = true;
    return;
  }
  auto f = split_fields(text);
  if (f[0] == "end") {
    std::uint64_t count = 0;
    if (f.size() != 2 || !parse_number(f[1], count) || count != m_maxima.size() ||
        m_next != m_maxima.size()) {
      fail("the `end` line came after " + std::to_string(m_next) + " of " +
           std::to_string(m_maxima.size()) + " answers");
    }
    m_ended = true;
    return;
  }
  if (m_next >= m_maxima.size()) {
    fail("more answers than requests");
  }
  if (f[0] == "E") {
    std::string reason = "unknown reason";
    if (f.size() == 2) {
      auto r = unescape_field(f[1]);
      if (!r) {
        fail(r.error());
      }
      reason = r.value().substr(0, 500);
    }
    if (m_handler.error) {
      m_handler.error(m_next, reason);
    }
    ++m_next;
    return;
  }
  std::uint64_t n = 0;
  if (f[0] != "D" || f.size() != 2 || !parse_number(f[1], n)) {
    fail("expected `D N`, `E REASON` or `end COUNT`");
  }
  if (n > m_maxima[m_next]) {
    fail(std::to_string(n) + " bytes where at most " + std::to_string(m_maxima[m_next]) +
         " were asked for");
  }
  if (m_handler.begin) {
    m_handler.begin(m_next, n);
  }
  if (n == 0) {
    if (m_handler.done) {
      m_handler.done(m_next);
    }
    ++m_next;
    return;
  }
  m_in_data = true;
  m_left = n;
}

void DataStreamParser::finish() const {
  if (!m_ended || m_in_data || !m_partial.empty()) {
    fail("the stream ended before all answers came (was the sensor killed?)");
  }
}

} // namespace slim::image
