#include "slim/util/temp_dir.hpp"

#include "slim/util/error.hpp"

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <vector>

namespace slim {

namespace {
std::filesystem::path& base_override() {
  static std::filesystem::path p;
  return p;
}
} // namespace

void TempDir::set_base(const std::filesystem::path& base) {
  base_override() = base;
}

std::filesystem::path TempDir::base() {
  if (!base_override().empty()) {
    return base_override();
  }
  for (const char* var : {"SLIM_TMPDIR", "TMPDIR"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') {
      return v;
    }
  }
  return "/tmp";
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = (base() / ("slim-" + prefix + "-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    throw Error(errno_message("cannot create a temporary directory in", base().string(), errno));
  }
  m_path = buf.data();
}

TempDir::~TempDir() {
  if (!m_path.empty() && !m_keep) {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
}

TempDir::TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)), m_keep(other.m_keep) {
  other.m_path.clear();
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    if (!m_path.empty() && !m_keep) {
      std::error_code ec;
      std::filesystem::remove_all(m_path, ec);
    }
    m_path = std::move(other.m_path);
    m_keep = other.m_keep;
    other.m_path.clear();
  }
  return *this;
}

} // namespace slim
