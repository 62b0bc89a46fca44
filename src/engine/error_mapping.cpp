// Engine answers and transport failures as one-line messages (pure).
#include "slim/engine/error_mapping.hpp"

#include <nlohmann/json.hpp>

namespace slim::engine {

std::string_view http_reason(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 204:
    return "No Content";
  case 304:
    return "Not Modified";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 409:
    return "Conflict";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 503:
    return "Service Unavailable";
  default:
    return "";
  }
}

std::string engine_error_message(int status, std::string_view body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object()) {
    auto it = json.find("message");
    if (it != json.end() && it->is_string() && !it->get<std::string>().empty()) {
      return it->get<std::string>();
    }
  }
  auto start = body.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos) {
    auto line = body.substr(start);
    line = line.substr(0, line.find_first_of("\r\n"));
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    constexpr std::size_t k_max = 300;
    if (line.size() > k_max) {
      return std::string(line.substr(0, k_max)) + "...";
    }
    return std::string(line);
  }
  std::string out = "HTTP " + std::to_string(status);
  if (auto reason = http_reason(status); !reason.empty()) {
    out += ' ';
    out += reason;
  }
  return out;
}

void throw_if_http_error(int status, std::string_view body) {
  if (status >= 400) {
    throw EngineError(status, engine_error_message(status, body));
  }
}

std::string unreachable_message(const Endpoint& endpoint, std::string_view reason,
                                bool tls_failure) {
  std::string out = tls_failure ? "TLS handshake with the Docker engine at `"
                                : "cannot reach the Docker engine at `";
  out += endpoint.display;
  out += "`: ";
  out += reason;
  if (tls_failure) {
    out += " (check ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH `" + endpoint.cert_path + "`)";
  } else {
    out += " (is dockerd running? set DOCKER_HOST or --host)";
  }
  return out;
}

std::string percent_encode(std::string_view s, std::string_view keep) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                      u == '-' || u == '_' || u == '.' || u == '~';
    if (unreserved || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += k_hex[u >> 4];
      out += k_hex[u & 0xf];
    }
  }
  return out;
}

} // namespace slim::engine
