#!/usr/bin/env bash
# The sensor's overhead on one file- and syscall-heavy workload (python3 importing ~150 stdlib
# modules, then cat over every .py file of the stdlib), in slim-fixture/sensor-tools:
# natively, under `sensor run --mode fanotify|ptrace|both` (and ptrace without CAP_SYS_ADMIN:
# no trace filter, two stops per call), and under `strace -f -o /dev/null`.
# Prints the median wall time and the median CPU time (the container's cgroup: app plus the
# sensor's or strace's own threads; steadier than wall time on a busy machine) of RUNS runs
# (default 5) per variant, measured inside the container around the workload (container
# start-up is not counted).
#   scripts/bench_sensor.sh [SENSOR_BINARY]      (default build/sensor/sensor)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sensor=${1:-$root/build/sensor/sensor}
runs=${RUNS:-5}
image=slim-fixture/sensor-tools:latest
[ -x "$sensor" ] || { echo "bench_sensor: no sensor binary at $sensor (build it first)" >&2; exit 1; }
"$root/scripts/fixtures.sh" sensor-tools

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/.slim"
cp "$sensor" "$ctx/.slim/sensor"
cat >"$ctx/.slim/workload.sh" <<'WORK'
#!/bin/sh
# CPU time of the whole container (app + sensor/strace threads), cgroup v1 or v2, in ns.
cpu_ns() {
  if [ -r /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then cat /sys/fs/cgroup/cpuacct/cpuacct.usage
  elif [ -r /sys/fs/cgroup/cpu.stat ]; then echo $(( $(sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat) * 1000 ))
  else echo 0; fi
}
cpu0=$(cpu_ns)
start=$(date +%s%N)
python3 - <<'PY'
import importlib
mods = """abc argparse array ast asyncio base64 bdb binascii bisect bz2 calendar cmath cmd code
codecs codeop collections colorsys compileall concurrent.futures configparser contextlib
contextvars copy copyreg csv ctypes dataclasses datetime decimal difflib dis doctest email
email.mime.text email.parser encodings.idna enum errno faulthandler filecmp fileinput fnmatch
fractions ftplib functools gc getopt getpass gettext glob graphlib gzip hashlib heapq hmac html
html.parser http http.client http.cookies http.server imaplib inspect io ipaddress itertools
json json.decoder keyword linecache locale logging logging.handlers lzma mailbox math mimetypes
mmap modulefinder multiprocessing netrc numbers opcode operator optparse os pathlib pdb pickle
pickletools pkgutil platform plistlib poplib posixpath pprint profile pstats pty py_compile
pyclbr pydoc queue quopri random re reprlib rlcompleter runpy sched secrets select selectors
shelve shlex shutil signal site smtplib socket socketserver sqlite3 ssl stat statistics string
stringprep struct subprocess symtable sysconfig tabnanny tarfile tempfile textwrap threading
timeit token tokenize trace traceback tracemalloc tty types typing unicodedata unittest
urllib.parse urllib.request uuid warnings wave weakref webbrowser xml.dom.minidom
xml.etree.ElementTree xml.sax xmlrpc.client zipapp zipfile zipimport zlib zoneinfo""".split()
n = 0
for m in mods:
    try:
        importlib.import_module(m)
        n += 1
    except ImportError:
        pass
PY
find /usr/lib/python3.11 -name '*.py' -exec cat {} + >/dev/null
end=$(date +%s%N)
cpu1=$(cpu_ns)
echo "elapsed_ms=$(( (end - start) / 1000000 )) cpu_ms=$(( (cpu1 - cpu0) / 1000000 ))"
WORK
chmod 755 "$ctx/.slim/workload.sh"

one_run() { # variant -> elapsed ms
  local variant=$1 entry args=() caps=(--cap-add SYS_ADMIN --cap-add SYS_PTRACE)
  case $variant in
    native) entry=/.slim/workload.sh ;;
    strace) entry=strace; args=(-f -o /dev/null /.slim/workload.sh) ;;
    # ptrace without CAP_SYS_ADMIN: no trace filter, PTRACE_SYSCALL's two stops per call
    ptrace-nocap) entry=/.slim/sensor; caps=(--cap-add SYS_PTRACE)
      args=(run --report /tmp/report.json --mode ptrace -- /.slim/workload.sh) ;;
    *) entry=/.slim/sensor; args=(run --report /tmp/report.json --mode "$variant" -- /.slim/workload.sh) ;;
  esac
  local cid
  cid=$(docker create --label io.slim.owner=test --network none "${caps[@]}" \
    --security-opt seccomp=unconfined --entrypoint "$entry" "$image" "${args[@]}")
  tar -C "$ctx" -c .slim | docker cp - "$cid:/" >/dev/null
  docker start -a "$cid" 2>/dev/null | sed -n 's/^elapsed_ms=\([0-9]*\) cpu_ms=\([0-9]*\)$/\1 \2/p'
  docker rm -f "$cid" >/dev/null
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

variants=(native fanotify ptrace ptrace-nocap both strace)
declare -A wall cpu walls cpus
for v in "${variants[@]}"; do one_run "$v" >/dev/null; done # warm the page cache
# Round robin, so a change in the machine's load hits every variant alike.
for _ in $(seq "$runs"); do
  for v in "${variants[@]}"; do
    read -r w c < <(one_run "$v")
    walls[$v]+="$w " cpus[$v]+="$c "
  done
done
for v in "${variants[@]}"; do
  wall[$v]=$(printf '%s\n' ${walls[$v]} | median)
  cpu[$v]=$(printf '%s\n' ${cpus[$v]} | median)
  printf 'bench_sensor: %-12s wall ms: %s  cpu ms: %s\n' "$v" "${walls[$v]}" "${cpus[$v]}" >&2
done
printf '%-12s %12s %10s %12s %10s\n' variant wall_ms vs_native cpu_ms vs_native
for v in "${variants[@]}"; do
  printf '%-12s %12s %9.2fx %12s %9.2fx\n' "$v" "${wall[$v]}" \
    "$(echo "${wall[$v]} / ${wall[native]}" | bc -l)" "${cpu[$v]}" \
    "$(echo "${cpu[$v]} / ${cpu[native]}" | bc -l)"
done
