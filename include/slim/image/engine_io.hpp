#pragma once
// Moving images between the engine and the image module: export (GET /images/{name}/get,
// streamed to a file in a work directory, then read) and load (POST /images/load, streamed
// from a TarStream). The only part of slim::image that talks to the engine.

#include "slim/engine/client.hpp"
#include "slim/image/source_image.hpp"
#include "slim/image/tar_stream.hpp"

#include <filesystem>
#include <string>

namespace slim::image {

/// Streams the image `name` from the engine into `work_dir/image.tar` (never into memory) and
/// reads it with open_image_archive (flattened as `options` say). Throws slim::Error /
/// engine::EngineError.
SourceImage export_image(engine::Client& client, const std::string& name,
                         const std::filesystem::path& work_dir, const FlattenOptions& options = {});

/// Loads `archive` into the engine; returns the image ID the engine reported (or `expected_id`
/// when it reported only names). `archive` must outlive the call.
std::string load_image(engine::Client& client, const TarStream& archive,
                       const std::string& expected_id);

} // namespace slim::image
