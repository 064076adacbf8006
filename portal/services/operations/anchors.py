"""Signed checkpoints of the audit chain's head, kept outside the database.

Anyone with write access to the database can delete the newest audit records and roll the head
back, or recompute the whole chain: the chain alone still verifies. A checkpoint (sequence,
head hash, time) signed with keys derived from the master key, and stored where the database's
users cannot reach (``CHECKPOINT_DIR``, which operators put on other storage), catches both:
the record it vouches for is gone, or has another hash. The portal signs one at least every
``CHECKPOINT_INTERVAL`` (``flask audit checkpoint`` from cron, or ``flask worker``), member
organisations' admins download them, and ``flask audit verify`` checks the chain against every
one stored and every one it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext

from crypto.chain import Checkpoint, CheckpointError, verify_checkpoint
from portal import vault
from portal.models import utcnow
from portal.services import audit
from portal.services.errors import InvalidInput, NotFound
from portal.services.operations.durable import write_durably

_NAME = re.compile(r"^checkpoint-(\d{12})-(\d{8}T\d{6}Z)\.json$")


def directory() -> Path:
    return Path(current_app.config["CHECKPOINT_DIR"])


@dataclass(frozen=True)
class Stored:
    """One checkpoint file: its name, and the checkpoint (None if it is malformed)."""

    name: str
    checkpoint: Checkpoint | None
    text: str


def anchor() -> tuple[Checkpoint, Path]:
    """Sign the current head and store it durably in the checkpoint directory."""
    point = audit.checkpoint()
    folder = directory()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(point.at).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"checkpoint-{point.seq:012d}-{stamp}.json"
    write_durably(path, (point.to_json() + "\n").encode(), mode=0o644)
    return point, path


def stored() -> list[Stored]:
    """Every checkpoint file in the directory, oldest first (by sequence, then time)."""
    folder = directory()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(p for p in folder.iterdir() if _NAME.match(p.name)):
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            point: Checkpoint | None = Checkpoint.from_json(text)
        except CheckpointError:
            point = None
        found.append(Stored(path.name, point, text))
    return found


def newest() -> Checkpoint | None:
    points = [s.checkpoint for s in stored() if s.checkpoint is not None]
    return max(points, key=lambda p: p.at) if points else None


def due() -> bool:
    """True when no checkpoint was signed within ``CHECKPOINT_INTERVAL``."""
    last = newest()
    if last is None:
        return True
    interval: timedelta = current_app.config["CHECKPOINT_INTERVAL"]
    return utcnow() - datetime.fromisoformat(last.at) >= interval


def anchor_if_due() -> Checkpoint | None:
    return anchor()[0] if due() else None


def read(name: str) -> str:
    """One stored checkpoint's text, by file name (only names this module writes)."""
    if not _NAME.match(name) or not (directory() / name).is_file():
        raise NotFound(gettext("No such checkpoint."))
    return (directory() / name).read_text(encoding="utf-8")


def check(text: str, source: str) -> str | None:
    """A problem with the log, or with the checkpoint ``text`` from ``source``, or None.

    A checkpoint that does not verify under this portal's checkpoint keys is refused with the
    reason: it vouches for nothing.
    """
    try:
        return audit.check_against_checkpoint(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{source}: {exc.message}", field="checkpoint") from exc


def check_stored() -> list[str]:
    """Problems found against every stored checkpoint (a bad file is itself a problem)."""
    problems = []
    for item in stored():
        try:
            found = check(item.text, f"stored checkpoint {item.name}")
        except InvalidInput as exc:
            problems.append(exc.message)
            continue
        if found:
            problems.append(found)
    return problems


def public_keys() -> tuple[bytes, bytes]:
    """The (Ed25519, ML-DSA-65) keys that sign this portal's checkpoints."""
    return vault.checkpoint_signer().public_keys


def verify_text(text: str) -> Checkpoint:
    """Parse and verify a checkpoint under this portal's keys (InvalidInput if it fails)."""
    try:
        point = Checkpoint.from_json(text)
        verify_checkpoint(point, public_keys())
    except CheckpointError as exc:
        raise InvalidInput(str(exc), field="checkpoint") from exc
    return point
