#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine as root: set-up (packages, dockerd,
# fixture images), build slim, then slim an example image (nginx-light serving a static site)
# and show the result.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/fixtures.sh" nginx
"$root/scripts/build.sh" >/dev/null
slim="${SLIM_BUILD_DIR:-$root/build}/src/slim"
image=slim-fixture/nginx:latest
out=$(mktemp -d /tmp/slim-demo.XXXXXX)
trap 'rm -rf "$out"' EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
step slim version
"$slim" version
if "$slim" --help 2>&1 | grep -q '^ *xray'; then
  step slim xray $image
  "$slim" xray "$image" | head -n 40
fi
if "$slim" --help 2>&1 | grep -q '^ *build'; then
  step slim build --http-probe-cmd "'GET /'" --tag slim-demo/nginx:slim $image
  "$slim" build --http-probe-cmd 'GET /' --tag slim-demo/nginx:slim \
    --report "$out/slim.report.json" --seccomp-profile "$out/nginx-seccomp.json" "$image"
  step docker images: before and after
  docker image ls --format 'table {{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E 'REPOSITORY|nginx'
  step the slim image serves the same page under the generated seccomp profile
  cid=$(docker run -d --network none --security-opt "seccomp=$out/nginx-seccomp.json" slim-demo/nginx:slim)
  sidecar=$(docker images slim-sidecar --format '{{.Repository}}:{{.Tag}}' | head -n1)
  docker run --rm --network "container:$cid" "$sidecar" probe http://127.0.0.1:80/ --retries 20 --retry-delay 0.5
  docker rm -f "$cid" >/dev/null
  step the report: what was kept and why '(first lines)'
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); [print(p["path"], "-", p.get("why","")) for p in r["paths"][:15]]' "$out/slim.report.json" 2>/dev/null || head -c 1500 "$out/slim.report.json"
fi
