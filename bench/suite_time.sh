#!/usr/bin/env bash
# The whole test suite's wall time and line coverage at one or more commits, back to back.
#
#   bench/suite_time.sh COMMIT [COMMIT ...]
#
# Each commit is checked out into a temporary worktree and its own pytest configuration runs
# there exactly as `make test` runs it (SQLite, PostgreSQL and Chromium; the services as
# .ci/run starts them; in parallel workers when its Makefile says so), with pytest-cov over
# portal, crypto and graph. It prints, per commit:
# tests passed, pytest's wall time in seconds, and the coverage total. Uses this checkout's
# .venv (made by `make test`), which must have pytest-cov and whatever the newest commit needs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ $# -ge 1 ] || { echo "usage: bench/suite_time.sh COMMIT [COMMIT ...]" >&2; exit 2; }
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
out=$(mktemp -d /tmp/ischia-suite-time.XXXXXX)
printf '%-12s %8s %10s %9s %s\n' commit passed wall_s coverage load_start
for commit in "$@"; do
  tree="$out/$commit"
  git -C "$repo" worktree add -q --detach "$tree" "$commit"
  mkdir -p "$tree/portal/static/vendor"
  ln -s "$repo/portal/static/vendor/node_modules" "$tree/portal/static/vendor/node_modules"
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s)
  # The commit's own parallelism: what its Makefile's test target gives pytest (-n ...).
  parallel=$(grep -Eo -- '-n [a-z0-9]+ --dist [a-z]+' "$tree/Makefile" | head -n 1 || true)
  # shellcheck disable=SC2086
  (cd "$tree" && "$repo/.venv/bin/pytest" -p no:cacheprovider -q $parallel \
    --cov=portal --cov=crypto --cov=graph --cov-report=term >"$out/$commit.log" 2>&1) || true
  wall=$(( $(date +%s) - start ))
  passed=$(grep -Eo '[0-9]+ passed' "$out/$commit.log" | tail -n 1 | cut -d' ' -f1)
  failed=$(grep -Eo '[0-9]+ failed' "$out/$commit.log" | tail -n 1 | cut -d' ' -f1 || true)
  cover=$(awk '/^TOTAL/ {print $NF}' "$out/$commit.log" | tail -n 1)
  printf '%-12s %8s %10s %9s %s%s\n' "${commit:0:12}" "${passed:-0}" "$wall" "${cover:-?}" \
    "$load" "${failed:+  ($failed failed)}"
  git -C "$repo" worktree remove --force "$tree"
done
echo "logs: $out"
