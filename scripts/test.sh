#!/usr/bin/env bash
# Everything needed to run all tests on a fresh Debian 12 machine, as root:
# packages, dockerd, fixture images, a -Werror build, then unit and integration tests.
#   scripts/test.sh            all tests
#   scripts/test.sh unit       unit tests only (no daemon needed)
# After the tests, a fuzz smoke run: each libFuzzer target for SLIM_FUZZ_SMOKE_SECONDS (20;
# 0 skips it) on its seed corpus (scripts/fuzz.sh, clang build in build-fuzz).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
what=${1:-all}
"$root/scripts/setup.sh"
# The fixture images (apt inside docker builds: network and disk) are built while slim compiles
# (CPU); the tests wait for both.
fixtures_pid=
if [ "$what" != unit ]; then
  "$root/scripts/fixtures.sh" all &
  fixtures_pid=$!
fi
SLIM_BUILD_DIR=${SLIM_BUILD_DIR:-$root/build} "$root/scripts/build.sh" -DSLIM_WERROR=ON
if [ -n "$fixtures_pid" ] && ! wait "$fixtures_pid"; then
  echo "test.sh: error: the fixture images could not be built (see above)" >&2
  exit 1
fi
build=${SLIM_BUILD_DIR:-$root/build}
label=()
[ "$what" = unit ] && label=(-L unit)
cd "$build"
ctest --output-on-failure --timeout 900 "${label[@]}"
smoke=${SLIM_FUZZ_SMOKE_SECONDS:-20}
if [ "$smoke" -gt 0 ]; then
  "$root/scripts/fuzz.sh" all "$smoke"
fi
