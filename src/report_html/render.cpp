#include "slim/report_html/render.hpp"

#include "slim/report_html/treemap.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace slim::report_html {

namespace {

using nlohmann::json;

constexpr std::size_t k_max_rows = 20'000; // kept files listed; beyond that the page says so
constexpr double k_map_width = 960;
constexpr double k_map_height = 420;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

const json& arr(const json& j, const char* key) {
  static const json empty = json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

const json& obj(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

// `v` with `decimals` digits after the point.
std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string card(const std::string& id, const std::string& label, const std::string& value) {
  return "<div class=\"card\"><div class=\"label\">" + escape(label) +
         "</div><div class=\"value\" id=\"" + id + "\">" + escape(value) + "</div></div>\n";
}

// The kept share of a directory as a colour: dropped grey to kept green.
std::string colour(double kept_fraction) {
  kept_fraction = std::clamp(kept_fraction, 0.0, 1.0);
  int r = static_cast<int>(200 - 160 * kept_fraction);
  int g = static_cast<int>(200 - 30 * kept_fraction);
  int b = static_cast<int>(200 - 140 * kept_fraction);
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

std::string treemap(const json& report) {
  std::vector<const json*> dirs;
  for (const auto& d : arr(report, "directories")) {
    if (d.is_object() && num(d, "total") > 0) {
      dirs.push_back(&d);
    }
  }
  if (dirs.empty()) {
    return "<p>No directory sizes in this report.</p>\n";
  }
  std::sort(dirs.begin(), dirs.end(),
            [](const json* a, const json* b) { return num(*a, "total") > num(*b, "total"); });
  std::vector<double> weights;
  for (const auto* d : dirs) {
    weights.push_back(num(*d, "total"));
  }
  auto rects = squarify(weights, {0, 0, k_map_width, k_map_height});
  std::string out = "<svg id=\"treemap\" viewBox=\"0 0 " + fixed(k_map_width, 0) + " " +
                    fixed(k_map_height, 0) +
                    "\" role=\"img\" aria-label=\"bytes kept and dropped by directory\">\n";
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    const json& d = *dirs[i];
    const Rect& r = rects[i];
    double total = num(d, "total");
    double kept = num(d, "kept");
    std::string path = str(d, "path");
    std::string tip = path + ": " + human_bytes(total) + ", kept " + human_bytes(kept) + " (" +
                      fixed(total > 0 ? 100 * kept / total : 0, 0) + "%)";
    out += "<g class=\"dir\" data-path=\"" + escape(path) + "\"><title>" + escape(tip) +
           "</title><rect x=\"" + fixed(r.x, 1) + "\" y=\"" + fixed(r.y, 1) + "\" width=\"" +
           fixed(r.w, 1) + "\" height=\"" + fixed(r.h, 1) + "\" fill=\"" +
           colour(total > 0 ? kept / total : 0) + "\"/>";
    if (r.w > 70 && r.h > 18) {
      out += "<text x=\"" + fixed(r.x + 4, 1) + "\" y=\"" + fixed(r.y + 14, 1) + "\">" +
             escape(path.size() > r.w / 7
                        ? "…" + path.substr(path.size() - static_cast<std::size_t>(r.w / 7))
                        : path) +
             "</text>";
    }
    out += "</g>\n";
  }
  out += "</svg>\n<p class=\"legend\"><span class=\"swatch\" style=\"background:" + colour(0) +
         "\"></span> dropped <span class=\"swatch\" style=\"background:" + colour(1) +
         "\"></span> kept &nbsp; area: bytes in the source image</p>\n";
  return out;
}

std::string probes_table(const json& report) {
  const json& original = obj(obj(report, "probes"), "original");
  const json& result = obj(obj(report, "probes"), "result");
  const json& op = arr(original, "probes");
  const json& rp = arr(result, "probes");
  if (op.empty()) {
    return "<p>No HTTP or TCP probes.</p>\n";
  }
  auto answer = [](const json& p) {
    if (p.contains("status")) {
      return std::to_string(p["status"].is_number() ? p["status"].get<int>() : 0);
    }
    if (p.value("connected", false)) {
      return std::string("connected");
    }
    return "error: " + str(p, "error");
  };
  std::string out = "<table id=\"probes\"><thead><tr><th>probe</th><th>source</th><th>original</th>"
                    "<th>slim image</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < op.size(); ++i) {
    const json& o = op[i];
    std::string r = i < rp.size() ? answer(rp[i]) : std::string("not verified");
    out += "<tr><td>" + escape(str(o, "method") + " " + str(o, "url")) + "</td><td>" +
           escape(str(o, "source")) + "</td><td>" + escape(answer(o)) + "</td><td>" + escape(r) +
           "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  const json& execs = arr(original, "execs");
  if (!execs.empty()) {
    out += "<table id=\"execs\"><thead><tr><th>exec</th><th>original exit</th><th>slim image exit"
           "</th></tr></thead><tbody>\n";
    const json& rexecs = arr(result, "execs");
    for (std::size_t i = 0; i < execs.size(); ++i) {
      std::string r = i < rexecs.size() ? std::to_string(rexecs[i].value("exit_code", -1))
                                        : std::string("not verified");
      out += "<tr><td><code>" + escape(str(execs[i], "command")) + "</code></td><td>" +
             std::to_string(execs[i].value("exit_code", -1)) + "</td><td>" + escape(r) +
             "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  return out;
}

std::string verification(const json& report) {
  std::string out;
  const json& diffs = arr(report, "differences");
  if (!diffs.empty()) {
    out += "<h3>Differences</h3><ul id=\"differences\">\n";
    for (const auto& d : diffs) {
      out += "<li><b>" + escape(str(d, "what")) + "</b>: original " + escape(str(d, "original")) +
             ", slim image " + escape(str(d, "result"));
      if (!str(d, "diff").empty()) {
        out += "<pre class=\"diff\">" + escape(str(d, "diff")) + "</pre>";
      }
      out += "</li>\n";
    }
    out += "</ul>\n";
  }
  const json& drift = arr(report, "drift");
  if (!drift.empty()) {
    out += "<h3>Tolerated as drift</h3><ul id=\"drift\">\n";
    for (const auto& d : drift) {
      out +=
          "<li><b>" + escape(str(d, "what")) + "</b>: " + escape(str(d, "tolerated")) + "</li>\n";
    }
    out += "</ul>\n";
  }
  return out;
}

std::string files_table(const json& report) {
  const json& paths = arr(report, "paths");
  std::vector<std::string> reasons;
  for (const auto& p : paths) {
    std::string r = str(p, "reason");
    if (std::find(reasons.begin(), reasons.end(), r) == reasons.end()) {
      reasons.push_back(r);
    }
  }
  std::sort(reasons.begin(), reasons.end());
  std::string out = "<div class=\"filters\"><input id=\"filter\" type=\"search\" "
                    "placeholder=\"filter paths and reasons\"> <select id=\"reason\"><option "
                    "value=\"\">every reason</option>";
  for (const auto& r : reasons) {
    out += "<option>" + escape(r) + "</option>";
  }
  out += "</select> <span id=\"shown\"></span></div>\n<table id=\"files\"><thead><tr><th>path</th>"
         "<th>reason</th><th>why</th><th>size</th></tr></thead><tbody>\n";
  std::size_t n = 0;
  for (const auto& p : paths) {
    if (++n > k_max_rows) {
      break;
    }
    out += "<tr data-reason=\"" + escape(str(p, "reason")) + "\"><td>" + escape(str(p, "path")) +
           "</td><td>" + escape(str(p, "reason")) + "</td><td>" + escape(str(p, "why")) +
           "</td><td>" + (p.contains("size") ? escape(human_bytes(num(p, "size"))) : "") +
           "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  if (paths.size() > k_max_rows) {
    out += "<p>The first " + std::to_string(k_max_rows) + " of " + std::to_string(paths.size()) +
           " kept paths are listed; slim.report.json has all of them.</p>\n";
  }
  return out;
}

std::string name_list(const json& names, const char* id) {
  std::string out = "<p class=\"names\" id=\"" + std::string(id) + "\">";
  bool first = true;
  for (const auto& n : names) {
    if (n.is_string()) {
      out += (first ? "" : " ") + std::string("<code>") + escape(n.get<std::string>()) + "</code>";
      first = false;
    }
  }
  return out + (first ? "none" : "") + "</p>\n";
}

std::string seccomp_section(const json& report) {
  const json& s = obj(report, "seccomp");
  std::string out;
  if (!str(s, "profile").empty()) {
    out += "<p>Profile <code>" + escape(str(s, "profile")) +
           "</code>: " + fixed(num(s, "rules"), 0) + " rule(s), " + fixed(num(s, "names"), 0) +
           " system call name(s), default action <code>" + escape(str(s, "default_action")) +
           "</code>, baseline <code>" + escape(str(s, "baseline")) + "</code>.</p>\n";
  }
  out += "<h3>Seen while profiling</h3>" + name_list(arr(report, "syscalls"), "syscalls");
  out += "<h3>Added by the harmless baseline</h3>" + name_list(arr(s, "from_baseline"), "baseline");
  out += "<h3>Added for the OCI runtime</h3>" + name_list(arr(s, "added_by_runtime"), "runtime");
  if (!arr(s, "arg_filters").empty()) {
    out += "<h3>Argument filters</h3><ul id=\"arg-filters\">";
    for (const auto& f : arr(s, "arg_filters")) {
      out += "<li><code>" + escape(str(f, "name")) + "</code> argument " +
             fixed(num(f, "index"), 0) + " " + escape(str(f, "op")) + " " +
             escape(f.contains("values") ? f["values"].dump() : "[]") + "</li>";
    }
    out += "</ul>\n";
  }
  out += "<h3>Denied while profiling (not in the profile)</h3>" +
         name_list(arr(report, "denied_while_profiling"), "denied");
  out += "<h3>Only slim's probe shell (not in the profile)</h3>" +
         name_list(arr(report, "probe_shell_syscalls"), "probe-shell");
  return out;
}

const char* k_style = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:14px 0 4px}.sub{color:#666;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ddd;border-radius:6px;
padding:8px 14px;min-width:120px}.card .label{color:#666;font-size:12px}.card .value{font-size:20px}
.ok{color:#1a7f37}.bad{color:#cf222e}table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
td:first-child{word-break:break-all}svg{width:100%;height:auto;border:1px solid #ddd}
svg text{font-size:11px;fill:#111;pointer-events:none}svg rect{stroke:#fff;stroke-width:1}
.legend .swatch{display:inline-block;width:12px;height:12px;vertical-align:middle}
pre.diff{background:#f6f8fa;padding:6px;white-space:pre-wrap;word-break:break-all}
.names code{display:inline-block;margin:1px 2px;background:#f6f8fa;padding:0 3px}
.filters{margin:6px 0}#filter{width:320px}
)";

const char* k_script = R"(
(function(){var f=document.getElementById('filter'),r=document.getElementById('reason'),
s=document.getElementById('shown'),rows=document.querySelectorAll('#files tbody tr');
function apply(){var q=f.value.toLowerCase(),want=r.value,n=0;rows.forEach(function(tr){
var ok=(!want||tr.dataset.reason===want)&&(!q||tr.textContent.toLowerCase().indexOf(q)>=0);
tr.style.display=ok?'':'none';if(ok)n++;});s.textContent=n+' of '+rows.length+' shown';}
f.addEventListener('input',apply);r.addEventListener('change',apply);apply();})();
)";

} // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
    case '&':
      out += "&amp;";
      continue;
    case '<':
      out += "&lt;";
      continue;
    case '>':
      out += "&gt;";
      continue;
    case '"':
      out += "&quot;";
      continue;
    case '\'':
      out += "&#39;";
      continue;
    default:
      break;
    }
    if (c < 0x80) {
      out += (c < 0x20 && c != '\n' && c != '\t') ? '?' : static_cast<char>(c);
      continue;
    }
    // A whole, valid UTF-8 sequence is copied; anything else becomes U+FFFD.
    std::size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (valid) {
      out.append(text.substr(i, len));
      i += len - 1;
    } else {
      out += "\xEF\xBF\xBD";
    }
  }
  return out;
}

std::string human_bytes(double bytes) {
  if (bytes >= 1e9) {
    return fixed(bytes / 1e9, 2) + " GB";
  }
  if (bytes >= 1e6) {
    return fixed(bytes / 1e6, 1) + " MB";
  }
  if (bytes >= 1e3) {
    return fixed(bytes / 1e3, 1) + " kB";
  }
  return fixed(bytes, 0) + " B";
}

std::string render(const json& report) {
  const json& source = obj(report, "source");
  const json& result = obj(report, "result");
  const json& kept = obj(report, "kept");
  std::string image = str(source, "image");
  std::string tag = arr(result, "tags").empty() || !arr(result, "tags")[0].is_string()
                        ? std::string()
                        : arr(result, "tags")[0].get<std::string>();
  std::size_t differences = arr(report, "differences").size();
  const json& probes = obj(report, "probes");
  bool verified = probes.contains("result") && probes["result"].is_object();
  std::string verdict = differences > 0 ? std::to_string(differences) + " difference(s)"
                        : verified      ? "verified"
                                        : "not verified";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width\"><title>slim report: " +
                    escape(image) + "</title><style>" + k_style + "</style></head><body>\n";
  out += "<h1>slim report: <span id=\"image\">" + escape(image) + "</span></h1>\n";
  out += "<div class=\"sub\">" + escape(tag.empty() ? "no image written" : "→ " + tag) +
         " · slim " + escape(str(report, "slim_version")) + "</div>\n<div class=\"cards\">\n";
  out += card("source-size", "source image", human_bytes(num(source, "size")));
  out += card("result-size", "slim image", human_bytes(num(result, "size")));
  out += card("ratio", "smaller by",
              report.contains("ratio") && report["ratio"].is_number()
                  ? fixed(num(report, "ratio"), 1) + "x"
                  : std::string("-"));
  out += card("kept-paths", "paths kept",
              fixed(num(kept, "paths"), 0) + " of " + fixed(num(kept, "source_paths"), 0));
  out += card("kept-bytes", "file bytes kept", human_bytes(num(kept, "bytes")));
  out += card("verdict", "verification", verdict);
  out += "</div>\n";
  out += "<h2>Bytes kept and dropped, by directory</h2>\n" + treemap(report);
  out += "<h2>Probes and verification</h2>\n" + probes_table(report) + verification(report);
  out += "<h2>Kept files</h2>\n" + files_table(report);
  out += "<h2>Seccomp profile</h2>\n" + seccomp_section(report);
  const json& warnings = arr(report, "warnings");
  if (!warnings.empty()) {
    out += "<h2>Warnings</h2><ul id=\"warnings\">";
    for (const auto& w : warnings) {
      out += "<li>" + escape(w.is_string() ? w.get<std::string>() : w.dump()) + "</li>";
    }
    out += "</ul>\n";
  }
  out += "<h2>Timings</h2><table id=\"timings\"><tbody>";
  for (const auto& t : arr(report, "timings")) {
    out += "<tr><td>" + escape(str(t, "pass")) + "</td><td>" + fixed(num(t, "seconds"), 2) + " s" +
           "</td></tr>";
  }
  out += "</tbody></table>\n<script>" + std::string(k_script) + "</script>\n</body></html>\n";
  return out;
}

} // namespace slim::report_html
