#pragma once
// The formats a profile is written in (--seccomp-format, `slim seccomp merge --format`):
// Docker's JSON, the OCI runtime spec's `linux.seccomp` object, and a Kubernetes
// security-profiles-operator SeccompProfile manifest. The manifest is YAML: the format people
// read and review in Git next to their other manifests, and `kubectl apply -f` takes it as it
// takes JSON (a JSON copy comes back from `kubectl get sp NAME -o json`, which merge reads).

#include "slim/seccomp/profile.hpp"
#include "slim/util/error.hpp"

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace slim::seccomp {

/// A profile's file format.
enum class ProfileFormat {
  docker,     ///< Docker's seccomp JSON (`docker run --security-opt seccomp=FILE`, podman)
  oci,        ///< the OCI runtime spec's `linux.seccomp` object (config.json)
  kubernetes, ///< a security-profiles-operator SeccompProfile manifest (YAML)
};

/// "docker", "oci" or "kubernetes"; fails on anything else.
Result<ProfileFormat> parse_profile_format(std::string_view text);

/// The format's name as parse_profile_format reads it.
std::string_view to_string(ProfileFormat format);

/// The usual file name ending of the format: ".json", or ".yaml" for kubernetes.
std::string_view file_extension(ProfileFormat format);

/// The OCI runtime spec's `linux.seccomp` object for `profile` (defaultAction,
/// defaultErrnoRet, architectures, syscalls with names/action/errnoRet/args with
/// index/value/valueTwo/op). Fails when the profile uses a value the spec does not list (an
/// action, an architecture, an op) or a rule without names.
Result<nlohmann::json> to_oci_seccomp(const SeccompProfile& profile);

/// The API version and kind of the security-profiles-operator's SeccompProfile.
inline constexpr std::string_view k_spo_api_version = "security-profiles-operator.x-k8s.io/v1beta1";
inline constexpr std::string_view k_spo_kind = "SeccompProfile";

/// A SeccompProfile manifest for `profile` named `name` (spo_name() it first): apiVersion,
/// kind, metadata.name, spec.defaultAction/architectures/syscalls. The CRD has no
/// defaultErrnoRet (runtimes use EPERM), so a profile with another one fails, as does one with
/// more than 6 conditions in a rule (the CRD's limit).
Result<nlohmann::json> to_spo_manifest(const SeccompProfile& profile, std::string_view name);

/// `text` made a Kubernetes object name (a DNS-1123 subdomain): lower case, runs of other
/// characters as one `-`, at most 253 characters, "seccomp-profile" when nothing is left.
std::string spo_name(std::string_view text);

/// A JSON document as block-style YAML (two-space indent; strings quoted when plain YAML
/// would read them as something else). Ends with a newline.
std::string to_yaml(const nlohmann::json& doc);

/// The profile in `format` (`name`: the manifest's metadata.name, used by kubernetes only).
Result<std::string> render_profile(const SeccompProfile& profile, ProfileFormat format,
                                   std::string_view name);

} // namespace slim::seccomp
