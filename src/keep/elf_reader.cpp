#include "slim/keep/elf_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace slim::keep {
namespace {

constexpr std::uint32_t k_pt_load = 1;
constexpr std::uint32_t k_pt_dynamic = 2;
constexpr std::uint32_t k_pt_interp = 3;
constexpr std::int64_t k_dt_null = 0;
constexpr std::int64_t k_dt_needed = 1;
constexpr std::int64_t k_dt_strtab = 5;
constexpr std::int64_t k_dt_strsz = 10;
constexpr std::int64_t k_dt_soname = 14;
constexpr std::int64_t k_dt_rpath = 15;
constexpr std::int64_t k_dt_runpath = 29;
constexpr std::int64_t k_dt_flags_1 = 0x6ffffffb;
constexpr std::size_t k_max_string = 4096;      // longest name or path we accept
constexpr std::size_t k_max_dynamic = 1u << 16; // dynamic entries we look at
constexpr std::size_t k_max_needed = 4096;      // DT_NEEDED entries we accept

// Thrown inside the parser only; turned into Result::fail at the boundary.
struct ParseError {
  std::string message;
  std::uint64_t need = 0; // > 0: the buffer was too short, this prefix would cover the read
};

class Reader {
public:
  explicit Reader(std::string_view bytes) : m_bytes(bytes) {}
  void set_format(bool is_64, bool le) {
    m_is_64 = is_64;
    m_le = le;
  }
  bool is_64() const { return m_is_64; }

  // Bounds check of [off, off + len); throws a truncation error or a garbage error.
  void check(std::uint64_t off, std::uint64_t len, const char* what) const {
    if (off > std::numeric_limits<std::uint64_t>::max() - len) {
      throw ParseError{std::string(what) + " lies beyond any possible file size"};
    }
    if (off + len > m_bytes.size()) {
      throw ParseError{std::string("truncated: ") + what + " ends at byte " +
                           std::to_string(off + len) + " but only " +
                           std::to_string(m_bytes.size()) + " bytes are available",
                       off + len};
    }
  }
  std::uint64_t uint(std::uint64_t off, unsigned width, const char* what) const {
    check(off, width, what);
    std::uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) {
      auto b = static_cast<unsigned char>(m_bytes[off + i]);
      unsigned shift = m_le ? 8 * i : 8 * (width - 1 - i);
      v |= static_cast<std::uint64_t>(b) << shift;
    }
    return v;
  }
  std::uint16_t u16(std::uint64_t off, const char* what) const {
    return static_cast<std::uint16_t>(uint(off, 2, what));
  }
  std::uint32_t u32(std::uint64_t off, const char* what) const {
    return static_cast<std::uint32_t>(uint(off, 4, what));
  }
  // An address/offset/size-sized field: 4 bytes for ELFCLASS32, 8 for ELFCLASS64.
  std::uint64_t word(std::uint64_t off, const char* what) const {
    return uint(off, m_is_64 ? 8 : 4, what);
  }
  // A NUL-terminated string at `off` that must end before `limit` (exclusive).
  std::string cstring(std::uint64_t off, std::uint64_t limit, const char* what) const {
    if (off >= limit) {
      throw ParseError{std::string(what) + " starts outside its string table"};
    }
    std::uint64_t max_len = std::min<std::uint64_t>(limit - off, k_max_string + 1);
    // Read as far as the buffer allows; a missing NUL inside the buffer may be truncation.
    std::string out;
    for (std::uint64_t i = 0; i < max_len; ++i) {
      check(off + i, 1, what);
      char c = m_bytes[off + i];
      if (c == '\0') {
        return out;
      }
      out.push_back(c);
    }
    if (max_len > k_max_string) {
      throw ParseError{std::string(what) + " is longer than " + std::to_string(k_max_string) +
                       " bytes"};
    }
    throw ParseError{std::string(what) + " is not NUL-terminated inside its string table"};
  }
  std::string_view bytes() const { return m_bytes; }

private:
  std::string_view m_bytes;
  bool m_is_64 = false;
  bool m_le = true;
};

struct Segment {
  std::uint32_t type = 0;
  std::uint64_t offset = 0, vaddr = 0, filesz = 0, memsz = 0;
};

std::vector<Segment> read_segments(const Reader& r) {
  const bool is_64 = r.is_64();
  std::uint64_t phoff = r.word(is_64 ? 32 : 28, "e_phoff");
  std::uint16_t phentsize = r.u16(is_64 ? 54 : 42, "e_phentsize");
  std::uint16_t phnum = r.u16(is_64 ? 56 : 44, "e_phnum");
  if (phnum == 0) {
    return {};
  }
  if (phnum == 0xffff) {
    throw ParseError{"extended program header count (PN_XNUM) is not supported"};
  }
  const std::uint16_t min_ent = is_64 ? 56 : 32;
  if (phentsize < min_ent) {
    throw ParseError{"e_phentsize " + std::to_string(phentsize) + " is smaller than " +
                     std::to_string(min_ent)};
  }
  r.check(phoff, static_cast<std::uint64_t>(phentsize) * phnum, "program header table");
  std::vector<Segment> out;
  out.reserve(phnum);
  for (std::uint16_t i = 0; i < phnum; ++i) {
    std::uint64_t p = phoff + static_cast<std::uint64_t>(i) * phentsize;
    Segment s;
    s.type = r.u32(p, "p_type");
    if (is_64) {
      s.offset = r.word(p + 8, "p_offset");
      s.vaddr = r.word(p + 16, "p_vaddr");
      s.filesz = r.word(p + 32, "p_filesz");
      s.memsz = r.word(p + 40, "p_memsz");
    } else {
      s.offset = r.word(p + 4, "p_offset");
      s.vaddr = r.word(p + 8, "p_vaddr");
      s.filesz = r.word(p + 16, "p_filesz");
      s.memsz = r.word(p + 20, "p_memsz");
    }
    out.push_back(s);
  }
  return out;
}

// Maps a virtual address to a file offset through the PT_LOAD segments.
std::optional<std::uint64_t> vaddr_to_offset(const std::vector<Segment>& segs, std::uint64_t a) {
  for (const auto& s : segs) {
    if (s.type == k_pt_load && a >= s.vaddr && a - s.vaddr < s.filesz) {
      std::uint64_t delta = a - s.vaddr;
      if (s.offset > std::numeric_limits<std::uint64_t>::max() - delta) {
        return std::nullopt;
      }
      return s.offset + delta;
    }
  }
  return std::nullopt;
}

void read_dynamic(const Reader& r, const std::vector<Segment>& segs, const Segment& dyn,
                  ElfInfo& info) {
  const std::uint64_t ent = r.is_64() ? 16 : 8;
  const std::uint64_t count = std::min<std::uint64_t>(dyn.filesz / ent, k_max_dynamic);
  std::optional<std::uint64_t> strtab, strsz;
  std::vector<std::uint64_t> needed, rpath, runpath, soname;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t p = dyn.offset + i * ent;
    auto tag = static_cast<std::int64_t>(r.word(p, "dynamic entry tag"));
    if (!r.is_64()) {
      tag = static_cast<std::int32_t>(static_cast<std::uint32_t>(tag)); // sign-extend d_tag
    }
    std::uint64_t val = r.word(p + ent / 2, "dynamic entry value");
    if (tag == k_dt_null) {
      break;
    }
    switch (tag) {
    case k_dt_needed:
      if (needed.size() >= k_max_needed) {
        throw ParseError{"more than " + std::to_string(k_max_needed) + " DT_NEEDED entries"};
      }
      needed.push_back(val);
      break;
    case k_dt_strtab:
      strtab = val;
      break;
    case k_dt_strsz:
      strsz = val;
      break;
    case k_dt_soname:
      soname.push_back(val);
      break;
    case k_dt_rpath:
      rpath.push_back(val);
      break;
    case k_dt_runpath:
      runpath.push_back(val);
      break;
    case k_dt_flags_1:
      info.flags_1 = val;
      break;
    default:
      break;
    }
  }
  if (needed.empty() && rpath.empty() && runpath.empty() && soname.empty()) {
    return; // nothing to look up in the string table
  }
  if (!strtab || !strsz) {
    throw ParseError{"dynamic section names strings but has no DT_STRTAB/DT_STRSZ"};
  }
  auto str_off = vaddr_to_offset(segs, *strtab);
  if (!str_off) {
    throw ParseError{"DT_STRTAB address is not inside any PT_LOAD segment"};
  }
  if (*str_off > std::numeric_limits<std::uint64_t>::max() - *strsz) {
    throw ParseError{"DT_STRSZ overflows"};
  }
  const std::uint64_t limit = *str_off + *strsz;
  r.check(*str_off, *strsz, "dynamic string table");
  auto str = [&](std::uint64_t idx, const char* what) {
    if (idx >= *strsz) {
      throw ParseError{std::string(what) + " index is outside the string table"};
    }
    return r.cstring(*str_off + idx, limit, what);
  };
  for (auto v : needed) {
    info.needed.push_back(str(v, "DT_NEEDED name"));
  }
  if (!rpath.empty()) {
    info.rpath = str(rpath.front(), "DT_RPATH");
  }
  if (!runpath.empty()) {
    info.runpath = str(runpath.front(), "DT_RUNPATH");
  }
  if (!soname.empty()) {
    info.soname = str(soname.front(), "DT_SONAME");
  }
}

ElfInfo parse(const Reader& base) {
  Reader r = base;
  r.check(0, 16, "ELF identification");
  if (!is_elf(r.bytes())) {
    throw ParseError{"not an ELF file (bad magic)"};
  }
  const auto cls = static_cast<unsigned char>(r.bytes()[4]);
  const auto data = static_cast<unsigned char>(r.bytes()[5]);
  const auto version = static_cast<unsigned char>(r.bytes()[6]);
  if (cls != 1 && cls != 2) {
    throw ParseError{"unknown ELF class " + std::to_string(cls)};
  }
  if (data != 1 && data != 2) {
    throw ParseError{"unknown ELF data encoding " + std::to_string(data)};
  }
  if (version != 1) {
    throw ParseError{"unknown ELF version " + std::to_string(version)};
  }
  ElfInfo info;
  info.is_64 = cls == 2;
  info.little_endian = data == 1;
  r.set_format(info.is_64, info.little_endian);
  r.check(0, info.is_64 ? 64 : 52, "ELF header");
  info.type = r.u16(16, "e_type");
  info.machine = r.u16(18, "e_machine");
  auto segs = read_segments(r);
  // Ask for everything the segments we read need at once, so callers re-read at most twice.
  std::uint64_t want = 0;
  for (const auto& s : segs) {
    if ((s.type == k_pt_interp || s.type == k_pt_dynamic) &&
        s.offset <= std::numeric_limits<std::uint64_t>::max() - s.filesz) {
      want = std::max(want, s.offset + s.filesz);
    }
  }
  if (want > r.bytes().size()) {
    r.check(0, want, "PT_INTERP/PT_DYNAMIC segments");
  }
  const Segment* dyn = nullptr;
  for (const auto& s : segs) {
    if (s.type == k_pt_interp && !info.interp) {
      if (s.filesz == 0 || s.filesz > k_max_string + 1) {
        throw ParseError{"PT_INTERP has an implausible size " + std::to_string(s.filesz)};
      }
      r.check(s.offset, s.filesz, "PT_INTERP");
      std::string_view raw = r.bytes().substr(s.offset, s.filesz);
      auto nul = raw.find('\0');
      if (nul == std::string_view::npos) {
        throw ParseError{"PT_INTERP is not NUL-terminated"};
      }
      info.interp = std::string(raw.substr(0, nul));
    } else if (s.type == k_pt_dynamic && dyn == nullptr) {
      dyn = &s;
    }
  }
  if (dyn != nullptr) {
    info.has_dynamic = true;
    read_dynamic(r, segs, *dyn, info);
  }
  return info;
}

} // namespace

bool is_elf(std::string_view bytes) noexcept {
  return bytes.size() >= 4 && std::memcmp(bytes.data(),
                                          "\x7f"
                                          "ELF",
                                          4) == 0;
}

Result<ElfInfo> parse_elf(std::string_view bytes, std::uint64_t* need_bytes) {
  if (need_bytes != nullptr) {
    *need_bytes = 0;
  }
  try {
    return parse(Reader(bytes));
  } catch (const ParseError& e) {
    if (need_bytes != nullptr) {
      *need_bytes = e.need;
    }
    return Result<ElfInfo>::fail(e.message);
  }
}

std::string elf_machine_name(std::uint16_t machine) {
  switch (machine) {
  case k_em_x86_64:
    return "x86_64";
  case k_em_386:
    return "i386";
  case k_em_aarch64:
    return "aarch64";
  case k_em_arm:
    return "arm";
  default:
    return "machine " + std::to_string(machine);
  }
}

} // namespace slim::keep
