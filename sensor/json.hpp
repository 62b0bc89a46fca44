#pragma once
// A tiny JSON writer for the sensor's report and probe lines (the static binary stays small
// without a JSON library). Strings must be UTF-8; is_utf8() lets callers check first.

#include <string>
#include <string_view>
#include <vector>

namespace slim::sensor {

/// True when `text` is valid UTF-8.
bool is_utf8(std::string_view text);

/// `text` as a quoted JSON string (control characters escaped as \uXXXX).
std::string json_string(std::string_view text);

/// A JSON array of strings.
std::string json_string_array(const std::vector<std::string>& items);

/// `value` with up to three decimals (no exponent), as JSON wants numbers.
std::string json_number(double value);

} // namespace slim::sensor
