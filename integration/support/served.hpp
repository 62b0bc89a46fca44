#pragma once
// What the end-to-end tests share beyond the engine kit: a scratch directory per test, whole
// files read back, and an image served the way production would (under a seccomp profile,
// network none) and asked over HTTP from outside, as its clients see it.

#include "support/support.hpp"

#include <filesystem>
#include <string>

namespace slim::it {

/// The whole content of a file ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);

/// A fresh directory under the temp dir named after PREFIX, this process and the running test;
/// removed with everything in it at the end of its scope.
class TestDir {
public:
  explicit TestDir(const std::string& prefix);
  ~TestDir();
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;
  const std::filesystem::path& path() const noexcept { return m_path; }
  /// path() / name.
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
  std::filesystem::path m_path;
};

/// An HTTP answer seen from outside the container.
struct HttpAnswer {
  int status = 0; ///< 0: no answer within 20 s
  std::string body;
};

/// A container of `image` started detached under `profile` (a seccomp file; empty: the
/// engine's default), network none, label io.slim.owner=test; removed at the end of its scope.
class ServedImage {
public:
  ServedImage(const std::string& image, const std::filesystem::path& profile);
  ~ServedImage();
  ServedImage(const ServedImage&) = delete;
  ServedImage& operator=(const ServedImage&) = delete;
  const std::string& id() const noexcept { return m_id; }
  /// GET http://127.0.0.1:PORT/PATH from a python3 client container (the sensor-tools
  /// fixture) in this container's network namespace, waiting up to 20 s for the port.
  HttpAnswer get(int port, const std::string& path) const;
  /// Runs `args` (shell words after the image) in a container of `image` sharing this one's
  /// network namespace.
  CommandResult client(const std::string& image, const std::string& args) const;

private:
  std::string m_id;
};

} // namespace slim::it
