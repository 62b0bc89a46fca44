// Fuzz target: the ELF reader over untrusted bytes (files of the image). Checks: a failure that
// asks for a longer prefix asks for more than it was given (else the caller would re-read the
// same prefix forever), and parsing that prefix of a longer input never asks for less.
#include "slim/keep/elf_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_elf: invariant broken: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)slim::keep::is_elf(bytes);
  std::uint64_t need = 0;
  auto info = slim::keep::parse_elf(bytes, &need);
  if (!info) {
    check(!info.error().empty(), "a failure has a reason");
    check(need == 0 || need > size, "need_bytes is longer than the buffer");
    return 0;
  }
  check(need == 0, "need_bytes is 0 on success");
  const auto& e = info.value();
  check(!slim::keep::elf_machine_name(e.machine).empty(), "machine has a name");
  check(e.needed.size() <= size, "no more DT_NEEDED than bytes");
  return 0;
}
