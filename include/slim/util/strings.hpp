#pragma once
// Small string helpers shared by modules.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim {

/// Splits `s` at any of the characters in `seps`, dropping empty pieces ("a::b" -> a, b).
std::vector<std::string> split_nonempty(std::string_view s, std::string_view seps);

/// The bytes an even-length run of hex digits (either case) spells; nullopt for anything else
/// (odd length, a non-hex character). "" gives "".
std::optional<std::string> decode_hex(std::string_view hex);

} // namespace slim
