#pragma once
// A private temporary directory that is removed, with everything in it, when it goes out of
// scope (also during unwinding after Ctrl-C: see cancel.hpp).

#include <filesystem>
#include <string>

namespace slim {

class TempDir {
public:
  /// Creates `<base>/slim-<prefix>-XXXXXX` (base: SLIM_TMPDIR, else TMPDIR, else /tmp).
  explicit TempDir(const std::string& prefix = "tmp");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  /// The directory's path.
  const std::filesystem::path& path() const noexcept { return m_path; }
  /// Keeps the directory on destruction (for --keep-temp style debugging).
  void release() noexcept { m_keep = true; }

  /// Overrides the base directory for all later TempDirs (the --tmp-dir flag).
  static void set_base(const std::filesystem::path& base);
  /// The base directory new TempDirs are created in.
  static std::filesystem::path base();

private:
  std::filesystem::path m_path;
  bool m_keep = false;
};

} // namespace slim
