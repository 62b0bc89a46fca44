#pragma once
// Incremental SHA-256 (OpenSSL EVP underneath), for layer digests and content hashes.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace slim {

class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  /// Feeds more bytes.
  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// Lowercase hex digest of everything fed so far; the hasher is spent afterwards.
  std::string hex_digest();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Hex sha256 of a buffer.
std::string sha256_hex(std::string_view data);

} // namespace slim
