#!/usr/bin/env bash
# Issue 2 figure: seconds from a fresh clone to the first page served by `make demo`.
#
#   bench/demo_time.sh [RUNS]      (default 3; prints each run and the median)
#
# Each run clones this repository's committed HEAD into a temporary directory, runs `make demo`
# there (new .venv, install, migrate, seed, serve) and polls http://127.0.0.1:5000/login until it
# answers 200, then stops the server and deletes the clone. pip's cache is used, so downloads are
# excluded where cached. Port 5000 must be free. Every wait is bounded.
set -euo pipefail

source_repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-3}"
url="http://127.0.0.1:5000/login"
limit_seconds=900

if curl -s -o /dev/null --max-time 2 "$url"; then
  echo "something already answers on $url: stop it first" >&2
  exit 1
fi

server_pid=""
workdir=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    # make runs in its own process group (setsid): end make, flask and the reloader together.
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  if [ -n "$workdir" ]; then rm -rf "$workdir"; fi
  workdir=""
}
trap stop_server EXIT

echo "make demo from a fresh clone of $(git -C "$source_repo" rev-parse --short HEAD)" \
  "on $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p'))"
results=()
for run in $(seq 1 "$runs"); do
  workdir="$(mktemp -d /tmp/ischia-demo-XXXXXX)"
  started=$(date +%s.%N)
  git clone --quiet "$source_repo" "$workdir/ischia"
  (cd "$workdir/ischia" && exec setsid make demo >"$workdir/demo.log" 2>&1) &
  server_pid=$!
  status=""
  while :; do
    status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)"
    [ "$status" = "200" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "run $run: make demo exited before serving; its log:" >&2
      tail -n 30 "$workdir/demo.log" >&2
      exit 1
    fi
    if [ "$(echo "$(date +%s.%N) - $started > $limit_seconds" | bc)" = 1 ]; then
      echo "run $run: no page after $limit_seconds s" >&2
      exit 1
    fi
    sleep 0.2
  done
  elapsed="$(echo "$(date +%s.%N) - $started" | bc)"
  grep -q "Ischia demo passphrase" "$workdir/demo.log" || {
    echo "run $run: make demo did not print the demo logins" >&2
    exit 1
  }
  printf 'run %d: %.1f s to the first page (HTTP %s)\n' "$run" "$elapsed" "$status"
  results+=("$elapsed")
  stop_server
done

printf '%s\n' "${results[@]}" | sort -n | awk '
  { v[NR] = $1 }
  END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
        printf "median of %d runs: %.1f s (min %.1f, max %.1f)\n", NR, m, v[1], v[NR] }'
