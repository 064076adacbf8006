"""Titles of inbox rows: each opened and verified with the reader's organisation's key ring,
and kept in a bounded in-process cache so a page of 50 does not cost 50 envelope openings.

The cache lives in process memory only (never on disk, never in the database) and is keyed by
bulletin id, reader organisation and a SHA-256 over everything the verification read: header,
signature, content ciphertext, key records, the wrapped keys of every recipient (verification
checks them all, not only the reader's) and the clear listing columns. A changed byte in any of
them is a new key, so the row is verified afresh and shows "failed verification"; a title is
never served for bytes that were not verified.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from portal.models import Bulletin, BulletinKey, BulletinState, Organisation
from portal.services.bulletins import reading
from portal.services.bulletins.grading import Handling

CACHE_SIZE = 4096
_EXTENSION = "ischia.inbox_titles"

__all__ = ["CACHE_SIZE", "RowTitle", "TitleCache", "titles_for"]


@dataclass(frozen=True)
class RowTitle:
    """A row's title, or why there is none: ``verified``, ``failed``, ``expired``, ``ended``."""

    text: str | None
    status: str
    grading: str | None = None  # the compact code, "B2 · H2"; None when not graded

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def passing_on(self) -> str | None:
        """For H2 and H3, what someone about to pass the bulletin on must know."""
        code = (self.grading or "").rpartition(" ")[2]
        if code not in (Handling.H2.value, Handling.H3.value):
            return None
        meaning = Handling(code).meaning
        if code == Handling.H3.value:
            return str(
                gettext(
                    "%(code)s: %(meaning)s: read them on the bulletin.", code=code, meaning=meaning
                )
            )
        return str(gettext("%(code)s: %(meaning)s.", code=code, meaning=meaning))


@dataclass(frozen=True)
class _Verified:
    title: str
    expires_at: datetime | None  # from the signed header
    grading: str | None = None


class TitleCache:
    """A thread-safe LRU map of verified titles."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str, bytes], _Verified] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, bytes]) -> _Verified | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple[str, str, bytes], item: _Verified) -> None:
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def title_cache() -> TitleCache:
    cache = current_app.extensions.get(_EXTENSION)
    if cache is None:
        cache = current_app.extensions[_EXTENSION] = TitleCache()
    return cache


def _digest(bulletin: Bulletin, sender: Organisation, keys: Sequence[BulletinKey]) -> bytes:
    digest = hashlib.sha256()
    parts: list[bytes] = [
        bulletin.header,
        bulletin.signature.encode(),
        bulletin.content or b"",
        bulletin.key_records.encode(),
        bulletin.category.encode(),
        bulletin.marking.encode(),
        bulletin.state.encode(),
        sender.code.encode(),
    ]
    ordered = sorted(keys, key=lambda k: (k.org_code, k.key_version))
    parts += [f"{k.org_code}/{k.key_version}".encode() + b"\x00" + k.enc for k in ordered]
    for part in parts:
        # Length-prefixed, so no two different sequences of parts hash alike.
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()


# What a row says when its bulletin does not open.
_UNOPENED_STATUS = {
    reading.Unopened.ENDED: "ended",
    reading.Unopened.SHREDDED: "ended",
    reading.Unopened.EXPIRED: "expired",
    reading.Unopened.TAMPERED: "failed",
}


def _open(
    session: Session, org_code: str, bulletin: Bulletin, now: datetime
) -> tuple[RowTitle, _Verified | None]:
    opened = reading.open_bulletin(session, org_code, bulletin, now=now)
    if isinstance(opened, reading.Unopened):
        return RowTitle(None, _UNOPENED_STATUS[opened]), None
    title = opened.content.title
    grading = opened.content.grading.code if opened.content.grading else None
    expires = opened.envelope.header.expires_at
    return RowTitle(title, "verified", grading), _Verified(title, expires, grading)


def titles_for(
    session: Session,
    org_code: str,
    rows: Sequence[tuple[Bulletin, Organisation]],
    keys: dict[str, list[BulletinKey]],
    now: datetime,
) -> dict[str, RowTitle]:
    """The title of each row for ``org_code`` (``keys``: each bulletin's wrapped keys, those of
    every organisation, since verification checks them all)."""
    cache = title_cache()
    titles: dict[str, RowTitle] = {}
    for bulletin, sender in rows:
        if bulletin.state not in _READABLE:
            titles[bulletin.id] = RowTitle(None, "ended")
            continue
        key = (bulletin.id, org_code, _digest(bulletin, sender, keys.get(bulletin.id, [])))
        cached = cache.get(key)
        if cached is not None:
            expired = cached.expires_at is not None and now >= cached.expires_at
            titles[bulletin.id] = (
                RowTitle(None, "expired")
                if expired
                else RowTitle(cached.title, "verified", cached.grading)
            )
            continue
        title, verified = _open(session, org_code, bulletin, now)
        if verified is not None:
            cache.put(key, verified)
        titles[bulletin.id] = title
    return titles


_READABLE = frozenset(s.value for s in BulletinState if s.readable)
