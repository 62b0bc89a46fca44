#!/usr/bin/env bash
# Benchmark of the image module (printed, not a timed test): builds a ~1 GB multi-layer
# fixture (slim-bench/big:latest, FROM slim-fixture/base:bookworm) and prints, side by side,
# wall time and peak RSS of
#   docker save IMAGE > /dev/null              (the engine's own floor)
#   docker save | docker load (as one step)    (what squash is compared against)
#   slim squash IMAGE --tag ...                 (export, flatten, write, load)
#   slim xray IMAGE                             (export, flatten, report)
# Usage: scripts/bench_image.sh [path/to/slim] [size-in-MB]   (default build-image/src/slim, 1000)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
slim=${1:-$root/build-image/src/slim}
mb=${2:-1000}
image=slim-bench/big:latest
squashed=slim-bench/big-squashed:latest
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[ -x "$slim" ] || { echo "bench: no slim binary at $slim" >&2; exit 1; }

if ! docker image inspect "$image" >/dev/null 2>&1; then
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  # Four layers of random data (incompressible) plus many small files; the third layer
  # overwrites part of the first and deletes some, so whiteouts and waste are exercised.
  q=$((mb / 4))
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM slim-fixture/base:bookworm
RUN mkdir -p /bench/a && head -c ${q}M /dev/urandom > /bench/a/blob1 && \
    for i in \$(seq 1 2000); do head -c 4096 /dev/urandom > /bench/a/small\$i; done
RUN mkdir -p /bench/b && head -c ${q}M /dev/urandom > /bench/b/blob2
RUN head -c ${q}M /dev/urandom > /bench/a/blob1 && rm -f /bench/a/small1*
RUN mkdir -p /bench/c && head -c ${q}M /dev/urandom > /bench/c/blob3
CMD ["ls", "/bench"]
DOCKERFILE
  echo "bench: building $image (~${mb} MB)" >&2
  DOCKER_BUILDKIT=0 docker build -q -t "$image" "$ctx" >/dev/null
fi

size=$(docker image inspect -f '{{.Size}}' "$image")
layers=$(docker image inspect -f '{{len .RootFS.Layers}}' "$image")
printf 'image %s: %s bytes, %s layers\n\n' "$image" "$size" "$layers"
printf '%-34s %10s %14s\n' "step" "wall (s)" "peak RSS (MB)"

measure() { # label, command...
  local label=$1; shift
  local log
  log=$(mktemp)
  /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$log.err" || { cat "$log.err" >&2; rm -f "$log" "$log.err"; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$log")
  printf '%-34s %10s %14s\n' "$label" "$wall" "$rss"
  rm -f "$log" "$log.err"
}

sync
measure "docker save > /dev/null" sh -c "docker save $image > /dev/null"
measure "docker save | docker load" sh -c "docker save $image | docker load"
measure "slim squash" "$slim" --log-level warn squash "$image" --tag "$squashed"
measure "slim xray" "$slim" --log-level warn xray "$image"
docker image rm -f "$squashed" >/dev/null 2>&1 || true
echo
echo "(peak RSS of the docker rows is the CLI's, not dockerd's; slim's row is slim's own process)"
