#!/usr/bin/env bash
# Benchmark: `slim build` on every fixture. Prints per fixture the original and slim size and
# ratio, the total time and each pass's time (from slim.report.json), and beside it the engine's
# floor for the same image: `docker save` of the original + `docker load` of the result.
# Goal: the passes other than the app's own run and probes (run, exercise, stop, verify) take
# under 1.5x that floor. Numbers, not a pass/fail test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" >/dev/null
"$root/scripts/fixtures.sh" all
"$root/scripts/build.sh" >/dev/null
slim="${SLIM_BUILD_DIR:-$root/build}/src/slim"
work=$(mktemp -d /tmp/slim-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
declare -A flags=([nginx]="--http-probe-cmd /" [pyapp]="--http-probe-cmd /items")

now() { date +%s.%N; }
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
