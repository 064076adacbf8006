"""TAXII 2.1 collections over the bulletins an organisation can read.

An organisation sees one collection per organisation whose bulletins it receives (its own
outbox among them); the objects of a collection are the STIX objects of those bulletins
(:mod:`portal.services.stix.export`), each added when the bulletin reached the organisation
(sealed to it, or released to it later: a client polling with ``added_after`` sees both).
Pages follow the bulletins' arrival, and a page's ``next`` names where the next one starts,
inside a bulletin if need be. Posting to one's own collection seals a bulletin.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import (
    Bulletin,
    BulletinRecipient,
    BulletinState,
    Organisation,
    TaxiiStatus,
    utcnow,
)
from portal.services import audit, audit_commit
from portal.services.bulletins import sealing
from portal.services.bulletins.reading import Unopened, open_bulletin
from portal.services.errors import Forbidden, InvalidInput, NotFound, ServiceError
from portal.services.principals import Actor, Reader
from portal.services.stix import intake
from portal.services.stix import vocabulary as vocab
from portal.services.stix.export import bulletin_objects

MAX_LIMIT = 1_000
DEFAULT_LIMIT = 100
MAX_EXAMINED = 200  # bulletins opened for one page: a filter that matches nothing stops here
MAX_SEARCHED = 1_000  # newest bulletins searched for one object that is not a report
_CHUNK = 50


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    sender_id: int
    can_write: bool

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": "STIX objects of the bulletins from this organisation you can read.",
            "can_read": True,
            "can_write": self.can_write,
            "media_types": ["application/stix+json;version=2.1"],
        }


def _collection_id(code: str) -> str:
    return str(uuid.uuid5(vocab.OBJECT_NAMESPACE, f"taxii-collection|{code}"))


def collections(reader: Reader) -> list[Collection]:
    """One collection per sender of bulletins the reader's organisation can read, and its own."""
    if not reader.sees_bulletins:
        return []
    session = db.session()
    sender_ids = set(
        session.scalars(
            select(Bulletin.sender_org_id)
            .join(BulletinRecipient, BulletinRecipient.bulletin_id == Bulletin.id)
            .where(BulletinRecipient.org_id == reader.org_id)
            .distinct()
        )
    ) | {reader.org_id}
    orgs = session.scalars(select(Organisation).where(Organisation.id.in_(sender_ids)))
    found = [
        Collection(
            _collection_id(org.code),
            f"Bulletins from {org.code}" + (" (your outbox)" if org.id == reader.org_id else ""),
            org.id,
            org.id == reader.org_id,
        )
        for org in orgs
    ]
    return sorted(found, key=lambda c: c.title)


def collection(reader: Reader, collection_id: str) -> Collection:
    """One collection, found from the organisations' codes and one EXISTS (not a pass over
    the organisation's bulletins, as listing them all takes)."""
    if reader.sees_bulletins:
        session = db.session()
        for org in session.scalars(select(Organisation)):
            if _collection_id(org.code) != collection_id:
                continue
            receives = org.id == reader.org_id or session.scalar(
                select(BulletinRecipient.bulletin_id)
                .join(Bulletin, Bulletin.id == BulletinRecipient.bulletin_id)
                .where(BulletinRecipient.org_id == reader.org_id, Bulletin.sender_org_id == org.id)
                .limit(1)
            )
            if receives:
                title = f"Bulletins from {org.code}"
                if org.id == reader.org_id:
                    title += " (your outbox)"
                return Collection(collection_id, title, org.id, org.id == reader.org_id)
    raise NotFound("No such collection.", field="collection")


@dataclass(frozen=True)
class Cursor:
    added: datetime
    bulletin_id: str
    offset: int  # objects of that bulletin already given

    def encode(self) -> str:
        text = f"{self.added.isoformat()}|{self.bulletin_id}|{self.offset}"
        return base64.urlsafe_b64encode(text.encode()).decode()

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            added, bulletin_id, offset = base64.urlsafe_b64decode(text.encode()).decode().split("|")
            moment = datetime.fromisoformat(added)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            if not 0 <= int(offset) < 1_000_000:
                raise ValueError("offset")
            return cls(moment, bulletin_id, int(offset))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidInput("Not a 'next' value this server gave.", field="next") from None


@dataclass(frozen=True)
class Match:
    types: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset()  # "first", "last", "all" or a timestamp

    def accepts(self, obj: dict[str, Any]) -> bool:
        if self.types and obj["type"] not in self.types:
            return False
        if self.ids and obj["id"] not in self.ids:
            return False
        version = obj.get("modified") or obj.get("created")
        exact = self.versions - {"first", "last", "all"}
        return not exact or version in exact


def _bulletins(
    reader: Reader,
    found: Collection,
    added_after: datetime | None,
    cursor: Cursor | None,
    *,
    newest_first: bool = False,
) -> Iterator[tuple[Bulletin, Organisation, datetime]]:
    session = db.session()
    sender = session.get_one(Organisation, found.sender_id)
    where = [
        BulletinRecipient.org_id == reader.org_id,
        Bulletin.sender_org_id == found.sender_id,
        Bulletin.state == BulletinState.ACTIVE.value,
    ]
    if added_after is not None:
        where.append(BulletinRecipient.added_at > added_after)
    if cursor is not None:
        where.append(
            or_(
                BulletinRecipient.added_at > cursor.added,
                and_(
                    BulletinRecipient.added_at == cursor.added,
                    BulletinRecipient.bulletin_id >= cursor.bulletin_id,
                ),
            )
        )
    query = (
        select(Bulletin, BulletinRecipient.added_at)
        .join(BulletinRecipient, BulletinRecipient.bulletin_id == Bulletin.id)
        .where(*where)
        .order_by(
            *(
                (BulletinRecipient.added_at.desc(), BulletinRecipient.bulletin_id.desc())
                if newest_first
                else (BulletinRecipient.added_at, BulletinRecipient.bulletin_id)
            )
        )
    )
    offset = 0
    while True:
        rows = list(session.execute(query.limit(_CHUNK).offset(offset)))
        for bulletin, added in rows:
            yield bulletin, sender, added
        if len(rows) < _CHUNK:
            return
        offset += _CHUNK


def _objects(reader: Reader, bulletin: Bulletin, sender: Organisation) -> list[dict[str, Any]]:
    opened = open_bulletin(db.session(), reader.org_code, bulletin)
    if isinstance(opened, Unopened):
        return []  # what does not verify is not served
    objects = bulletin_objects(bulletin, sender, opened.content)
    extra = [vocab.tlp_marking(bulletin.marking)]
    if any(o["type"] == vocab.PHONE_TYPE for o in objects):
        extra += [vocab.ischia_identity(), vocab.phone_extension_definition()]
    return [*extra, *objects]


@dataclass
class Page:
    objects: list[tuple[dict[str, Any], datetime]]
    more: bool
    next: str | None
    opened: list[str]  # the bulletins decrypted for this page (audited)


def page(
    reader: Reader,
    found: Collection,
    *,
    added_after: datetime | None,
    limit: int,
    cursor: Cursor | None,
    match: Match,
) -> Page:
    """Up to ``limit`` objects of the collection, oldest addition first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"A limit from 1 to {MAX_LIMIT}.", field="limit")
    taken: list[tuple[dict[str, Any], datetime]] = []
    given: set[str] = set()
    opened: list[str] = []
    for bulletin, sender, added in _bulletins(reader, found, added_after, cursor):
        start = cursor.offset if cursor and cursor.bulletin_id == bulletin.id else 0
        if len(opened) == MAX_EXAMINED:
            return Page(taken, True, Cursor(added, bulletin.id, start).encode(), opened)
        opened.append(bulletin.id)
        objects = [o for o in _objects(reader, bulletin, sender) if match.accepts(o)]
        for index in range(start, len(objects)):
            if len(taken) == limit:
                return Page(taken, True, Cursor(added, bulletin.id, index).encode(), opened)
            if objects[index]["id"] in given:
                continue  # shared identities, markings and observables: once per page
            given.add(objects[index]["id"])
            taken.append((objects[index], added))
    return Page(taken, False, None, opened)


def record_reads(reader: Reader, actor: Actor, found: Collection, bulletin_ids: list[str]) -> None:
    """One audit record for the bulletins a TAXII request decrypted."""
    if not bulletin_ids:
        return
    ids, sender_id, collection_id = list(bulletin_ids), found.sender_id, found.id

    def record(session: Session) -> None:
        audit.record(
            session,
            "taxii.objects_read",
            actor,
            subject_org=sender_id,
            details={"collection": collection_id, "bulletins": ids},
        )

    # With the token's use, in one commit shared with concurrent requests, before answering.
    audit_commit.commit(record)


def find_object(
    reader: Reader, found: Collection, object_id: str
) -> list[tuple[dict[str, Any], datetime]]:
    """Every version of one object in the collection (one per bulletin that carries it).

    A report is found by its id alone (it is derived from the bulletin's); any other object
    among the :data:`MAX_SEARCHED` newest bulletins.
    """
    hits = []
    is_report = object_id.startswith("report--")
    for searched, (bulletin, sender, added) in enumerate(
        _bulletins(reader, found, None, None, newest_first=True)
    ):
        if is_report:
            if vocab.object_id("report", bulletin.id) != object_id:
                continue
        elif searched >= MAX_SEARCHED:
            break
        hits += [(o, added) for o in _objects(reader, bulletin, sender) if o["id"] == object_id]
        if is_report and hits:
            break
    if not hits:
        raise NotFound("No such object in this collection.", field="object")
    return hits


def post_objects(
    reader: Reader, actor: Actor, found: Collection, envelope: Any, *, can_write: bool
) -> TaxiiStatus:
    """Seal a bulletin from posted objects (own collection only); the status says what became
    of each object."""
    if not can_write or not found.can_write:
        raise Forbidden("This token may not write to this collection.")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise InvalidInput('Send a TAXII envelope: {"objects": [...]}.', field="objects")
    objects = envelope["objects"]
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    report = next((o for o in objects if isinstance(o, dict) and o.get("type") == "report"), {})
    status = TaxiiStatus(
        id=str(uuid.uuid4()),
        user_id=reader.user_id,
        created_at=utcnow(),
        status="complete",
        total=len(objects),
        successes=[],
        failures=[],
    )
    entries = [
        {"id": o["id"], "version": o.get("modified") or o.get("created") or "unknown"}
        for o in objects
        if isinstance(o, dict) and isinstance(o.get("id"), str)
    ]
    try:
        draft = intake.draft_from_bundle(bundle)
        if draft.marking is None:
            raise InvalidInput(
                "Mark the report with a TLP marking definition (TLP 2.0 or STIX's TLP ids).",
                field="object_marking_refs",
            )
        recipients = report.get("x_ischia_recipients")
        if not isinstance(recipients, list) or not recipients:
            raise InvalidInput(
                "The report needs x_ischia_recipients: the organisation codes to send it to.",
                field="x_ischia_recipients",
            )
        bulletin = sealing.post_bulletin(
            reader,
            actor,
            sealing.Draft(
                document=draft.document,
                category=draft.category or "other",
                marking=draft.marking,
                recipients=[str(code) for code in recipients],
            ),
        )
    except ServiceError as error:
        if isinstance(error, Forbidden):
            raise
        status.failures = [{**e, "message": error.message} for e in entries]
    else:
        status.successes = [{**e, "message": f"bulletin {bulletin.id}"} for e in entries]
    with db.write() as session:
        session.add(status)
    return status


def status_of(reader: Reader, status_id: str) -> TaxiiStatus:
    row = db.session().get(TaxiiStatus, status_id)
    if row is None or row.user_id != reader.user_id:
        raise NotFound("No such status.", field="status")
    return row
