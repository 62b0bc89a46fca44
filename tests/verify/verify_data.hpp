#pragma once
// Reads the recorded outputs under tests/data/verify/.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace slim::verify::testing {

/// The bytes of tests/data/verify/`name`; throws when it cannot be read.
inline std::string verify_data(const std::string& name) {
  std::ifstream f(std::string(SLIM_TEST_DATA_DIR) + "/verify/" + name, std::ios::binary);
  if (!f) {
    throw std::runtime_error("cannot read test data `" + name + "`");
  }
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

} // namespace slim::verify::testing
