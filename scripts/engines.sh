#!/usr/bin/env bash
# Starts the extra engines of the integration matrix, each from Debian packages on its own
# socket, unless it already answers there (idempotent; a second run takes a second):
#   engines.sh podman    Podman 4.3 (bookworm) on unix:///run/podman/podman.sock
#   engines.sh trixie    dockerd 26.1 (trixie's docker.io) on unix:///run/docker-trixie/docker.sock
#   engines.sh socket ENGINE    prints the engine's DOCKER_HOST
#   engines.sh fixtures ENGINE NAME...   copies fixture images from the default dockerd
#   engines.sh stop ENGINE      stops an engine this script started
#   engines.sh test-setup ENGINE NAME...   for CTest: unless SLIM_TEST_ENGINES leaves ENGINE
#                               out, starts it and gives it the fixtures (built if needed)
# Runs as root. Logs go to /var/log/slim-ENGINE.log. The default dockerd is scripts/start-dockerd.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache=${SLIM_CACHE:-/var/cache/slim}
log() { printf 'engines: %s\n' "$*" >&2; }
die() { printf 'engines: error: %s\n' "$*" >&2; exit 1; }

podman_sock=/run/podman/podman.sock
trixie_dir=/run/docker-trixie
trixie_sock=$trixie_dir/docker.sock
trixie_root=$cache/rootfs-trixie-docker

socket_of() {
  case "$1" in
    docker) echo /var/run/docker.sock ;;
    podman) echo "$podman_sock" ;;
    trixie) echo "$trixie_sock" ;;
    *) die "unknown engine \`$1\` (expected docker, podman or trixie)" ;;
  esac
}

answers() { curl -sf --max-time 3 --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1; }

wait_for() { # socket, log file, what
  for _ in $(seq 1 120); do
    if answers "$1"; then return 0; fi
    sleep 0.5
  done
  tail -n 20 "$2" >&2 || true
  die "$3 did not answer on $1 within 60 s; see $2"
}

mirror() {
  # The mirror apt already uses (deb822 or one-line format), else Debian's default.
  local m
  m=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -m1 '/debian/*$' || true)
  [ -n "$m" ] || m=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -m1 '/debian/*$' || true)
  echo "${m:-http://deb.debian.org/debian}"
}

install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update >/dev/null 2>&1 || log "apt-get update reported errors; continuing"
    apt-get install -y --no-install-recommends "${missing[@]}"
  }
}

start_podman() {
  answers "$podman_sock" && return 0
  install_packages podman runc curl
  # This machine kind lacks CAP_SYS_RESOURCE (Podman's default rlimits cannot be applied) and
  # crun refuses its hybrid cgroup layout: runc and lower ulimits, in a file of our own so the
  # system's containers.conf stays as it is.
  local conf=/etc/slim/podman-containers.conf logfile=/var/log/slim-podman.log
  mkdir -p /etc/slim "$(dirname "$podman_sock")"
  cat >"$conf.tmp" <<'EOF'
# Written by slim's scripts/engines.sh for the Podman service it starts (CONTAINERS_CONF).
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
  mv "$conf.tmp" "$conf"
  rm -f "$podman_sock"
  log "starting podman system service on $podman_sock (log: $logfile)"
  CONTAINERS_CONF=$conf nohup podman system service --time=0 "unix://$podman_sock" \
    >>"$logfile" 2>&1 </dev/null &
  wait_for "$podman_sock" "$logfile" "podman system service"
}

make_trixie_root() {
  [ -x "$trixie_root/usr/sbin/dockerd" ] && return 0
  install_packages debootstrap
  local dir="$trixie_root.tmp"
  rm -rf "$dir"
  mkdir -p "$cache"
  log "debootstrap minbase trixie + docker.io into $trixie_root (about 2 minutes, cached)"
  debootstrap --variant=minbase trixie "$dir" "$(mirror)" >"$cache/debootstrap-trixie.log" 2>&1 || {
    tail -n 20 "$cache/debootstrap-trixie.log" >&2; die "debootstrap trixie failed"; }
  echo "deb $(mirror) trixie main" >"$dir/etc/apt/sources.list"
  mount -t proc proc "$dir/proc"
  if ! chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update && apt-get install -y --no-install-recommends docker.io' \
    >>"$cache/debootstrap-trixie.log" 2>&1; then
    umount "$dir/proc"
    tail -n 20 "$cache/debootstrap-trixie.log" >&2
    die "installing docker.io in the trixie root failed"
  fi
  umount "$dir/proc"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  mkdir -p "$dir/oldroot" "$dir$trixie_dir"
  mv "$dir" "$trixie_root"
}

start_trixie() {
  answers "$trixie_sock" && return 0
  install_packages debootstrap util-linux curl
  make_trixie_root
  local logfile=/var/log/slim-trixie.log
  mkdir -p "$trixie_dir"
  rm -f "$trixie_sock"
  log "starting trixie's dockerd $(chroot "$trixie_root" dpkg-query -W -f='${Version}' docker.io) on $trixie_sock (log: $logfile)"
  # A private mount namespace whose root is the trixie tree (pivot_root, not chroot: under a
  # chroot `docker load` cannot remount / and runc falls back to chroot, so `docker exec` would
  # land in this host's root). Only the socket's directory is shared with the host.
  nohup unshare --mount --propagation private /bin/sh -ec '
    root=$1 sockdir=$2
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/run"
    mkdir -p "$root$sockdir" "$root/oldroot"
    mount --bind "$sockdir" "$root$sockdir"
    cd "$root"
    pivot_root . oldroot
    umount -l /oldroot
    exec /usr/sbin/dockerd --host "unix://$sockdir/docker.sock" --iptables=false \
      --ip6tables=false --bridge=none --userland-proxy=false
  ' sh "$trixie_root" "$trixie_dir" >>"$logfile" 2>&1 </dev/null &
  wait_for "$trixie_sock" "$logfile" "trixie's dockerd"
}

stop_engine() {
  local sock pid
  sock=$(socket_of "$1")
  [ "$1" != docker ] || die "the default dockerd is shared; stop it yourself if you mean it"
  # The process that listens on the socket.
  pid=$(ss -xlpn 2>/dev/null | awk -v s="$sock" '$5 == s {print}' | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$pid" ] || { log "$1 is not running"; return 0; }
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  die "$1 (pid $pid) did not stop within 30 s"
}

# Copies fixture images from the default dockerd to ENGINE, unless it has them with the same
# ID (the config's digest on every engine here).
copy_fixtures() {
  local engine=$1 sock name image want have
  shift
  sock=$(socket_of "$engine")
  for name in "$@"; do
    case "$name" in
      */*) image=$name ;;
      *:*) image=slim-fixture/$name ;;
      *) image=slim-fixture/$name:latest ;;
    esac
    want=$(DOCKER_HOST= docker image inspect -f '{{.Id}}' "$image" 2>/dev/null) ||
      die "no image \`$image\` on the default dockerd (run scripts/fixtures.sh first)"
    have=$(DOCKER_HOST=unix://$sock docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
    [ "$want" = "$have" ] && continue
    log "copying $image to $engine"
    DOCKER_HOST= docker save "$image" | DOCKER_HOST=unix://$sock docker load -q >/dev/null ||
      die "copying \`$image\` to $engine failed"
  done
}

case "${1:-}" in
  podman) start_podman ;;
  trixie) start_trixie ;;
  docker) "$here/start-dockerd.sh" ;;
  socket) echo "unix://$(socket_of "${2:?engine}")" ;;
  fixtures)
    engine=${2:?engine}
    shift 2
    "$0" "$engine"
    copy_fixtures "$engine" "$@" ;;
  stop) stop_engine "${2:?engine}" ;;
  test-setup)
    engine=${2:?engine}
    shift 2
    selected=${SLIM_TEST_ENGINES:-all}
    if [ "$selected" != all ] && [[ ",$selected," != *",$engine,"* ]]; then
      log "$engine is not in SLIM_TEST_ENGINES=$selected: its tests are skipped"
      exit 0
    fi
    "$0" "$engine" || die "cannot start $engine for its integration tests (see above)"
    names=()
    for n in "$@"; do [[ "$n" == *:* ]] || names+=("$n"); done
    if ((${#names[@]})); then
      DOCKER_HOST= "$here/fixtures.sh" "${names[@]}"
    fi
    copy_fixtures "$engine" "$@"
    log "$engine answers on $(socket_of "$engine") with the fixtures $*" ;;
  *) die "usage: engines.sh podman|trixie|docker | socket ENGINE | fixtures ENGINE NAME... | stop ENGINE | test-setup ENGINE NAME..." ;;
esac
