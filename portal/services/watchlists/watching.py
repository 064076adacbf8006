"""What an officer watches: identifiers and persons, by canonical key.

A watch is stored as the key's keyed blind-index token (what matching compares, see
``bulletins.watch_matching``) and the key with the words it was watched as, sealed under a key
derived from the derivation root and bound to the watcher (``watches.sealed``): the database
holds no watched identifier in clear. Only people who see bulletins (ministries and observers)
watch; a watch belongs to its watcher, and matches only bulletins their organisation reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import delete, select

from crypto.secretbox import SecretBox
from portal import vault
from portal.extensions import db
from portal.models import Watch, utcnow
from portal.services import audit
from portal.services.discovery import hits
from portal.services.errors import InvalidInput, NotFound
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader
from portal.services.watchlists import references

PURPOSE = b"watched-identifiers"
MAX_WATCHES = 500  # per person


@dataclass(frozen=True)
class Watched:
    id: int
    key: str
    label: str  # what was watched, in words ("the phone number +33612345678")
    reference: str  # the entity page's opaque reference
    created_at: datetime


def _context(user_id: int) -> bytes:
    return b"watch:user:%d" % user_id


def _box() -> SecretBox:
    return SecretBox(vault.derivation_root(), PURPOSE)


def _check(reader: Reader) -> None:
    if not reader.sees_bulletins:
        raise NotFound()


def label_of(key: str, value: str) -> str:
    """The words for ``key`` as typed or shown as ``value``."""
    phrases = hits.describe(value, [hits.Interpretation("", key)])
    return phrases[0] if phrases else value


def watch_key(reader: Reader, actor: Actor, key: str, value: str) -> int:
    """Watch canonical ``key`` (shown as ``value``); the watch's id (the same one if it was
    already watched)."""
    return watch_keys(reader, actor, [(key, value)])[0]


def watch_keys(reader: Reader, actor: Actor, keyed: list[tuple[str, str]]) -> list[int]:
    _check(reader)
    index = org_keys.blind_index()
    now = utcnow()
    ids: list[int] = []
    with db.write() as session:
        count = len(session.scalars(select(Watch.id).where(Watch.user_id == reader.user_id)).all())
        for key, value in keyed:
            token = index.token(key)
            found = session.scalar(
                select(Watch).where(Watch.user_id == reader.user_id, Watch.token == token)
            )
            if found is not None:
                ids.append(found.id)
                continue
            if count >= MAX_WATCHES:
                raise InvalidInput(
                    gettext(
                        "You watch %(count)s items already: unwatch some first.", count=MAX_WATCHES
                    ),
                    field="q",
                )
            payload = json.dumps({"key": key, "label": label_of(key, value)}).encode()
            watch = Watch(
                user_id=reader.user_id,
                org_id=reader.org_id,
                token=token,
                sealed=_box().seal(payload, _context(reader.user_id)),
                created_at=now,
            )
            session.add(watch)
            session.flush()
            count += 1
            ids.append(watch.id)
            audit.record(
                session,
                "watch.added",
                actor,
                subject_org=reader.org_id,
                details={"watch": watch.id},
            )
    return ids


def _typed_readings(reader: Reader, text: str, platform: str | None) -> list[hits.Interpretation]:
    readings = hits.query_keys(reader, text, platform)
    names = [r for r in readings if r.key.startswith(("name:", "group:"))]
    return names or list(readings)


def watch_typed(reader: Reader, actor: Actor, text: str, platform: str | None) -> list[int]:
    """Watch what ``text`` stands for, read as the search reads it (InvalidInput naming ``q``
    or ``platform`` otherwise). A name is watched as a person's name in any script and as a
    group's name (not as a place: every bulletin of a city would tell)."""
    chosen = _typed_readings(reader, text, platform)
    return watch_keys(reader, actor, [(r.key, text.strip()) for r in chosen])


def typed_described(reader: Reader, text: str, platform: str | None) -> tuple[str, ...]:
    """What :func:`watch_typed` watches for ``text``, in words ("the Telegram, X or Facebook
    account @wadi"; "a person's name spelled like …" and "a group named …")."""
    return hits.describe(text, _typed_readings(reader, text, platform))


def watch_reference(reader: Reader, actor: Actor, ref: str, value: str) -> int:
    """Watch the entity of an entity page (NotFound for a reference not given to the org)."""
    _check(reader)
    key = references.key_of(reader.org_id, ref)
    if key is None:
        raise NotFound()
    return watch_key(reader, actor, key, value)


def unwatch(reader: Reader, actor: Actor, watch_id: int) -> None:
    """Stop watching (NotFound for someone else's watch: never told apart from none)."""
    _check(reader)
    with db.write() as session:
        deleted = session.execute(
            delete(Watch).where(Watch.id == watch_id, Watch.user_id == reader.user_id)
        )
        if not getattr(deleted, "rowcount", 0):
            raise NotFound()
        audit.record(
            session, "watch.removed", actor, subject_org=reader.org_id, details={"watch": watch_id}
        )


def _opened(reader: Reader, watch: Watch) -> Watched:
    data = json.loads(_box().open(watch.sealed, _context(watch.user_id)))
    return Watched(
        id=watch.id,
        key=data["key"],
        label=data["label"],
        reference=references.reference(reader.org_id, data["key"]),
        created_at=watch.created_at,
    )


def watched(reader: Reader) -> list[Watched]:
    """What ``reader`` watches, newest first."""
    _check(reader)
    rows = db.session.scalars(
        select(Watch).where(Watch.user_id == reader.user_id).order_by(Watch.id.desc())
    )
    return [_opened(reader, row) for row in rows]


def watch_of(reader: Reader, key: str) -> int | None:
    """The id of ``reader``'s watch of ``key``, if they watch it."""
    token = org_keys.blind_index().token(key)
    return db.session.scalar(
        select(Watch.id).where(Watch.user_id == reader.user_id, Watch.token == token)
    )


def label_by_watch(reader: Reader, watch_ids: list[int]) -> dict[int, str]:
    """Each of ``reader``'s watches among ``watch_ids`` in words."""
    if not watch_ids:
        return {}
    rows = db.session.scalars(
        select(Watch).where(Watch.user_id == reader.user_id, Watch.id.in_(watch_ids))
    )
    return {row.id: _opened(reader, row).label for row in rows}
