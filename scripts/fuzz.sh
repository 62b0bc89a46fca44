#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a while.
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     default: all, 60 s per target
# TARGET: layer sensor_report elf mux_stream sensor_http engine_http links verify_text
# source_stream.
# Each target fuzzes a work corpus outside the repo (${SLIM_FUZZ_WORK:-/var/tmp/slim-fuzz}/
# <target>, seeded from fuzz/corpus/<target>, kept between runs); crashes are written to
# <work>/crashes/<target>/ and make the script fail. Prints executions per target at the end.
# SLIM_FUZZ_BUILD_DIR (default build-fuzz) and SLIM_FUZZ_NICE (default 10) can be set.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
all_targets=(layer sensor_report elf mux_stream sensor_http engine_http links verify_text
  source_stream)
what=${1:-all}
seconds=${2:-60}
build=${SLIM_FUZZ_BUILD_DIR:-$root/build-fuzz}
work=${SLIM_FUZZ_WORK:-/var/tmp/slim-fuzz}
nice_level=${SLIM_FUZZ_NICE:-10}

if [ "$what" = all ]; then
  targets=("${all_targets[@]}")
elif [[ " ${all_targets[*]} " == *" $what "* ]]; then
  targets=("$what")
else
  echo "fuzz.sh: unknown target \`$what\` (one of: ${all_targets[*]} all)" >&2
  exit 2
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DSLIM_FUZZ=ON -DSLIM_TESTS=OFF -DSLIM_WERROR=ON >/dev/null
fi
ninja -C "$build" -j "$(nproc)" "${targets[@]/#/fuzz_}"

dict_of() {
  case "$1" in
    sensor_http | engine_http) echo "$root/fuzz/dict/http.dict" ;;
    *) echo "$root/fuzz/dict/$1.dict" ;;
  esac
}

declare -A runs=() result=()
failed=0
for t in "${targets[@]}"; do
  corpus="$work/$t"
  crashes="$work/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  cp -n "$root/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  log="$work/$t.log"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$crashes/" -dict="$(dict_of "$t")")
  [ "$t" = layer ] && args+=(-max_len=65536)
  echo "fuzz.sh: $t for ${seconds}s (corpus $corpus, log $log)"
  rc=0
  nice -n "$nice_level" "$build/fuzz/fuzz_$t" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  runs[$t]=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    result[$t]=ok
  else
    result[$t]="FAILED (exit $rc; see $log and $crashes)"
    failed=1
    grep -E '^==[0-9]+==ERROR|^SUMMARY|invariant broken|^artifact_prefix|Test unit written' "$log" | head -5 >&2 || true
  fi
done

echo "fuzz.sh: executions per target (${seconds}s each)"
for t in "${targets[@]}"; do
  printf '  %-14s %12s  %s\n' "$t" "${runs[$t]:-?}" "${result[$t]}"
done
exit "$failed"
