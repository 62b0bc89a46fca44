#pragma once
// Typed views of the JSON documents inside image archives: the image config, the classic
// docker-archive manifest.json, and the OCI index and manifest. Parsers throw slim::Error with
// the document's name when a required field is missing or of the wrong type.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace slim::image {

/// One `history` entry of an image config.
struct HistoryEntry {
  std::string created;    ///< RFC 3339 time, may be empty
  std::string created_by; ///< the command that made the layer
  std::string comment;
  bool empty_layer = false; ///< true when the step made no layer
};

/// The container settings of an image (`config` object of the image config).
struct ContainerConfig {
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> env;
  std::string user;
  std::string working_dir;
  std::vector<std::string> exposed_ports; ///< "80/tcp"
  std::vector<std::string> volumes;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
};

/// The image config document. `raw` keeps every field (also unknown ones) for re-writing.
struct ImageConfig {
  nlohmann::json raw;
  std::string architecture;
  std::string os;
  std::string created;
  ContainerConfig config;
  std::vector<std::string> diff_ids; ///< "sha256:<hex>" per layer, bottom first
  std::vector<HistoryEntry> history;
};

/// Parses an image config; throws slim::Error naming `what` when it is malformed.
ImageConfig parse_image_config(const std::string& text, const std::string& what);

/// The config as the engine's inspect (GET /images/{name}/json) shows it: the fields a derived
/// config keeps (architecture, os, created, config, and variant, os.version, author, comment,
/// docker_version when set), rootfs from RootFS.Layers, no history. `slim build` derives its
/// config from this whether it read the image from an export or not, so both give the same
/// image ID (for images the engine built, it equals the config the export holds). Throws
/// slim::Error naming `what` when malformed.
ImageConfig config_from_inspect(const nlohmann::json& inspect, const std::string& what);

/// Seconds since the epoch of an RFC 3339 time ("2024-05-01T10:00:00.5+02:00"); 0 when it is
/// empty, malformed or before 1970.
std::int64_t created_seconds(const std::string& rfc3339);

/// Caller-given changes to the container settings (unset fields keep the original).
struct ConfigOverrides {
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::optional<std::vector<std::string>> env; ///< replaces the whole list
  std::optional<std::string> user;
  std::optional<std::string> working_dir;
  std::optional<std::vector<std::string>> exposed_ports;
  std::optional<std::vector<std::string>> volumes;
  std::map<std::string, std::string> labels; ///< added to (or replacing) the original labels
  std::optional<std::string> stop_signal;
  std::optional<nlohmann::json> healthcheck;
};

/// The config of a one-layer image derived from `original`: settings with `overrides` applied,
/// rootfs.diff_ids = [diff_id], history = one entry `created_by`, created = the original's
/// created time (never "now", so the result is deterministic). Returns the serialised bytes.
std::string derive_config(const ImageConfig& original, const ConfigOverrides& overrides,
                          const std::string& diff_id, const std::string& created_by);

/// One entry of a docker-archive manifest.json.
struct DockerManifestEntry {
  std::string config;                 ///< member name of the config, e.g. "<hex>.json"
  std::vector<std::string> repo_tags; ///< "name:tag"
  std::vector<std::string> layers;    ///< member names of the layer tars, bottom first
};

/// Parses manifest.json; throws slim::Error when malformed or empty.
std::vector<DockerManifestEntry> parse_docker_manifest(const std::string& text);

/// An OCI content descriptor.
struct OciDescriptor {
  std::string media_type;
  std::string digest; ///< "sha256:<hex>"
  std::int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<std::string> platform_os, platform_arch;
};

/// An OCI image index (index.json, or a nested index blob).
struct OciIndex {
  std::vector<OciDescriptor> manifests;
};

/// An OCI image manifest.
struct OciManifest {
  OciDescriptor config;
  std::vector<OciDescriptor> layers;
};

/// Parses an OCI index; throws slim::Error naming `what` when malformed.
OciIndex parse_oci_index(const std::string& text, const std::string& what);
/// Parses an OCI manifest; throws slim::Error naming `what` when malformed.
OciManifest parse_oci_manifest(const std::string& text, const std::string& what);
/// The hex part of "sha256:<hex>"; throws slim::Error for other algorithms or malformed hex.
std::string digest_hex(const std::string& digest);

} // namespace slim::image
