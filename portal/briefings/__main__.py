"""``python -m portal.briefings verify FILE.pdf [--keys keys.json]``

Tells whether FILE.pdf is an unaltered briefing made by an Ischia portal, and for whom. With
``--keys`` (the portal's /bulletins/keys.json) it runs offline, with no database and no
secret; without it, it uses the keys of the portal configured by the environment.
Exit status: 0 verified, 1 not verified, 2 usage or file error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from portal.services.briefings.signing import (
    NotAKeyDirectory,
    NotVerified,
    Verdict,
    key_directory,
    verify_pdf,
)


def _report(verdict: Verdict, out: TextIO) -> None:
    claims = verdict.claims
    out.write(
        "VERIFIED: an unaltered Ischia briefing\n"
        f"  copy:            {verdict.copy_id}\n"
        f"  made for:        {claims.get('prepared_for')} ({claims.get('org')})\n"
        f"  made at:         {claims.get('created_at')}\n"
        f"  marking:         {claims.get('marking')}\n"
        f"  pages:           {claims.get('pages')}, from {claims.get('bulletins')} bulletins\n"
        f"  content SHA-256: {claims.get('content_sha256')}\n"
        f"  signed by:       {verdict.org} key v{verdict.key_version}\n"
        f"  fingerprint:     {verdict.fingerprint}\n"
    )


def _portal_verdict(data: bytes) -> Verdict:
    from portal import create_app
    from portal.services.briefings.signing import verify_with_portal_keys

    with create_app().app_context():
        return verify_with_portal_keys(data)


def main(
    argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m portal.briefings")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check a briefing PDF's signature")
    verify.add_argument("pdf", help="the briefing PDF")
    verify.add_argument("--keys", help="public key directory (JSON), for offline checks")
    args = parser.parse_args(argv)
    try:
        data = Path(args.pdf).read_bytes()
        keys = key_directory(Path(args.keys).read_bytes()) if args.keys else None
    except OSError as error:
        err.write(f"error: cannot read {error.filename}: {error.strerror}\n")
        return 2
    except NotAKeyDirectory as error:
        err.write(f"error: --keys is not a public key directory: {error}\n")
        return 2
    try:
        verdict = verify_pdf(data, keys) if keys is not None else _portal_verdict(data)
    except NotVerified as error:
        out.write(f"NOT VERIFIED: {error}\n")
        return 1
    _report(verdict, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
