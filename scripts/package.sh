#!/usr/bin/env bash
# Builds slim (scripts/build.sh) and its Debian package into ${SLIM_BUILD_DIR:-build}:
# slim_VERSION_amd64.deb (bin/slim, the sensor, the docker CLI plugin, the man page).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build=${SLIM_BUILD_DIR:-$root/build}
SLIM_BUILD_DIR=$build "$root/scripts/build.sh"
(cd "$build" && cpack -G DEB -B "$build" >/dev/null)
ls "$build"/slim_*_amd64.deb
