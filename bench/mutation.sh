#!/usr/bin/env bash
# Mutation testing of the security checks with mutmut (config: [tool.mutmut] in pyproject.toml),
# then their scores: killed/total per module, and every mutant not killed.
#
#   bench/mutation.sh            # run the security checks' mutants, then print the scores
#   bench/mutation.sh --scores   # print the scores of the last run only
#   bench/mutation.sh NAME...    # run only these mutants (mutmut names or globs), then the scores
#
# SQLite only (TEST_DATABASE_URL is unset) and only the test modules listed in pyproject.toml;
# niced, two children. Results stay in mutants/ (ignored by git); `mutmut show NAME` shows a
# mutant's diff. Not part of `make test`: a full run takes most of an hour on two shared cores.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
[ -x "$BIN/mutmut" ] || BIN=/work/main/.venv/bin
if [ "${1:-}" != "--scores" ]; then
    if [ $# -gt 0 ]; then names=("$@"); else read -r -a names <<<"$("$BIN/python" bench/mutation_scores.py --names)"; fi
    env -u TEST_DATABASE_URL TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}" \
        nice -n 10 "$BIN/mutmut" run --max-children "${MUTMUT_CHILDREN:-2}" "${names[@]}" \
        | tr '\r' '\n' | grep -v '^⠋\|^⠙\|^⠹\|^⠸\|^⠼\|^⠴\|^⠦\|^⠧\|^⠇\|^⠏' | tail -n 5 || true
fi
"$BIN/python" bench/mutation_scores.py
