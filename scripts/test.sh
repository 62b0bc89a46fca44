#!/usr/bin/env bash
# Everything needed to run all tests on a fresh Debian 12 machine, as root:
# packages, dockerd, fixture images, the matrix's other engines, a -Werror build, then unit and
# integration tests.
#   scripts/test.sh            all tests
#   scripts/test.sh unit       unit tests only (no daemon needed)
# The integration suite runs whole against the default dockerd and its engine subset against
# Podman and trixie's dockerd (integration/CMakeLists.txt); SLIM_TEST_ENGINES=docker,podman,trixie
# (default all) picks engines. The three engines' tests run side by side (ctest -j3, one test
# per engine at a time), so the matrix adds little to the suite's time.
# After the tests, a fuzz smoke run: each libFuzzer target for SLIM_FUZZ_SMOKE_SECONDS (20;
# 0 skips it) on its seed corpus (scripts/fuzz.sh, clang build in build-fuzz).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
what=${1:-all}
engines=${SLIM_TEST_ENGINES:-all}
build=${SLIM_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
# The fixture images (apt inside docker builds: network and disk) and the other engines
# (downloads and unpacking) are made ready while slim compiles (CPU); the tests wait for all.
# The engines' setup tests (engine.NAME.start) report a start that failed.
fixtures_pid=
starting=()
if [ "$what" != unit ]; then
  "$root/scripts/fixtures.sh" all &
  fixtures_pid=$!
  mkdir -p "$build"
  for e in podman trixie; do
    if [ "$engines" = all ] || [[ ",$engines," == *",$e,"* ]]; then
      "$root/scripts/engines.sh" "$e" >"$build/engine-$e-start.log" 2>&1 &
      starting+=($!)
    fi
  done
fi
SLIM_BUILD_DIR=$build "$root/scripts/build.sh" -DSLIM_WERROR=ON
if [ -n "$fixtures_pid" ] && ! wait "$fixtures_pid"; then
  echo "test.sh: error: the fixture images could not be built (see above)" >&2
  exit 1
fi
for pid in "${starting[@]}"; do
  wait "$pid" || true
done
label=()
[ "$what" = unit ] && label=(-L unit)
cd "$build"
start=$(date +%s)
ctest --output-on-failure --timeout 900 -j "${SLIM_CTEST_JOBS:-3}" "${label[@]}"
echo "test.sh: tests took $(($(date +%s) - start)) s"
smoke=${SLIM_FUZZ_SMOKE_SECONDS:-20}
if [ "$smoke" -gt 0 ]; then
  "$root/scripts/fuzz.sh" all "$smoke"
fi
