"""Mutation scores of the security checks, from mutmut's results in mutants/ (bench/mutation.sh).

Prints killed/total per module for the functions in SECURITY_CHECKS, and the survivors by name;
``--names`` prints only the globs, for ``mutmut run``.
"""

from __future__ import annotations

import argparse
import collections
import fnmatch
import json
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

# mutmut's names: module.x_function or module.xǁClassǁmethod, then __mutmut_N.
SECURITY_CHECKS = [
    "crypto.statement.x_verify_statement__*",
    "crypto.statement.x__message__*",
    "crypto.statement.xǁSignedStatementǁsigned_bytes__*",
    "crypto.verify.x*",  # the whole module: envelope, grant and re-wrap verification
    # The opening side of sealing: unwrap, derive, decrypt, verify (not seal itself).
    "crypto.sealing.x_open_envelope__*",
    "crypto.sealing.x__wrap_info__*",
    "crypto.sealing.x_unwrap_content_key__*",
    "crypto.sealing.x_keyring_of__*",
    "crypto.sealing.x__body_key__*",
    "crypto.sealing.x__attachment_key__*",
    "crypto.sealing.xǁOpenedǁ*",
    # The portal's one way to open a bulletin: the envelope, then the clear listing columns.
    "portal.services.bulletins.reading.x__check_listing__*",
    "portal.services.bulletins.reading.x__open_envelope__*",
    "portal.services.bulletins.reading.x_open_bulletin__*",
    "crypto.chain.x_link__*",
    "crypto.chain.x_find_break__*",
    "crypto.chain.x__statement__*",
    "crypto.chain.x_verify_checkpoint__*",
    "portal.services.briefings.signing.x_verify_pdf__*",
    "portal.services.briefings.signing.x__statement_text__*",
    "portal.services.briefings.signing.x_key_directory__*",
    "portal.services.audit.x__first_break__*",
    "portal.services.audit.x_verify_chain__*",
    "portal.services.audit.x_check_against_checkpoint__*",
    "portal.access.x*",  # the whole module: rules, decorators, enforcement
    "portal.token_auth.x*",  # the whole module: bearer tokens of the API and TAXII
    "portal.services.accounts.api_tokens.x__hash__*",
    "portal.services.accounts.api_tokens.x_authenticate__*",
    "portal.services.accounts.api_tokens.x_revoke__*",
    "portal.services.accounts.api_tokens.x_revoke_all__*",
]

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", None: "not run"}


def results() -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for meta in (REPOSITORY / "mutants").glob("**/*.py.meta"):
        found.update(json.loads(meta.read_text())["exit_code_by_key"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--names", action="store_true", help="print the globs and stop")
    args = parser.parse_args()
    if args.names:
        print(" ".join(SECURITY_CHECKS))
        return
    per_module: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    survivors = []
    for name, code in sorted(results().items()):
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in SECURITY_CHECKS):
            continue
        module = name.split(".x")[0]
        status = STATUS.get(code, "other")  # timeouts and crashes count as "other"
        per_module[module][status] += 1
        if status != "killed":
            survivors.append(f"  {status:9} {name}")
    total = collections.Counter[str]()
    print(f"{'module':40} {'killed/total':>13} {'score':>6}  (survived, no tests, not run, other)")
    for module, counts in sorted(per_module.items()):
        total.update(counts)
        n = sum(counts.values())
        print(
            f"{module:40} {counts['killed']:>6}/{n:<6} {counts['killed'] / n:>6.0%}  "
            f"({counts['survived']}, {counts['no tests']}, {counts['not run']}, {counts['other']})"
        )
    n = sum(total.values())
    if n:
        print(f"{'all':40} {total['killed']:>6}/{n:<6} {total['killed'] / n:>6.0%}")
    print("not killed:")
    print("\n".join(survivors) or "  none")


if __name__ == "__main__":
    main()
