#include "sensor/http.hpp"

#include "sensor/json.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace slim::sensor {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

} // namespace

Result<Url> parse_url(std::string_view text) {
  Url url;
  if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else if (text.starts_with("https://")) {
    url.https = true;
    text.remove_prefix(8);
  } else {
    return Result<Url>::fail("bad URL `" + std::string(text) + "`: not http:// or https://");
  }
  auto slash = text.find_first_of("/?");
  std::string_view authority = text.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  if (url.target.front() == '?') {
    url.target.insert(0, "/");
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return Result<Url>::fail("bad URL host `" + std::string(authority) + "`");
    }
    url.host = std::string(authority.substr(1, close - 1));
    auto rest = authority.substr(close + 1);
    if (rest.starts_with(":")) {
      port = rest.substr(1);
    } else if (!rest.empty()) {
      return Result<Url>::fail("bad URL host `" + std::string(authority) + "`");
    }
  } else {
    auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
  }
  if (url.host.empty()) {
    return Result<Url>::fail("bad URL `" + std::string(text) + "`: no host");
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Result<Url>::fail("bad URL port `" + std::string(port) + "`");
    }
    url.port = std::string(port);
    url.default_port = false;
  } else {
    url.port = url.https ? "443" : "80";
  }
  return url;
}

std::string build_request(const Url& url, const std::string& method,
                          const std::vector<std::string>& headers,
                          const std::optional<std::string>& body) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (!url.default_port) {
    host += ":" + url.port;
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Host", host}, {"User-Agent", "slim-sensor"}, {"Accept", "*/*"}, {"Connection", "close"}};
  for (const auto& header : headers) {
    auto colon = header.find(':');
    std::string name(trim(std::string_view(header).substr(0, colon)));
    std::string value(trim(std::string_view(header).substr(colon + 1)));
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const auto& f) { return iequals(f.first, name); });
    if (it != fields.end()) {
      it->second = value;
    } else {
      fields.emplace_back(name, value);
    }
  }
  if (body && std::none_of(fields.begin(), fields.end(),
                           [](const auto& f) { return iequals(f.first, "Content-Length"); })) {
    fields.emplace_back("Content-Length", std::to_string(body->size()));
  }
  std::string out = method + " " + url.target + " HTTP/1.1\r\n";
  for (const auto& [name, value] : fields) {
    out += name + ": " + value + "\r\n";
  }
  out += "\r\n";
  if (body) {
    out += *body;
  }
  return out;
}

std::optional<std::string> ResponseParser::header(std::string_view name) const {
  for (const auto& [key, value] : m_headers) {
    if (iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

bool ResponseParser::parse_head() {
  auto end = m_buffer.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (m_buffer.size() > 1 << 20) {
      m_error = "response headers larger than 1 MiB";
      return false;
    }
    return true;
  }
  std::string_view head(m_buffer.data(), end);
  auto eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
    m_error = "not an HTTP/1.x response";
    return false;
  }
  auto code = status_line.substr(9, 3);
  auto [p, ec] = std::from_chars(code.data(), code.data() + 3, m_status);
  if (ec != std::errc() || p != code.data() + 3) {
    m_error = "bad status line";
    return false;
  }
  std::string_view rest = eol == std::string_view::npos ? "" : head.substr(eol + 2);
  while (!rest.empty()) {
    auto line_end = rest.find("\r\n");
    auto line = rest.substr(0, line_end);
    rest.remove_prefix(line_end == std::string_view::npos ? rest.size() : line_end + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    m_headers.emplace_back(std::string(trim(line.substr(0, colon))),
                           std::string(trim(line.substr(colon + 1))));
  }
  m_buffer.erase(0, end + 4);
  m_have_head = true;
  if (m_status >= 100 && m_status < 200) { // interim response: wait for the real one
    m_have_head = false;
    m_headers.clear();
    m_status = 0;
    return parse_head();
  }
  if (m_head || m_status == 204 || m_status == 304) {
    m_length = 0;
  } else if (auto te = header("Transfer-Encoding");
             te && te->find("chunked") != std::string::npos) {
    m_chunked = true;
  } else if (auto cl = header("Content-Length")) {
    std::size_t n = 0;
    auto [q, ec2] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (ec2 != std::errc() || q != cl->data() + cl->size()) {
      m_error = "bad Content-Length `" + *cl + "`";
      return false;
    }
    m_length = n;
  }
  return true;
}

bool ResponseParser::parse_chunks() {
  while (true) {
    auto eol = m_buffer.find("\r\n");
    if (eol == std::string::npos) {
      return true;
    }
    std::size_t size = 0;
    std::string_view line(m_buffer.data(), eol);
    line = line.substr(0, line.find(';'));
    line = trim(line);
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (ec != std::errc() || p != line.data() + line.size()) {
      m_error = "bad chunk size";
      return false;
    }
    if (size == 0) {
      // The last chunk: done at the blank line after it (or after its trailers).
      m_last_chunk = true;
      if (m_buffer.compare(eol + 2, 2, "\r\n") == 0 ||
          m_buffer.find("\r\n\r\n", eol) != std::string::npos) {
        m_complete = true;
      }
      return true;
    }
    // Written so that a size near 2^64 cannot wrap around (it did: the rest of the buffer
    // was taken as the chunk and parsed again).
    std::size_t after_line = m_buffer.size() - (eol + 2);
    if (size > after_line || after_line - size < 2) {
      return true;
    }
    add_body(std::string_view(m_buffer).substr(eol + 2, size));
    m_buffer.erase(0, eol + 2 + size + 2);
  }
}

bool ResponseParser::feed(std::string_view data) {
  if (m_complete) {
    return true;
  }
  m_buffer.append(data);
  if (!m_have_head) {
    if (!parse_head()) {
      return false;
    }
    if (!m_have_head) {
      return true;
    }
  }
  if (m_chunked) {
    return parse_chunks();
  }
  std::size_t take = m_buffer.size();
  if (m_length) {
    take = static_cast<std::size_t>(std::min<std::uint64_t>(take, *m_length - m_body_size));
  }
  add_body(std::string_view(m_buffer).substr(0, take));
  m_buffer.clear();
  if (m_length && m_body_size >= *m_length) {
    m_complete = true;
  }
  return true;
}

void ResponseParser::keep_body(std::size_t keep, std::function<void(std::string_view)> sink) {
  m_keep = keep;
  m_sink = std::move(sink);
}

void ResponseParser::add_body(std::string_view bytes) {
  m_body_size += bytes.size();
  if (m_sink) {
    m_sink(bytes);
  }
  if (m_body.size() < m_keep) {
    m_body.append(bytes.substr(0, m_keep - m_body.size()));
  }
}

bool ResponseParser::finish() {
  if (m_complete) {
    return true;
  }
  if (m_have_head && ((!m_chunked && !m_length) || m_last_chunk)) {
    m_complete = true;
    return true;
  }
  m_error = m_have_head ? "connection closed before the body was complete"
                        : "connection closed before a response came";
  return false;
}

namespace {

std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      auto code = text.substr(i + 1, 2);
      if (code == "25" || code == "0A" || code == "0D") {
        out += code == "25" ? '%' : code == "0A" ? '\n' : '\r';
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// The next space-separated word of `line` (advancing it).
std::string_view word(std::string_view& line) {
  auto sp = line.find(' ');
  auto w = line.substr(0, sp);
  line.remove_prefix(sp == std::string_view::npos ? line.size() : sp + 1);
  return w;
}

template <typename T> bool number_of(std::string_view text, T& out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

} // namespace

Result<Batch> parse_batch(std::string_view text) {
  Batch batch;
  constexpr std::size_t k_max_requests = 100'000;
  bool header_seen = false;
  std::size_t line_no = 0;
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    if (line.empty()) {
      continue;
    }
    auto bad = [&](const std::string& what) {
      return Result<Batch>::fail("probe batch line " + std::to_string(line_no) + ": " + what);
    };
    std::string_view kind = word(line);
    if (!header_seen) {
      if (kind != "slim-probe-batch" || line != "1") {
        return bad("not a slim probe batch (version 1)");
      }
      header_seen = true;
      continue;
    }
    if (kind == "settings") {
      if (!number_of(word(line), batch.timeout) || !number_of(word(line), batch.retry_delay) ||
          !number_of(word(line), batch.max_body) || !number_of(word(line), batch.max_total) ||
          batch.timeout <= 0 || batch.retry_delay < 0) {
        return bad("bad settings");
      }
    } else if (kind == "request") {
      if (batch.requests.size() >= k_max_requests) {
        return bad("more than " + std::to_string(k_max_requests) + " requests");
      }
      BatchRequest r;
      auto mode = std::string_view();
      if (!number_of(word(line), r.retries) || r.retries < 0 || r.retries > 100'000) {
        return bad("bad retry count");
      }
      mode = word(line);
      if (mode != "http" && mode != "https" && mode != "tcp") {
        return bad("unknown mode `" + std::string(mode) + "`");
      }
      r.tcp = mode == "tcp";
      r.method = unescape(word(line));
      r.url = unescape(line);
      if (r.method.empty() || r.url.empty()) {
        return bad("a request needs a method and a URL");
      }
      batch.requests.push_back(std::move(r));
    } else if (kind == "header" || kind == "data") {
      if (batch.requests.empty()) {
        return bad(std::string(kind) + " before any request");
      }
      if (kind == "header") {
        std::string h = unescape(line);
        if (h.find(':') == std::string::npos) {
          return bad("bad header (Name: value)");
        }
        batch.requests.back().headers.push_back(std::move(h));
      } else {
        batch.requests.back().data = unescape(line);
      }
    } else {
      return bad("unknown line `" + std::string(kind) + "`");
    }
  }
  if (!header_seen) {
    return Result<Batch>::fail("probe batch: empty");
  }
  return batch;
}

std::string base64(std::string_view bytes) {
  static const char* k_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) {
      v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    }
    if (i + 2 < bytes.size()) {
      v |= static_cast<unsigned char>(bytes[i + 2]);
    }
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? k_alphabet[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? k_alphabet[v & 63] : '=';
  }
  return out;
}

std::string batch_result_json(std::size_t index, const ProbeResult& result) {
  std::string out = "{\"i\":" + std::to_string(index);
  out += ",\"connected\":" + std::string(result.connected ? "true" : "false");
  if (result.status) {
    out += ",\"status\":" + std::to_string(*result.status);
    out += ",\"size\":" + std::to_string(result.size);
    out += ",\"sha256\":" + json_string(result.sha256);
    out += ",\"time_ms\":" + json_number(result.time_ms);
    // Header values are the app's bytes: only valid UTF-8 goes into the JSON.
    if (!result.content_type.empty() && is_utf8(result.content_type)) {
      out += ",\"content_type\":" + json_string(result.content_type);
    }
    if (!result.location.empty() && is_utf8(result.location)) {
      out += ",\"location\":" + json_string(result.location);
    }
    out += ",\"body_b64\":\"" + base64(result.body) + "\"";
    out += ",\"body_truncated\":" + std::string(result.body_truncated ? "true" : "false");
  } else if (!result.error.empty()) {
    out += ",\"error\":" + json_string(result.error);
  } else {
    out += ",\"time_ms\":" + json_number(result.time_ms);
  }
  out += "}";
  return out;
}

std::string probe_result_json(const ProbeResult& result) {
  std::string out = "{\"url\":" + json_string(result.url);
  out += ",\"method\":" + json_string(result.method);
  if (result.status) {
    out += ",\"status\":" + std::to_string(*result.status);
    out += ",\"size\":" + std::to_string(result.size);
    out += ",\"sha256\":" + json_string(result.sha256);
    out += ",\"time_ms\":" + json_number(result.time_ms);
  } else {
    out += ",\"error\":" + json_string(result.error);
  }
  out += "}";
  return out;
}

} // namespace slim::sensor
