"""``python -m crypto``: check and open exported envelopes offline, without the portal.

``verify`` needs only the envelope and a directory of public bundles; ``open`` also needs the
reader's private bundle (or a JSON array of its versions). Exit status: 0 when the envelope is
valid (and opened), 1 when it is not, 2 for usage and file errors.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from crypto.canonical import format_time, parse_time, strict_loads
from crypto.envelope_format import Envelope
from crypto.errors import EnvelopeError, TamperedEnvelope
from crypto.keys import Directory, PrivateBundle, PublicBundle, format_fingerprint
from crypto.sealing import open_envelope
from crypto.verify import Verification, verify_envelope

__all__ = ["main"]

_READ_CHUNK = 1 << 20


class UsageError(Exception):
    """A file is missing or unreadable, or an argument is malformed."""


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _load_keyring(path: str) -> list[PrivateBundle]:
    text = _read(path)
    doc = strict_loads(text, "private key file")
    if isinstance(doc, list):
        return [PrivateBundle.from_dict(item) for item in doc]
    return [PrivateBundle.from_dict(doc)]


def _time(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    return parse_time(text, "--at")


def _print_report(verification: Verification, directory: Directory, out: TextIO) -> None:
    header = verification.header
    sender = verification.sender
    print(f"envelope    {header.envelope_id}", file=out)
    print(f"suite       {header.suite}", file=out)
    print(f"marking     {header.marking}", file=out)
    expires = "never" if header.expires_at is None else format_time(header.expires_at)
    print(f"created     {format_time(header.created_at)}   expires {expires}", file=out)
    print(f"sender      {sender.org} v{sender.version}  {sender.fingerprint_text}", file=out)
    print("signatures  Ed25519 valid, ML-DSA-65 valid", file=out)
    print("recipients", file=out)
    for entry in header.recipients:
        print(
            f"  {entry.org} v{entry.key_version}  {format_fingerprint(entry.fingerprint)}"
            f"{_known(directory, entry.org, entry.key_version, entry.fingerprint)}",
            file=out,
        )
    print("content keys held", file=out)
    if verification.shredded:
        print("  none: the envelope was shredded", file=out)
    for access in verification.access:
        known = _known(directory, access.org, access.key_version, access.fingerprint)
        print(
            f"  {access.org} v{access.key_version}  {format_fingerprint(access.fingerprint)}"
            f"  ({access.via}){known}",
            file=out,
        )
    for index, attachment in enumerate(header.attachments):
        print(
            f"attachment  #{index}: {attachment.length} bytes in {attachment.chunks} chunk(s)",
            file=out,
        )
    for name, value in sorted(header.fields.items()):
        print(f"field       {name} = {value!r}", file=out)


def _known(directory: Directory, org: str, version: int, fingerprint: bytes) -> str:
    try:
        bundle = directory.public_bundle(org, version)
    except EnvelopeError:
        return "  (not in the directory)"
    return "" if bundle.fingerprint == fingerprint else "  (DIRECTORY KEY DIFFERS)"


def _check_attachment(envelope: Envelope, index: int, path: str) -> None:
    entries = envelope.header.attachments
    if not 0 <= index < len(entries):
        raise UsageError(f"the envelope has {len(entries)} attachment(s), no #{index}")
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if digest.digest() != entries[index].sha256:
        raise TamperedEnvelope(f"attachment #{index} ({path}) is not the one the sender signed")


def _verify(args: argparse.Namespace, out: TextIO) -> int:
    envelope = Envelope.from_json(_read(args.envelope))
    directory = Directory.from_json(_read(args.directory))
    verification = verify_envelope(envelope, directory)
    for index, path in args.attachment or ():
        _check_attachment(envelope, int(index), path)
    _print_report(verification, directory, out)
    if verification.is_expired(_time(args.at)):
        print("status      VALID, but EXPIRED", file=out)
    else:
        print("status      VALID", file=out)
    return 0


def _open(args: argparse.Namespace, out: TextIO) -> int:
    envelope = Envelope.from_json(_read(args.envelope))
    directory = Directory.from_json(_read(args.directory))
    keyring = _load_keyring(args.private_bundle)
    opened = open_envelope(envelope, recipient=keyring, directory=directory, now=_time(args.at))
    for index, source, target in args.attachment or ():
        try:
            with open(source, "rb") as src, open(target + ".partial", "wb") as dst:
                opened.save_attachment(int(index), src, dst)
        except OSError as exc:
            raise UsageError(f"attachment #{index}: {exc.strerror}") from None
        except EnvelopeError:
            Path(target + ".partial").unlink(missing_ok=True)
            raise
        Path(target + ".partial").replace(target)
    if args.output in (None, "-"):
        sys.stdout.buffer.write(opened.payload)
        sys.stdout.buffer.flush()
    else:
        Path(args.output).write_bytes(opened.payload)
        print(f"opened envelope {envelope.id}: {len(opened.payload)} bytes", file=out)
    return 0


def _fingerprint(args: argparse.Namespace, out: TextIO) -> int:
    text = _read(args.bundle)
    doc = strict_loads(text, "key bundle")
    if isinstance(doc, dict) and "seed" in doc:
        bundle = PrivateBundle.from_dict(doc).public
    else:
        bundle = PublicBundle.from_dict(doc)
    print(f"{bundle.org} v{bundle.version}  created {format_time(bundle.created_at)}", file=out)
    print(bundle.fingerprint_text, file=out)
    print(f"sha256 {bundle.fingerprint_hex}", file=out)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crypto", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check an envelope's signatures, no private key")
    verify.add_argument("envelope", help="exported envelope (JSON)")
    verify.add_argument("--directory", required=True, help="public key bundles (JSON)")
    verify.add_argument(
        "--attachment", nargs=2, action="append", metavar=("INDEX", "CIPHERTEXT"),
        help="also check an attachment's ciphertext file against the signed digest",
    )  # fmt: skip
    verify.add_argument("--at", help="judge expiry at this UTC time (YYYY-MM-DDTHH:MM:SSZ)")
    opener = commands.add_parser("open", help="verify, then decrypt with a private bundle")
    opener.add_argument("envelope", help="exported envelope (JSON)")
    opener.add_argument("--directory", required=True, help="public key bundles (JSON)")
    opener.add_argument(
        "--private-bundle", required=True,
        help="the reader's private bundle, or a JSON array of its versions (SECRET)",
    )  # fmt: skip
    opener.add_argument("--output", help="write the payload here (default: standard output)")
    opener.add_argument(
        "--attachment", nargs=3, action="append", metavar=("INDEX", "CIPHERTEXT", "OUTPUT"),
        help="also decrypt an attachment",
    )  # fmt: skip
    opener.add_argument("--at", help="judge expiry at this UTC time (YYYY-MM-DDTHH:MM:SSZ)")
    fingerprint = commands.add_parser("fingerprint", help="show a key bundle's fingerprint")
    fingerprint.add_argument("bundle", help="a public or private bundle (JSON)")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    out = out or (
        sys.stderr if args.command == "open" and args.output in (None, "-") else sys.stdout
    )
    command = {"verify": _verify, "open": _open, "fingerprint": _fingerprint}[args.command]
    try:
        return command(args, out)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EnvelopeError as exc:
        print(f"INVALID: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
