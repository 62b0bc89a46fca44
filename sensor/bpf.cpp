#include "sensor/bpf.hpp"

#include <array>
#include <cstring>

namespace slim::sensor {

std::uint32_t run_bpf(const BpfProgram& program, const seccomp_data& data) {
  constexpr std::uint32_t k_fail = SECCOMP_RET_KILL_PROCESS;
  std::uint32_t a = 0;
  std::uint32_t x = 0;
  std::array<std::uint32_t, BPF_MEMWORDS> mem{};
  const std::size_t n = program.size();
  // Every step moves forward (jumps are unsigned offsets), so this ends within n steps.
  for (std::size_t pc = 0; pc < n; ++pc) {
    const sock_filter& in = program[pc];
    const std::uint32_t k = in.k;
    switch (in.code) {
    case BPF_LD | BPF_W | BPF_ABS:
      if (k % 4 != 0 || k + 4 > sizeof data) {
        return k_fail;
      }
      std::memcpy(&a, reinterpret_cast<const unsigned char*>(&data) + k, 4);
      break;
    case BPF_LD | BPF_W | BPF_LEN:
      a = sizeof data;
      break;
    case BPF_LDX | BPF_W | BPF_LEN:
      x = sizeof data;
      break;
    case BPF_LD | BPF_IMM:
      a = k;
      break;
    case BPF_LDX | BPF_IMM:
      x = k;
      break;
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
      if (k >= BPF_MEMWORDS) {
        return k_fail;
      }
      if (in.code == (BPF_LD | BPF_MEM)) {
        a = mem[k];
      } else if (in.code == (BPF_LDX | BPF_MEM)) {
        x = mem[k];
      } else if (in.code == BPF_ST) {
        mem[k] = a;
      } else {
        mem[k] = x;
      }
      break;
    case BPF_MISC | BPF_TAX:
      x = a;
      break;
    case BPF_MISC | BPF_TXA:
      a = x;
      break;
    case BPF_RET | BPF_K:
      return k;
    case BPF_RET | BPF_A:
      return a;
    case BPF_ALU | BPF_NEG:
      a = 0U - a;
      break;
    case BPF_JMP | BPF_JA:
      if (k >= n - pc - 1) {
        return k_fail;
      }
      pc += k;
      break;
    default: {
      const std::uint32_t cls = BPF_CLASS(in.code);
      const std::uint32_t operand = BPF_SRC(in.code) == BPF_X ? x : k;
      if (cls == BPF_ALU) {
        switch (BPF_OP(in.code)) {
        case BPF_ADD:
          a += operand;
          break;
        case BPF_SUB:
          a -= operand;
          break;
        case BPF_MUL:
          a *= operand;
          break;
        case BPF_DIV:
          if (operand == 0) {
            return k_fail;
          }
          a /= operand;
          break;
        case BPF_MOD:
          if (operand == 0) {
            return k_fail;
          }
          a %= operand;
          break;
        case BPF_AND:
          a &= operand;
          break;
        case BPF_OR:
          a |= operand;
          break;
        case BPF_XOR:
          a ^= operand;
          break;
        case BPF_LSH:
          a = operand < 32 ? a << operand : 0;
          break;
        case BPF_RSH:
          a = operand < 32 ? a >> operand : 0;
          break;
        default:
          return k_fail;
        }
        break;
      }
      if (cls == BPF_JMP) {
        bool taken = false;
        switch (BPF_OP(in.code)) {
        case BPF_JEQ:
          taken = a == operand;
          break;
        case BPF_JGT:
          taken = a > operand;
          break;
        case BPF_JGE:
          taken = a >= operand;
          break;
        case BPF_JSET:
          taken = (a & operand) != 0;
          break;
        default:
          return k_fail;
        }
        std::size_t offset = taken ? in.jt : in.jf;
        if (offset >= n - pc - 1) {
          return k_fail;
        }
        pc += offset;
        break;
      }
      return k_fail;
    }
    }
  }
  return k_fail; // fell off the end
}

} // namespace slim::sensor
