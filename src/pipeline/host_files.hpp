#pragma once
// Whole files on slim's host (probe files, the sensor, the report and the profile). Private to
// src/pipeline.

#include <string>

namespace slim::pipeline {

/// The file's bytes; throws slim::Error ("cannot read `PATH`: reason").
std::string read_host_file(const std::string& path);
/// Writes `text` to PATH.tmp and renames it over `path` (never a half-written file); throws
/// slim::Error.
void write_host_file(const std::string& path, const std::string& text);

} // namespace slim::pipeline
