#!/usr/bin/env bash
# Finds the system calls the OCI runtime makes after it installs a container's seccomp filter
# on this engine: runs `IMAGE true` under a profile that allows only what `true` itself needs
# with defaultAction SCMP_ACT_LOG, and prints the calls the kernel logged (needs dmesg).
# The result belongs in k_runtime_syscalls (src/build/seccomp_profile.cpp).
set -euo pipefail
image=${1:-slim-fixture/base:bookworm}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/profile.json" <<'JSON'
{"defaultAction":"SCMP_ACT_LOG","architectures":["SCMP_ARCH_X86_64"],
 "syscalls":[{"names":["execve","brk","arch_prctl","mmap","munmap","mprotect","openat","read",
   "close","newfstatat","fstat","pread64","access","set_tid_address","set_robust_list","rseq",
   "prlimit64","getrandom","exit_group","write"],"action":"SCMP_ACT_ALLOW"}]}
JSON
dmesg -C
docker run --rm --network none --security-opt "seccomp=$dir/profile.json" "$image" true
dmesg | grep -o 'syscall=[0-9]*' | cut -d= -f2 | sort -n | uniq | while read -r n; do
  name=$(awk -v n="$n" '$1 == "#define" && $3 == n { sub("__NR_", "", $2); print $2 }' \
    /usr/include/x86_64-linux-gnu/asm/unistd_64.h)
  printf '%s %s\n' "$n" "${name:-?}"
done
