#include "slim/pipeline/summary.hpp"

#include <cstdio>

namespace slim::pipeline {

namespace {

std::string size_text(const nlohmann::json& j) {
  if (!j.is_number()) {
    return "-";
  }
  double v = j.get<double>();
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f MB", v / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f kB", v / 1e3);
  }
  return buf;
}

// Markdown table cells: no pipes or newlines from image names and messages.
std::string cell(std::string text) {
  for (char& c : text) {
    if (c == '|' || c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return text;
}

} // namespace

nlohmann::json result_document(const nlohmann::json& report, int exit_code, bool profile_only,
                               const OutputFiles& files) {
  nlohmann::json r;
  r["exit_code"] = exit_code;
  std::size_t differences = report.value("differences", nlohmann::json::array()).size();
  bool verified = report.contains("probes") && report["probes"].is_object() &&
                  report["probes"].contains("result") && report["probes"]["result"].is_object();
  r["verdict"] = profile_only      ? "profiled"
                 : differences > 0 ? "differences"
                 : verified        ? "verified"
                                   : "not_verified";
  r["image"] = report.value("source", nlohmann::json::object()).value("image", "");
  r["source"] = {{"id", report["source"].value("id", "")},
                 {"size", report["source"].value("size", std::int64_t{0})}};
  if (!profile_only) {
    r["result"] = report.value("result", nlohmann::json::object());
  }
  r["ratio"] = report.contains("ratio") ? report["ratio"] : nlohmann::json();
  r["differences"] = report.value("differences", nlohmann::json::array());
  r["drift"] = report.value("drift", nlohmann::json::array());
  r["files"] = {{"report", files.report}, {"html", files.html}};
  r["files"]["seccomp_profile"] =
      files.seccomp_profile.empty() ? nlohmann::json() : nlohmann::json(files.seccomp_profile);
  return r;
}

nlohmann::json error_document(const std::string& image, const std::string& message, int exit_code) {
  return {{"exit_code", exit_code}, {"verdict", "error"}, {"image", image}, {"error", message}};
}

std::string markdown_summary(const nlohmann::json& result) {
  std::string verdict = result.value("verdict", "");
  std::string image = cell(result.value("image", ""));
  std::string out = "### slim: `" + image + "`\n\n";
  if (verdict == "error") {
    return out + ":x: **failed** (exit " + std::to_string(result.value("exit_code", 1)) +
           "): " + cell(result.value("error", "")) + "\n";
  }
  std::string mark = verdict == "verified"      ? ":white_check_mark: verified"
                     : verdict == "differences" ? ":x: verification failed"
                     : verdict == "profiled"    ? ":mag: profiled"
                                                : ":warning: not verified";
  out += "| | |\n|---|---|\n";
  out += "| source image | " + size_text(result["source"].value("size", nlohmann::json())) + " |\n";
  if (result.contains("result")) {
    const auto& res = result["result"];
    std::string tag = res.contains("tags") && res["tags"].is_array() && !res["tags"].empty() &&
                              res["tags"][0].is_string()
                          ? res["tags"][0].get<std::string>()
                          : std::string();
    out += "| slim image | `" + cell(tag) + "` " + size_text(res.value("size", nlohmann::json())) +
           " |\n";
  }
  if (result["ratio"].is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fx", result["ratio"].get<double>());
    out += "| smaller by | " + std::string(buf) + " |\n";
  }
  out += "| verdict | " + mark + " |\n";
  out += "| drift tolerated | " + std::to_string(result["drift"].size()) + " |\n";
  const auto& files = result["files"];
  out += "| report | `" + cell(files.value("report", "")) + "`, `" + cell(files.value("html", "")) +
         "` |\n";
  if (files["seccomp_profile"].is_string()) {
    out += "| seccomp profile | `" + cell(files["seccomp_profile"].get<std::string>()) + "` |\n";
  }
  if (!result["differences"].empty()) {
    out += "\nDifferences:\n";
    for (const auto& d : result["differences"]) {
      out += "- **" + cell(d.value("what", "")) + "**: original " + cell(d.value("original", "")) +
             ", slim image " + cell(d.value("result", "")) + "\n";
    }
  }
  return out;
}

} // namespace slim::pipeline
