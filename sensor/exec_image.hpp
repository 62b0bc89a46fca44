#pragma once
// What the kernel loads besides an executed file (pure): the `#!` interpreter of a script or
// the ELF program interpreter (PT_INTERP, the dynamic loader) named in its first bytes.

#include <optional>
#include <string>
#include <string_view>

namespace slim::sensor {

/// Bytes of an executable's head worth reading for interpreter_of().
inline constexpr std::size_t k_exec_head_size = 4096;

/// The interpreter path `head` (the file's first bytes) names: the `#!` line's program for a
/// script, PT_INTERP for a 64- or 32-bit little-endian ELF; nullopt when none or not in `head`.
std::optional<std::string> interpreter_of(std::string_view head);

} // namespace slim::sensor
