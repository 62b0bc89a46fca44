#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine, run as root:
#   1. installs the build and runtime packages,
#   2. starts dockerd if its socket does not answer,
#   3. builds the fixture base image (debootstrap minbase bookworm), cached.
# Re-running it takes seconds once everything is in place.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
log() { printf 'setup: %s\n' "$*" >&2; }

packages=(
  build-essential cmake pkg-config ninja-build
  libboost-dev libboost-system-dev libarchive-dev nlohmann-json3-dev libseccomp-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libssl-dev libcli11-dev libelf-dev
  libzstd-dev zlib1g-dev
  docker.io debootstrap busybox-static openssl ca-certificates curl
  clang libclang-rt-14-dev
  chromium
  time file
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Unreachable third-party sources must not stop the install from Debian's mirror.
  apt-get update || log "apt-get update reported errors; continuing with what it fetched"
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

"$here/start-dockerd.sh"
"$here/fixtures.sh" base
