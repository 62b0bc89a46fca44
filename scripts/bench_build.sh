#!/usr/bin/env bash
# Benchmark of `slim build` (numbers, not a pass/fail test). Two parts:
#
# passes: `slim build` on every fixture. Prints per fixture the original and slim size and
#   ratio, the total time and each pass's time (from slim.report.json), and beside it the
#   engine's floor for the same image: `docker save` of the original + `docker load` of the
#   result. Goal: the passes other than the app's own run and probes (run, exercise, stop,
#   verify) take under 1.5x that floor.
#
# sources (issue 13): the cost of reading the image's files. Per fixture (nginx, and
#   slim-bench/nginx-big: the nginx fixture + ~1.5 GB of files the app never reads, generated
#   from /dev/urandom when the image is built), BENCH_PAIRS (default 3) paired runs of
#   `slim build --no-verify` with the same probe, `--source pristine` (the default) and
#   `--source export`, the order alternating within the pairs. Prints the image size, the
#   median wall time of each source, their ratio, the temp disk peak (du of --tmp-dir, polled
#   every 0.1 s), slim's peak RSS (/usr/bin/time) and the big/small time ratio per source.
#   Goal: big/small <= 1.3 for the pristine source. BENCH_REMOVE_BIG=1 removes the big image
#   afterwards.
#
# Usage: scripts/bench_build.sh [passes|sources|all]   (default all)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" >/dev/null
"$root/scripts/fixtures.sh" all
"$root/scripts/build.sh" >/dev/null
slim="${SLIM_BUILD_DIR:-$root/build}/src/slim"
work=$(mktemp -d /tmp/slim-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
declare -A flags=([nginx]="--http-probe-cmd /" [nginx-big]="--http-probe-cmd /"
  [pyapp]="--http-probe-cmd /items")
what=${1:-all}
case "$what" in passes | sources | all) ;; *) echo "usage: $0 [passes|sources|all]" >&2; exit 2 ;; esac

now() { date +%s.%N; }

bench_passes() {
  printf '%-11s %9s %8s %6s %7s %8s %8s %6s  %s\n' fixture orig_MB slim_MB ratio total_s tool_s floor_s x "passes (s)"
  for name in nginx pyapp batch nonroot entrypoint tlsclient; do
    image=slim-fixture/$name:latest
    tag=slim-bench/$name:slim
    t0=$(now)
    # shellcheck disable=SC2086
    "$slim" build --log-level warn ${flags[$name]:-} --tag "$tag" --report "$work/r.json" \
      --seccomp-profile "$work/s.json" "$image" >/dev/null
    t1=$(now)
    # The engine's floor: save the original, load the (already small) result.
    docker save "$image" -o "$work/orig.tar"
    docker save "$tag" -o "$work/slim.tar"
    docker rmi "$tag" >/dev/null
    t2=$(now)
    docker save "$image" >/dev/null
    docker load -i "$work/slim.tar" >/dev/null
    t3=$(now)
    python3 - "$work/r.json" "$t0" "$t1" "$t2" "$t3" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t0, t1, t2, t3 = map(float, sys.argv[2:6])
times = r.get("timings", {})
if isinstance(times, list):
    times = {t["pass"] if isinstance(t, dict) else t[0]: (t["seconds"] if isinstance(t, dict) else t[1]) for t in times}
app = sum(times.get(k, 0) for k in ("run", "exercise", "stop", "verify"))
total = t1 - t0
tool = total - app
floor = t3 - t2
src = r["source"]["size"]; res = r["result"]["size"]
passes = " ".join(f"{k}={v:.2f}" for k, v in times.items())
print(f"{sys.argv[6]:<11} {src/1e6:9.1f} {res/1e6:8.1f} {src/res:6.1f} {total:7.2f} {tool:8.2f} {floor:8.2f} {tool/floor:6.2f}  {passes}")
PY
    docker rmi "$tag" >/dev/null
  done
}

# slim-bench/nginx-big: the nginx fixture + ~1.5 GB the app never reads (incompressible, so
# neither the engine nor a filesystem can make it cheap): 16 files of 64 MiB and 1024 of
# 512 KiB, in two layers. Rebuilt when the nginx fixture changes (its ID is a label).
big_image="slim-bench/nginx-big:latest"
build_big() {
  local base=slim-fixture/nginx:latest base_id ctx
  base_id=$(docker image inspect -f '{{.Id}}' "$base")
  if [ "$(docker image inspect -f '{{index .Config.Labels "slim.bench.base"}}' "$big_image" 2>/dev/null || true)" = "$base_id" ]; then
    return 0
  fi
  ctx=$(mktemp -d "$work/big-ctx.XXXXXX")
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM slim-fixture/nginx:latest
RUN mkdir -p /opt/unused/blobs && for i in $(seq 1 16); do \
      head -c 64M /dev/urandom > /opt/unused/blobs/blob-$i.bin; done
RUN for d in $(seq 1 32); do mkdir -p /opt/unused/small/d$d; \
      for f in $(seq 1 32); do head -c 512K /dev/urandom > /opt/unused/small/d$d/f$f.dat; done; done
DOCKERFILE
  echo "bench: building $big_image (the nginx fixture + 1.5 GB, about a minute)" >&2
  DOCKER_BUILDKIT=0 docker build -q --label "slim.bench.base=$base_id" -t "$big_image" "$ctx" \
    >/dev/null 2>"$work/big-build.log" || { tail -n 30 "$work/big-build.log" >&2; return 1; }
  rm -rf "$ctx"
}

# One `slim build` from `source`; appends "fixture source wall_s tmp_peak_bytes rss_kb passes"
# to $work/runs.txt.
one_run() {
  local name=$1 image=$2 source=$3 tmp="$work/tmp-$3" poll t0 t1 peak
  rm -rf "$tmp" && mkdir -p "$tmp"
  # The temp disk peak: du of slim's --tmp-dir, polled while it runs.
  (
    max=0
    while :; do
      n=$(du -sb "$tmp" 2>/dev/null | cut -f1 || echo 0)
      [ "${n:-0}" -gt "$max" ] && max=$n && echo "$max" >"$work/peak"
      sleep 0.1
    done
  ) &
  poll=$!
  echo 0 >"$work/peak"
  t0=$(now)
  # shellcheck disable=SC2086
  /usr/bin/time -f %M -o "$work/rss" "$slim" --tmp-dir "$tmp" build --log-level warn --no-verify \
    ${flags[$name]:-} --source "$source" --tag slim-bench/src:slim --report "$work/r.json" \
    --seccomp-profile "$work/s.json" "$image" >/dev/null
  t1=$(now)
  kill "$poll" 2>/dev/null || true
  wait "$poll" 2>/dev/null || true
  peak=$(cat "$work/peak")
  docker rmi slim-bench/src:slim >/dev/null
  python3 - "$work/r.json" >"$work/passes" <<'PY'
import json, sys
times = json.load(open(sys.argv[1])).get("timings", [])
print(",".join(f"{t['pass']}={t['seconds']:.2f}" for t in times))
PY
  echo "$name $source $(python3 -c "print(f'{$t1-$t0:.3f}')") $peak $(tail -n1 "$work/rss") $(cat "$work/passes")" >>"$work/runs.txt"
}

bench_sources() {
  local pairs=${BENCH_PAIRS:-3}
  build_big
  : >"$work/runs.txt"
  for name in nginx nginx-big; do
    local image=slim-fixture/$name:latest
    [ "$name" = nginx-big ] && image=$big_image
    for i in $(seq 1 "$pairs"); do
      # Alternate the order, so a warm page cache favours neither source.
      if [ $((i % 2)) -eq 1 ]; then order="pristine export"; else order="export pristine"; fi
      for source in $order; do
        one_run "$name" "$image" "$source"
        echo "bench: $(tail -n1 "$work/runs.txt")" >&2
      done
    done
  done
  declare -A sizes=([nginx]=$(docker image inspect -f '{{.Size}}' slim-fixture/nginx:latest)
    [nginx-big]=$(docker image inspect -f '{{.Size}}' "$big_image"))
  python3 - "$work/runs.txt" "${sizes[nginx]}" "${sizes[nginx-big]}" "$pairs" <<'PY'
import statistics as st, sys
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    runs.setdefault((f[0], f[1]), []).append((float(f[2]), int(f[3]), int(f[4]), f[5] if len(f) > 5 else ""))
size = {"nginx": int(sys.argv[2]), "nginx-big": int(sys.argv[3])}
med = lambda k, i: st.median(r[i] for r in runs[k])
print(f"sources: {sys.argv[4]} pairs of `slim build --no-verify`, medians")
print(f"{'fixture':<10} {'image_MB':>8} {'pristine_s':>10} {'export_s':>8} {'exp/pri':>7} "
      f"{'tmp_pri_MB':>10} {'tmp_exp_MB':>10} {'rss_pri_MB':>10} {'rss_exp_MB':>10}")
for n in ("nginx", "nginx-big"):
    p, e = (n, "pristine"), (n, "export")
    print(f"{n:<10} {size[n]/1e6:8.0f} {med(p,0):10.2f} {med(e,0):8.2f} {med(e,0)/med(p,0):7.2f} "
          f"{med(p,1)/1e6:10.1f} {med(e,1)/1e6:10.1f} {med(p,2)/1e3:10.1f} {med(e,2)/1e3:10.1f}")
for s in ("pristine", "export"):
    print(f"big/small, {s}: {med(('nginx-big', s), 0) / med(('nginx', s), 0):.2f}")
for k in sorted(runs):
    print(f"  {k[0]} {k[1]}: " + "; ".join(f"{r[0]:.2f} s" for r in runs[k]) + f"  (last: {runs[k][-1][3]})")
PY
  if [ "${BENCH_REMOVE_BIG:-0}" = 1 ]; then docker rmi "$big_image" >/dev/null; fi
}

case "$what" in
  passes) bench_passes ;;
  sources) bench_sources ;;
  all) bench_passes && echo && bench_sources ;;
esac
