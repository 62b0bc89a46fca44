#include "slim/image/image_writer.hpp"

#include "slim/util/error.hpp"
#include "slim/util/sha256.hpp"

#include <nlohmann/json.hpp>

namespace slim::image {

namespace {

using nlohmann::json;

constexpr const char* k_oci_manifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* k_oci_config = "application/vnd.oci.image.config.v1+json";
constexpr const char* k_oci_layer = "application/vnd.oci.image.layer.v1.tar";

std::string hex_of(const std::string& digest) {
  return digest_hex(digest);
}

// "repo:tag" -> {repo, tag}; the colon must come after the last slash (registry ports).
std::pair<std::string, std::string> split_tag(const std::string& ref) {
  std::string full = normalize_tag(ref);
  auto colon = full.rfind(':');
  return {full.substr(0, colon), full.substr(colon + 1)};
}

} // namespace

std::string normalize_tag(const std::string& reference) {
  auto slash = reference.rfind('/');
  auto colon = reference.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return reference + ":latest";
  }
  return reference;
}

NewImage write_image(const SourceImage& source, const std::set<std::string>& selection,
                     const ConfigOverrides& overrides, const std::string& created_by,
                     const std::filesystem::path& work_dir) {
  auto layers = source.layer_files();
  return write_image(source.index, source.config, selection, layer_tar_content(layers), overrides,
                     created_by, work_dir);
}

NewImage write_image(const FileIndex& index, const ImageConfig& config,
                     const std::set<std::string>& selection, const ContentSource& content,
                     const ConfigOverrides& overrides, const std::string& created_by,
                     const std::filesystem::path& work_dir) {
  NewImage img;
  img.layer = write_layer(index, selection, content, work_dir / "layer.tar");
  img.config = derive_config(config, overrides, img.layer.diff_id, created_by);
  img.image_id = "sha256:" + sha256_hex(img.config);
  return img;
}

TarStream docker_archive(const NewImage& image, const std::vector<std::string>& tags) {
  std::string layer_hex = hex_of(image.layer.diff_id);
  std::string config_hex = hex_of(image.image_id);
  json repo_tags = json::array();
  json repositories = json::object();
  for (const auto& t : tags) {
    repo_tags.push_back(normalize_tag(t));
    auto [repo, tag] = split_tag(t);
    repositories[repo][tag] = layer_hex;
  }
  json manifest = json::array({json{{"Config", config_hex + ".json"},
                                    {"RepoTags", repo_tags},
                                    {"Layers", json::array({layer_hex + "/layer.tar"})}}});
  TarStream s;
  s.add_bytes(config_hex + ".json", image.config);
  s.add_directory(layer_hex);
  s.add_file(layer_hex + "/layer.tar", image.layer.path, image.layer.size);
  s.add_bytes("manifest.json", manifest.dump());
  if (!tags.empty()) {
    s.add_bytes("repositories", repositories.dump());
  }
  return s;
}

TarStream oci_archive(const NewImage& image, const std::vector<std::string>& tags) {
  std::string layer_hex = hex_of(image.layer.diff_id);
  std::string config_hex = hex_of(image.image_id);
  json manifest = {
      {"schemaVersion", 2},
      {"mediaType", k_oci_manifest},
      {"config",
       {{"mediaType", k_oci_config}, {"digest", image.image_id}, {"size", image.config.size()}}},
      {"layers", json::array({json{{"mediaType", k_oci_layer},
                                   {"digest", image.layer.diff_id},
                                   {"size", image.layer.size}}})}};
  std::string manifest_text = manifest.dump();
  std::string manifest_hex = sha256_hex(manifest_text);
  json descriptors = json::array();
  json repo_tags = json::array();
  if (tags.empty()) {
    descriptors.push_back({{"mediaType", k_oci_manifest},
                           {"digest", "sha256:" + manifest_hex},
                           {"size", manifest_text.size()}});
  }
  for (const auto& t : tags) {
    std::string full = normalize_tag(t);
    repo_tags.push_back(full);
    descriptors.push_back({{"mediaType", k_oci_manifest},
                           {"digest", "sha256:" + manifest_hex},
                           {"size", manifest_text.size()},
                           {"annotations",
                            {{"io.containerd.image.name", full},
                             {"org.opencontainers.image.ref.name", split_tag(t).second}}}});
  }
  json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", descriptors}};
  json docker_manifest =
      json::array({json{{"Config", "blobs/sha256/" + config_hex},
                        {"RepoTags", repo_tags},
                        {"Layers", json::array({"blobs/sha256/" + layer_hex})}}});
  TarStream s;
  s.add_directory("blobs");
  s.add_directory("blobs/sha256");
  s.add_bytes("blobs/sha256/" + config_hex, image.config);
  s.add_file("blobs/sha256/" + layer_hex, image.layer.path, image.layer.size);
  s.add_bytes("blobs/sha256/" + manifest_hex, manifest_text);
  s.add_bytes("index.json", index.dump());
  s.add_bytes("manifest.json", docker_manifest.dump());
  s.add_bytes("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  return s;
}

} // namespace slim::image
