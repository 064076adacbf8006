"""Matching against the banks a reader may read: PDQ within a Hamming distance, MD5 and
SHA-256 exactly.

Each process keeps one :class:`~portal.services.hashbanks.pdq_index.PdqIndex` per bank (in
the application's extensions), built on first use and brought up to date from the bank's
changes whenever its change counter has moved: additions and removals since the number the
index was built at are applied, not the whole bank read again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import HashBank, HashEntry, HashKind
from portal.services.errors import InvalidInput
from portal.services.hashbanks import banks, pdq_index
from portal.services.hashbanks.hashing import ImageHashes, check_hash, hash_image
from portal.services.principals import Reader

MAX_QUERIES = 1000
_KEY = "ischia.pdq_indexes"


@dataclass
class _Cached:
    counter: int
    index: pdq_index.PdqIndex


@dataclass
class _Indexes:
    lock: threading.Lock = field(default_factory=threading.Lock)
    banks: dict[int, _Cached] = field(default_factory=dict)


@dataclass(frozen=True)
class Match:
    entry: banks.EntryView
    bank_name: str
    distance: int


@dataclass(frozen=True)
class MatchResult:
    """The matches of one query: a PDQ hash, or an exact MD5/SHA-256."""

    kind: str
    value: str
    matches: list[Match]
    quality: int | None = None  # of an uploaded image's PDQ
    low_quality: bool = False


def _indexes() -> _Indexes:
    found: _Indexes = current_app.extensions.setdefault(_KEY, _Indexes())
    return found


def _words(values: Sequence[str]) -> pdq_index.Words:
    return pdq_index.parse_hex(values)


def _refresh(session: Session, bank_id: int, counter: int, cache: _Indexes) -> pdq_index.PdqIndex:
    """The bank's index as of ``counter`` (the caller holds the lock)."""
    cached = cache.banks.get(bank_id)
    if cached is not None and cached.counter == counter:
        return cached.index
    query = select(HashEntry.id, HashEntry.value, HashEntry.removed_at).where(
        HashEntry.bank_id == bank_id, HashEntry.kind == HashKind.PDQ.value
    )
    if cached is None:
        rows = session.execute(query.where(HashEntry.removed_at.is_(None))).all()
        index = pdq_index.PdqIndex(_words([r[1] for r in rows]), [r[0] for r in rows])
    else:
        index = cached.index
        rows = session.execute(query.where(HashEntry.change_seq > cached.counter)).all()
        index.remove([r[0] for r in rows if r[2] is not None])
        added = [r for r in rows if r[2] is None]
        if added:
            index.add(_words([r[1] for r in added]), [r[0] for r in added])
    cache.banks[bank_id] = _Cached(counter, index)
    return index


def _readable(session: Session, reader: Reader) -> dict[int, tuple[str, int]]:
    """Name and change counter of each bank ``reader`` may read, in one query."""
    rows = session.execute(
        select(HashBank.id, HashBank.name, HashBank.change_counter).where(
            banks.readable(reader.org_id)
        )
    )
    return {bank_id: (name, counter) for bank_id, name, counter in rows}


def radius() -> int:
    configured = int(current_app.config["HASH_MATCH_DISTANCE"])
    return max(0, min(configured, pdq_index.MAX_RADIUS))


def _pdq_matches(
    session: Session, readable: dict[int, tuple[str, int]], queries: Sequence[str]
) -> list[list[tuple[int, int]]]:
    """``(entry id, distance)`` per query, over the ``readable`` banks."""
    found: list[list[tuple[int, int]]] = [[] for _ in queries]
    if not readable or not queries:
        return found
    words = _words(queries)
    cache = _indexes()
    with cache.lock:
        for bank_id, (_name, counter) in sorted(readable.items()):
            index = _refresh(session, bank_id, counter, cache)
            for q, matches in enumerate(index.search(words, radius())):
                found[q].extend((m.id, m.distance) for m in matches)
    return found


def _entries(session: Session, reader: Reader, ids: set[int]) -> dict[int, banks.EntryView]:
    if not ids:
        return {}
    rows = list(
        session.scalars(
            select(HashEntry).where(HashEntry.id.in_(ids), HashEntry.removed_at.is_(None))
        )
    )
    return {view.id: view for view in banks.entry_views(session, reader.org_id, rows)}


def _exact(session: Session, ids: list[int], kind: HashKind, value: str) -> list[HashEntry]:
    if not ids:
        return []
    return list(
        session.scalars(
            select(HashEntry)
            .where(
                HashEntry.kind == kind.value,
                HashEntry.value == value,
                HashEntry.bank_id.in_(ids),
                HashEntry.removed_at.is_(None),
            )
            .order_by(HashEntry.id)
        )
    )


def match(
    reader: Reader,
    *,
    pdq: Sequence[str] = (),
    md5: Sequence[str] = (),
    sha256: Sequence[str] = (),
    image: ImageHashes | None = None,
) -> list[MatchResult]:
    """Every live entry of a readable bank within the configured distance of each PDQ hash
    (closest first), and the exact MD5/SHA-256 entries; an image counts for all three."""
    banks.require_bank_role(reader)
    checked = {
        HashKind.PDQ: [check_hash(HashKind.PDQ, v, "pdq") for v in pdq],
        HashKind.MD5: [check_hash(HashKind.MD5, v, "md5") for v in md5],
        HashKind.SHA256: [check_hash(HashKind.SHA256, v, "sha256") for v in sha256],
    }
    if image is not None:
        checked[HashKind.PDQ].append(image.pdq)
        checked[HashKind.MD5].append(image.md5)
        checked[HashKind.SHA256].append(image.sha256)
    total = sum(len(v) for v in checked.values())
    if total == 0:
        raise InvalidInput(gettext("Give a PDQ, MD5 or SHA-256 hash, or an image."), field="pdq")
    if total > MAX_QUERIES:
        raise InvalidInput(
            gettext("At most %(most)s hashes at once.", most=MAX_QUERIES), field="pdq"
        )
    session = db.session()
    readable = _readable(session, reader)
    names = {bank_id: name for bank_id, (name, _c) in readable.items()}
    pdq_found = _pdq_matches(session, readable, checked[HashKind.PDQ])
    exact = {
        (kind, value): _exact(session, sorted(readable), kind, value)
        for kind in (HashKind.MD5, HashKind.SHA256)
        for value in checked[kind]
    }
    wanted = {entry_id for matches in pdq_found for entry_id, _d in matches}
    wanted |= {e.id for rows in exact.values() for e in rows}
    views = _entries(session, reader, wanted)
    results = []
    for value, matches in zip(checked[HashKind.PDQ], pdq_found, strict=True):
        is_image = image is not None and value == image.pdq
        results.append(
            MatchResult(
                kind=HashKind.PDQ.value,
                value=value,
                matches=[
                    Match(views[i], names[views[i].bank_id], d)
                    for i, d in sorted(matches, key=lambda m: (m[1], m[0]))
                    if i in views
                ],
                quality=image.quality if is_image and image else None,
                low_quality=bool(is_image and image and image.low_quality),
            )
        )
    for (kind, value), rows in exact.items():
        results.append(
            MatchResult(
                kind=kind.value,
                value=value,
                matches=[Match(views[e.id], names[e.bank_id], 0) for e in rows if e.id in views],
            )
        )
    return results


def match_image(reader: Reader, data: bytes, field: str = "image") -> list[MatchResult]:
    """Hash an uploaded image in memory (never stored) and match it."""
    banks.require_bank_role(reader)
    return match(reader, image=hash_image(data, field))
