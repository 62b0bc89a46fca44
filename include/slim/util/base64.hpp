#pragma once
// Base64 (RFC 4648, with padding) for bytes that travel inside JSON.

#include <optional>
#include <string>
#include <string_view>

namespace slim {

/// `bytes` as base64 with `=` padding.
std::string base64_encode(std::string_view bytes);

/// The bytes of `text` (padding optional, no whitespace); nullopt on a character outside the
/// alphabet or a length no encoding has.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace slim
