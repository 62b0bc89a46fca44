#include "slim/util/error.hpp"

#include <cstring>

namespace slim {

std::string errno_message(const std::string& what, const std::string& path, int err) {
  std::string out = what;
  if (!path.empty()) {
    out += " `" + path + "`";
  }
  out += ": ";
  out += std::strerror(err);
  return out;
}

} // namespace slim
