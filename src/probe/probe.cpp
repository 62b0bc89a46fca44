#include "slim/probe/probe.hpp"

#include "slim/util/base64.hpp"

#include <map>
#include <nlohmann/json.hpp>

namespace slim::probe {

namespace {

// The batch file's escaping: one request field per line, so `%`, LF and CR are escaped.
std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
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

std::string number(double v) {
  nlohmann::json j = v;
  return j.dump();
}

template <typename T> T field(const nlohmann::json& j, const char* name, T fallback) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    return fallback;
  }
  if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->get<std::string>() : fallback;
  } else if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->get<bool>() : fallback;
  } else {
    return it->is_number() ? it->get<T>() : fallback;
  }
}

} // namespace

const char* to_string(ProbeSource source) {
  switch (source) {
  case ProbeSource::user:
    return "user";
  case ProbeSource::automatic:
    return "default";
  case ProbeSource::crawl:
    return "crawl";
  }
  return "user";
}

std::string ProbeRequest::url() const {
  return protocol + "://127.0.0.1:" + std::to_string(port) +
         (protocol == "tcp" ? "" : (path.empty() || path[0] != '/' ? "/" : "") + path);
}

std::string ProbeRequest::describe() const {
  return (protocol == "tcp" ? std::string("connect") : method) + " " + url();
}

std::string batch_request_text(const std::vector<ProbeRequest>& requests,
                               const BatchSettings& settings) {
  std::string out = "slim-probe-batch 1\n";
  out += "settings " + number(settings.timeout) + " " + number(settings.retry_delay) + " " +
         std::to_string(settings.max_body) + " " + std::to_string(settings.max_total) + "\n";
  std::map<int, bool> port_seen;
  for (const auto& r : requests) {
    bool first = !port_seen[r.port];
    port_seen[r.port] = true;
    out += "request " + std::to_string(first ? settings.first_retries : settings.retries) + " " +
           (r.protocol == "tcp"     ? "tcp"
            : r.protocol == "https" ? "https"
                                    : "http") +
           " " + escape(r.method) + " " + escape(r.url()) + "\n";
    for (const auto& h : r.headers) {
      out += "header " + escape(h) + "\n";
    }
    if (!r.body.empty()) {
      out += "data " + escape(r.body) + "\n";
    }
  }
  return out;
}

std::vector<ProbeOutcome> parse_batch_results(const std::vector<ProbeRequest>& requests,
                                              std::string_view text) {
  std::vector<ProbeOutcome> out(requests.size());
  std::vector<bool> seen(requests.size(), false);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    out[i].request = requests[i];
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      continue;
    }
    auto index = field<std::int64_t>(j, "i", -1);
    if (index < 0 || static_cast<std::size_t>(index) >= out.size() ||
        seen[static_cast<std::size_t>(index)]) {
      continue;
    }
    auto& o = out[static_cast<std::size_t>(index)];
    seen[static_cast<std::size_t>(index)] = true;
    o.connected = field<bool>(j, "connected", false);
    if (auto st = j.find("status"); st != j.end() && st->is_number_integer()) {
      int v = st->get<int>();
      if (v >= 100 && v <= 999) {
        o.status = v;
      }
    }
    o.size = std::max<std::int64_t>(0, field<std::int64_t>(j, "size", 0));
    o.sha256 = field<std::string>(j, "sha256", "");
    o.time_ms = field<double>(j, "time_ms", 0.0);
    o.content_type = field<std::string>(j, "content_type", "");
    o.location = field<std::string>(j, "location", "");
    o.body_truncated = field<bool>(j, "body_truncated", false);
    if (auto b = base64_decode(field<std::string>(j, "body_b64", ""))) {
      o.body = std::move(*b);
    } else {
      o.body_truncated = true; // kept nothing we could read
    }
    o.error = field<std::string>(j, "error", "");
    if (!o.error.empty()) {
      o.status.reset();
    }
    if (!o.ok() && o.error.empty()) {
      o.error = "the probe's result has no status";
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!seen[i]) {
      out[i].error = "the probe sidecar gave no result for it";
    }
  }
  return out;
}

ProbeOutcome parse_probe_line(const ProbeRequest& request, const std::string& output) {
  ProbeOutcome out;
  out.request = request;
  // The sensor prints one JSON line; take the last non-empty line in case of noise.
  std::string line;
  std::size_t end = output.find_last_not_of("\r\n \t");
  if (end != std::string::npos) {
    std::size_t start = output.rfind('\n', end);
    line = output.substr(start == std::string::npos ? 0 : start + 1,
                         end - (start == std::string::npos ? 0 : start + 1) + 1);
  }
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    out.error =
        "the probe printed no result" + (line.empty() ? std::string() : ": " + line.substr(0, 200));
    return out;
  }
  if (auto it = j.find("status"); it != j.end() && it->is_number_integer()) {
    out.status = it->get<int>();
  }
  if (auto it = j.find("size"); it != j.end() && it->is_number_integer()) {
    out.size = it->get<std::int64_t>();
  }
  if (auto it = j.find("sha256"); it != j.end() && it->is_string()) {
    out.sha256 = it->get<std::string>();
  }
  if (auto it = j.find("time_ms"); it != j.end() && it->is_number()) {
    out.time_ms = it->get<double>();
  }
  if (auto it = j.find("error"); it != j.end() && it->is_string()) {
    out.error = it->get<std::string>();
    out.status.reset();
  }
  if (!out.status && out.error.empty()) {
    out.error = "the probe's result has no status";
  }
  return out;
}

nlohmann::json to_json(const ProbeOutcome& p) {
  nlohmann::json j = {{"method", p.request.method},
                      {"url", p.request.url()},
                      {"source", to_string(p.request.source)}};
  if (!p.request.found_on.empty()) {
    j["found_on"] = p.request.found_on;
  }
  if (p.request.protocol == "tcp") {
    j["connected"] = p.connected;
  }
  if (p.status) {
    j["status"] = *p.status;
    j["size"] = p.size;
    j["sha256"] = p.sha256;
    if (!p.content_type.empty()) {
      j["content_type"] = p.content_type;
    }
  }
  if (p.ok()) {
    j["time_ms"] = p.time_ms;
  } else {
    j["error"] = p.error;
  }
  return j;
}

} // namespace slim::probe
