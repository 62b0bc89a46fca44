#include "slim/util/strings.hpp"

namespace slim {

std::vector<std::string> split_nonempty(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find_first_of(seps, i);
    if (j == std::string_view::npos) {
      j = s.size();
    }
    if (j > i) {
      out.emplace_back(s.substr(i, j - i));
    }
    i = j + 1;
  }
  return out;
}

} // namespace slim
