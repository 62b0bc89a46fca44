#!/usr/bin/env bash
# Everything needed to run all tests on a fresh Debian 12 machine, as root:
# packages, dockerd, fixture images, a -Werror build, then unit and integration tests.
#   scripts/test.sh            all tests
#   scripts/test.sh unit       unit tests only (no daemon needed)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
what=${1:-all}
"$root/scripts/setup.sh"
if [ "$what" != unit ]; then
  "$root/scripts/fixtures.sh" all
fi
SLIM_BUILD_DIR=${SLIM_BUILD_DIR:-$root/build} "$root/scripts/build.sh" -DSLIM_WERROR=ON
build=${SLIM_BUILD_DIR:-$root/build}
label=()
[ "$what" = unit ] && label=(-L unit)
cd "$build"
ctest --output-on-failure --timeout 900 "${label[@]}"
