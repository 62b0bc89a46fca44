#pragma once
// Test helper: writes minimal but well-formed ELF images (header, program headers, PT_INTERP,
// PT_DYNAMIC with a string table) so ELF tests need no binaries from the host.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace slim::keep::test {

struct ElfSpec {
  bool is_64 = true;
  bool little_endian = true;
  std::uint16_t type = 3;     // ET_DYN
  std::uint16_t machine = 62; // x86-64
  std::optional<std::string> interp;
  bool dynamic = true;
  std::vector<std::string> needed;
  std::optional<std::string> rpath, runpath, soname;
  std::uint64_t flags_1 = 0;
};

class ElfBytes {
public:
  explicit ElfBytes(const ElfSpec& s) : m_s(s) {}
  std::string build() {
    const std::uint64_t base = 0x400000;
    const unsigned ehsize = m_s.is_64 ? 64 : 52;
    const unsigned phent = m_s.is_64 ? 56 : 32;
    const unsigned phnum = 1 + (m_s.interp ? 1 : 0) + (m_s.dynamic ? 1 : 0);
    std::string interp_bytes = m_s.interp ? *m_s.interp + std::string(1, '\0') : "";
    // dynstr: index 0 is the empty string
    std::string dynstr(1, '\0');
    auto add_str = [&](const std::string& v) {
      std::uint64_t idx = dynstr.size();
      dynstr += v;
      dynstr.push_back('\0');
      return idx;
    };
    std::vector<std::pair<std::int64_t, std::uint64_t>> dyn;
    for (const auto& n : m_s.needed) {
      dyn.emplace_back(1, add_str(n));
    }
    if (m_s.rpath) {
      dyn.emplace_back(15, add_str(*m_s.rpath));
    }
    if (m_s.runpath) {
      dyn.emplace_back(29, add_str(*m_s.runpath));
    }
    if (m_s.soname) {
      dyn.emplace_back(14, add_str(*m_s.soname));
    }
    if (m_s.flags_1 != 0) {
      dyn.emplace_back(0x6ffffffb, m_s.flags_1);
    }
    const std::uint64_t interp_off = ehsize + static_cast<std::uint64_t>(phent) * phnum;
    const std::uint64_t dynstr_off = interp_off + interp_bytes.size();
    std::uint64_t dyn_off = dynstr_off + dynstr.size();
    dyn_off = (dyn_off + 7) & ~std::uint64_t{7};
    dyn.emplace_back(5, base + dynstr_off);
    dyn.emplace_back(10, dynstr.size());
    dyn.emplace_back(0, 0);
    const unsigned dent = m_s.is_64 ? 16 : 8;
    const std::uint64_t total = dyn_off + dyn.size() * dent;

    m_out.assign(total, '\0');
    m_out[0] = 0x7f;
    m_out[1] = 'E';
    m_out[2] = 'L';
    m_out[3] = 'F';
    m_out[4] = m_s.is_64 ? 2 : 1;
    m_out[5] = m_s.little_endian ? 1 : 2;
    m_out[6] = 1;
    put(16, 2, m_s.type);
    put(18, 2, m_s.machine);
    put(20, 4, 1);
    if (m_s.is_64) {
      put(32, 8, ehsize); // e_phoff
      put(52, 2, ehsize);
      put(54, 2, phent);
      put(56, 2, phnum);
    } else {
      put(28, 4, ehsize);
      put(40, 2, ehsize);
      put(42, 2, phent);
      put(44, 2, phnum);
    }
    std::uint64_t ph = ehsize;
    auto phdr = [&](std::uint32_t type, std::uint64_t off, std::uint64_t size) {
      put(ph, 4, type);
      if (m_s.is_64) {
        put(ph + 8, 8, off);
        put(ph + 16, 8, base + off);
        put(ph + 24, 8, base + off);
        put(ph + 32, 8, size);
        put(ph + 40, 8, size);
      } else {
        put(ph + 4, 4, off);
        put(ph + 8, 4, base + off);
        put(ph + 12, 4, base + off);
        put(ph + 16, 4, size);
        put(ph + 20, 4, size);
      }
      ph += phent;
    };
    phdr(1, 0, total); // PT_LOAD of everything
    if (m_s.interp) {
      phdr(3, interp_off, interp_bytes.size());
    }
    if (m_s.dynamic) {
      phdr(2, dyn_off, dyn.size() * dent);
    }
    m_out.replace(interp_off, interp_bytes.size(), interp_bytes);
    m_out.replace(dynstr_off, dynstr.size(), dynstr);
    for (std::size_t i = 0; i < dyn.size(); ++i) {
      put(dyn_off + i * dent, dent / 2, static_cast<std::uint64_t>(dyn[i].first));
      put(dyn_off + i * dent + dent / 2, dent / 2, dyn[i].second);
    }
    return m_out;
  }

private:
  void put(std::uint64_t off, unsigned width, std::uint64_t v) {
    for (unsigned i = 0; i < width; ++i) {
      unsigned shift = m_s.little_endian ? 8 * i : 8 * (width - 1 - i);
      m_out[off + i] = static_cast<char>((v >> shift) & 0xff);
    }
  }
  ElfSpec m_s;
  std::string m_out;
};

inline std::string make_elf(const ElfSpec& s) {
  return ElfBytes(s).build();
}

} // namespace slim::keep::test
