#include "slim/verify/utf8_text.hpp"

namespace slim::verify {

namespace {

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

void append_hex_escape(std::string& out, unsigned char c) {
  constexpr const char* k_digits = "0123456789abcdef";
  out += "\\x";
  out += k_digits[c >> 4];
  out += k_digits[c & 0x0F];
}

} // namespace

std::size_t utf8_sequence_length(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) {
    return 0;
  }
  const auto c0 = static_cast<unsigned char>(s[pos]);
  if (c0 < 0x80) {
    return 1;
  }
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  // The second byte's range excludes overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    len = 2;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    len = 3;
    lo = c0 == 0xE0 ? 0xA0 : 0x80;
    hi = c0 == 0xED ? 0x9F : 0xBF;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    len = 4;
    lo = c0 == 0xF0 ? 0x90 : 0x80;
    hi = c0 == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (pos + len > s.size()) {
    return 0;
  }
  const auto c1 = static_cast<unsigned char>(s[pos + 1]);
  if (c1 < lo || c1 > hi) {
    return 0;
  }
  for (std::size_t i = 2; i < len; ++i) {
    if (!is_continuation(static_cast<unsigned char>(s[pos + i]))) {
      return 0;
    }
  }
  return len;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    std::size_t len = utf8_sequence_length(s, pos);
    if (len == 0) {
      return false;
    }
    pos += len;
  }
  return true;
}

std::size_t utf8_floor(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) {
    return s.size();
  }
  // A character is at most 4 bytes: look back at most 3 continuation bytes for its lead.
  for (std::size_t back = 0; back <= 3 && back <= pos; ++back) {
    std::size_t start = pos - back;
    if (!is_continuation(static_cast<unsigned char>(s[start]))) {
      std::size_t len = utf8_sequence_length(s, start);
      // `pos` is inside the sequence at `start` only when that sequence is valid and covers it.
      return len > back ? start : pos;
    }
  }
  return pos; // stray continuation bytes: each is its own (invalid) unit
}

std::string clip_utf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) {
    return std::string(s);
  }
  return std::string(s.substr(0, utf8_floor(s, max_bytes))) + "…";
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c >= 0x80) {
      std::size_t len = utf8_sequence_length(s, pos);
      if (len == 0) {
        append_hex_escape(out, c);
        ++pos;
      } else {
        out.append(s.substr(pos, len));
        pos += len;
      }
      continue;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      append_hex_escape(out, c);
    } else {
      out += static_cast<char>(c);
    }
    ++pos;
  }
  return out;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      out += s[pos++];
      continue;
    }
    std::size_t len = utf8_sequence_length(s, pos);
    if (len == 0) {
      out += "\xEF\xBF\xBD"; // U+FFFD
      ++pos;
    } else {
      out.append(s.substr(pos, len));
      pos += len;
    }
  }
  return out;
}

} // namespace slim::verify
