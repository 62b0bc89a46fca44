#pragma once
// Small string helpers shared by modules.

#include <string>
#include <string_view>
#include <vector>

namespace slim {

/// Splits `s` at any of the characters in `seps`, dropping empty pieces ("a::b" -> a, b).
std::vector<std::string> split_nonempty(std::string_view s, std::string_view seps);

} // namespace slim
