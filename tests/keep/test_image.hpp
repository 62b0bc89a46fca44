#pragma once
// Test helper: an in-memory image (FileIndex + file bytes) and the ReadFile over it.

#include "slim/image/file_index.hpp"
#include "slim/keep/elf_closure.hpp"

#include <map>
#include <memory>
#include <string>

namespace slim::keep::test {

class TestImage {
public:
  TestImage() { dir("/"); }
  TestImage& dir(const std::string& p, std::uint32_t mode = 0755) {
    index.put({.path = p, .type = image::EntryType::directory, .mode = mode});
    return *this;
  }
  TestImage& file(const std::string& p, std::string bytes, std::uint32_t mode = 0644) {
    index.put({.path = p,
               .type = image::EntryType::regular,
               .mode = mode,
               .size = static_cast<std::int64_t>(bytes.size())});
    (*m_data)[p] = std::move(bytes);
    return *this;
  }
  TestImage& link(const std::string& p, const std::string& target) {
    index.put({.path = p, .type = image::EntryType::symlink, .mode = 0777, .link_target = target});
    return *this;
  }
  TestImage& hardlink(const std::string& p, const std::string& target) {
    index.put({.path = p, .type = image::EntryType::hardlink, .mode = 0755, .link_target = target});
    return *this;
  }
  /// Debian 12's merged /usr: /bin, /lib, /lib64, /sbin are symlinks into /usr.
  TestImage& merged_usr() {
    dir("/usr").dir("/usr/bin").dir("/usr/lib").dir("/usr/lib64").dir("/usr/sbin");
    dir("/usr/lib/x86_64-linux-gnu").dir("/etc").dir("/tmp", 01777);
    link("/bin", "usr/bin").link("/lib", "usr/lib").link("/lib64", "usr/lib64");
    link("/sbin", "usr/sbin");
    return *this;
  }
  ReadFile reader() const {
    auto data = m_data;
    auto reads = m_reads;
    return [data, reads](const image::Entry& e, std::size_t max) -> std::optional<std::string> {
      ++*reads;
      auto it = data->find(e.path);
      if (it == data->end()) {
        return std::nullopt;
      }
      return it->second.substr(0, max);
    };
  }
  int reads() const { return *m_reads; }

  image::FileIndex index;

private:
  std::shared_ptr<std::map<std::string, std::string>> m_data =
      std::make_shared<std::map<std::string, std::string>>();
  std::shared_ptr<int> m_reads = std::make_shared<int>(0);
};

} // namespace slim::keep::test
