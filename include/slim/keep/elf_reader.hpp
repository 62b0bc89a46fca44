#pragma once
// A small, bounds-checked ELF reader over an untrusted byte buffer: class, machine, type,
// PT_INTERP and the dynamic section's DT_NEEDED, DT_RUNPATH, DT_RPATH, DT_SONAME, DT_FLAGS_1.
// It never touches the file system and never reads outside the buffer.

#include "slim/util/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slim::keep {

/// ELF constants the closure uses (e_machine values, e_type values, DT_FLAGS_1 bits).
inline constexpr std::uint16_t k_em_386 = 3;
inline constexpr std::uint16_t k_em_arm = 40;
inline constexpr std::uint16_t k_em_x86_64 = 62;
inline constexpr std::uint16_t k_em_aarch64 = 183;
inline constexpr std::uint16_t k_et_exec = 2;
inline constexpr std::uint16_t k_et_dyn = 3;
inline constexpr std::uint64_t k_df_1_nodeflib = 0x800;

/// What the loader needs to know about one ELF file.
struct ElfInfo {
  bool is_64 = false;                 ///< ELFCLASS64 (else ELFCLASS32)
  bool little_endian = true;          ///< ELFDATA2LSB (else ELFDATA2MSB)
  std::uint16_t type = 0;             ///< e_type: 2 = executable, 3 = shared object/PIE
  std::uint16_t machine = 0;          ///< e_machine, e.g. 62 = x86-64
  std::optional<std::string> interp;  ///< PT_INTERP without its trailing NUL
  bool has_dynamic = false;           ///< a PT_DYNAMIC segment exists
  std::vector<std::string> needed;    ///< DT_NEEDED names, in order
  std::optional<std::string> rpath;   ///< DT_RPATH (colon-separated, unexpanded)
  std::optional<std::string> runpath; ///< DT_RUNPATH (colon-separated, unexpanded)
  std::optional<std::string> soname;  ///< DT_SONAME
  std::uint64_t flags_1 = 0;          ///< DT_FLAGS_1 (k_df_1_nodeflib...)
};

/// True when `bytes` starts with the ELF magic "\x7fELF".
bool is_elf(std::string_view bytes) noexcept;

/// Parses `bytes` (a file's first bytes, possibly the whole file). Fails with a one-line reason
/// on anything malformed. When the failure is only that the buffer is too short and a longer
/// prefix could succeed, `*need_bytes` (if given) is set to a prefix length that covers what
/// is known to be needed so far (callers re-read that much and try again); else it is set to 0.
Result<ElfInfo> parse_elf(std::string_view bytes, std::uint64_t* need_bytes = nullptr);

/// A short name for an e_machine value ("x86_64", "aarch64", "i386", "arm", or "machine N").
std::string elf_machine_name(std::uint16_t machine);

} // namespace slim::keep
