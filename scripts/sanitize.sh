#!/usr/bin/env bash
# The unit and integration tests with AddressSanitizer + UndefinedBehaviorSanitizer (GCC):
#   scripts/sanitize.sh          unit and integration tests (needs dockerd and the fixtures)
#   scripts/sanitize.sh unit     unit tests only (no daemon)
# Extra ctest arguments in SLIM_CTEST_ARGS, e.g. SLIM_CTEST_ARGS="-R Hostile".
# Builds ${SLIM_ASAN_BUILD_DIR:-build-asan} with -DSLIM_SANITIZE=ON (-O1 -g, -Werror): `slim`,
# the core library and both test binaries are instrumented; the sensor and the static access
# helper are not (static binaries cannot carry ASan), so the unit tests link the sensor's
# library uninstrumented. Any report (leaks included) fails the test it happened in. Prints
# how long the build and the tests took.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
what=${1:-all}
read -r -a SLIM_CTEST_ARGS <<<"${SLIM_CTEST_ARGS:-}"
build=${SLIM_ASAN_BUILD_DIR:-$root/build-asan}
case "$what" in
  unit) targets=(slim_unit_tests); label=(-L unit) ;;
  all) targets=(all); label=() ;;
  *) echo "sanitize.sh: unknown argument \`$what\` (unit or all)" >&2; exit 2 ;;
esac

"$root/scripts/setup.sh"
[ "$what" = all ] && "$root/scripts/fixtures.sh" all

start=$(date +%s)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DSLIM_SANITIZE=ON -DSLIM_WERROR=ON
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
built=$(date +%s)

# halt_on_error: the first report ends the process; leaks are reported at exit. Child
# processes (the `slim` the integration tests run) inherit these. Reports also go to files in
# $reports, because a test that expects `slim` to fail would not notice a report on its own.
reports="$build/sanitizer-reports"
rm -rf "$reports" && mkdir -p "$reports"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:log_path=$reports/asan
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan
cd "$build"
rc=0
ctest --output-on-failure --timeout 900 "${label[@]}" "${SLIM_CTEST_ARGS[@]}" || rc=$?
done_at=$(date +%s)
if compgen -G "$reports/*" >/dev/null; then
  echo "sanitize.sh: sanitizer reports:" >&2
  cat "$reports"/* >&2
  rc=1
fi
echo "sanitize.sh: build $((built - start)) s, tests $((done_at - built)) s ($what)"
exit "$rc"
