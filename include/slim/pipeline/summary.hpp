#pragma once
// What `slim build`/`slim profile` tell CI beside the report files: the machine-readable result
// (`--output json`, one JSON document on stdout) and a Markdown summary for GitHub's
// GITHUB_STEP_SUMMARY. Pure: made from the build report's JSON.

#include <nlohmann/json.hpp>
#include <string>

namespace slim::pipeline {

/// Where the build's files went.
struct OutputFiles {
  std::string report;          ///< slim.report.json
  std::string html;            ///< slim.report.html
  std::string seccomp_profile; ///< "" when none was written
};

/// The result document: {"exit_code", "verdict" ("verified" | "differences" | "not_verified" |
/// "profiled" | "error"), "image", "result" {"tags","id","size"}, "source" {"id","size"},
/// "ratio", "differences", "drift", "files" {"report","html","seccomp_profile"}}.
nlohmann::json result_document(const nlohmann::json& report, int exit_code, bool profile_only,
                               const OutputFiles& files);

/// The same for a run that ended in an error before it had a report.
nlohmann::json error_document(const std::string& image, const std::string& message, int exit_code);

/// A short Markdown section for the job summary: image, sizes, ratio, the verdict, the
/// differences, and where the report files are.
std::string markdown_summary(const nlohmann::json& result);

} // namespace slim::pipeline
