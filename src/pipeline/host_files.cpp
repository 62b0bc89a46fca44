#include "host_files.hpp"

#include "slim/util/error.hpp"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace slim::pipeline {

std::string read_host_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(errno_message("cannot read", path, errno));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_host_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw Error(errno_message("cannot write", tmp, errno));
    }
    out << text;
    if (!out.flush()) {
      throw Error(errno_message("cannot write", tmp, errno));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw Error(errno_message("cannot rename into", path, errno));
  }
}

} // namespace slim::pipeline
