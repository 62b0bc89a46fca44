#pragma once
// slim.report.html: the build report (slim.report.json's document) as one self-contained page,
// no network and no external assets: sizes and ratio, a treemap of the bytes kept and dropped
// by directory, the kept files with their reasons (filterable), the probes with their
// verification, drift and diffs, the system calls of the profile. Pure: JSON in, HTML out.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace slim::report_html {

/// `text` with &, <, >, " and ' escaped for HTML text and attribute values; bytes that are not
/// valid UTF-8 become U+FFFD.
std::string escape(std::string_view text);

/// "1.5 MB", "12.0 kB", "512 B".
std::string human_bytes(double bytes);

/// The page for a build report as slim writes it (missing fields are left out, never fatal).
std::string render(const nlohmann::json& report);

} // namespace slim::report_html
