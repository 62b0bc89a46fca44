#!/usr/bin/env bash
# Starts dockerd (no iptables, no bridge: this machine has neither) unless its socket answers.
set -euo pipefail
sock=/var/run/docker.sock
logfile=${SLIM_DOCKERD_LOG:-/var/log/slim-dockerd.log}
answers() { curl -sf --max-time 3 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }
if answers; then exit 0; fi
echo "setup: starting dockerd (log: $logfile)" >&2
# Clean a stale pid file left by a daemon that died.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi
nohup dockerd --iptables=false --bridge=none >>"$logfile" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if answers; then exit 0; fi
  sleep 0.5
done
echo "setup: error: dockerd did not answer on $sock within 30 s; see $logfile" >&2
tail -n 20 "$logfile" >&2 || true
exit 1
