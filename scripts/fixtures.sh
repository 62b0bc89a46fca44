#!/usr/bin/env bash
# Builds the fixture images the examples and integration tests use, from Debian packages only.
#   fixtures.sh base        the minbase bookworm image (slim-fixture/base:bookworm)
#   fixtures.sh all         base + every integration/fixtures/NAME/Dockerfile -> slim-fixture/NAME:latest
#   fixtures.sh NAME...     base + the named fixtures
# Each image carries a label with the hash of its build context, so unchanged fixtures are
# not rebuilt. The debootstrap rootfs is cached as a tar under $SLIM_CACHE.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cache=${SLIM_CACHE:-/var/cache/slim}
base=slim-fixture/base:bookworm
log() { printf 'fixtures: %s\n' "$*" >&2; }

mirror() {
  # The mirror apt already uses (deb822 or one-line format), else Debian's default.
  local m
  m=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -m1 '/debian/*$' || true)
  [ -n "$m" ] || m=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -m1 '/debian/*$' || true)
  echo "${m:-http://deb.debian.org/debian}"
}

build_base() {
  if docker image inspect "$base" >/dev/null 2>&1; then return 0; fi
  mkdir -p "$cache"
  local tarball="$cache/rootfs-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    local dir
    dir=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$dir"' RETURN
    log "debootstrap minbase bookworm from $(mirror) (about 30 s)"
    debootstrap --variant=minbase bookworm "$dir" "$(mirror)" >"$cache/debootstrap.log" 2>&1 || {
      tail -n 20 "$cache/debootstrap.log" >&2; return 1; }
    # apt inside fixture builds uses the same mirror.
    echo "deb $(mirror) bookworm main" >"$dir/etc/apt/sources.list"
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" --numeric-owner -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
  fi
  log "importing $base"
  docker import --change 'CMD ["/bin/bash"]' "$tarball" "$base" >/dev/null
}

build_fixture() {
  local name=$1 ctx="$root/integration/fixtures/$1"
  [ -f "$ctx/Dockerfile" ] || { log "error: no fixture \`$name\` ($ctx/Dockerfile)"; return 1; }
  local hash image="slim-fixture/$name:latest"
  hash=$(cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  if [ "$(docker image inspect -f '{{index .Config.Labels "slim.fixture.hash"}}' "$image" 2>/dev/null || true)" = "$hash" ]; then
    return 0
  fi
  log "building $image"
  DOCKER_BUILDKIT=0 docker build --network host -q --label "slim.fixture.hash=$hash" \
    -t "$image" "$ctx" >"$cache/build-$name.log" 2>&1 || { tail -n 30 "$cache/build-$name.log" >&2; return 1; }
}

mkdir -p "$cache"
build_base
case "${1:-base}" in
  base) ;;
  all)
    for d in "$root"/integration/fixtures/*/; do
      [ -f "$d/Dockerfile" ] && build_fixture "$(basename "$d")"
    done ;;
  *) for n in "$@"; do build_fixture "$n"; done ;;
esac
