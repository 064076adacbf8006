"""TAXII 2.1 collections over the bulletins an organisation can read.

An organisation sees one collection per organisation whose bulletins it receives (its own
outbox among them); the objects of a collection are the STIX objects of those bulletins
(:mod:`portal.services.stix.export`), each added when the bulletin reached the organisation
(sealed to it, or released to it later: a client polling with ``added_after`` sees both).
Pages follow the bulletins' arrival, and a page's ``next`` names where the next one starts,
inside a bulletin if need be; ``match[version]`` chooses among a bulletin's versions. Posting
to one's own collection, or to a sharing group's, seals a bulletin, or amends the one a
report posted before made when its ``modified`` is newer.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from crypto import PrivateBundle
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
from portal.services.bulletins import amendments, sealing
from portal.services.bulletins.reading import Unopened, open_bulletin
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from portal.services.organisations import keys as org_keys
from portal.services.organisations import sharing_groups
from portal.services.principals import Actor, Reader
from portal.services.stix import intake
from portal.services.stix import vocabulary as vocab
from portal.services.stix.export import bulletin_objects, copies_per_marking, revoked_objects

MAX_LIMIT = 1_000
MAX_POST_BYTES = intake.MAX_BYTES  # the import's limit, advertised as max_content_length
DEFAULT_LIMIT = 100
MAX_EXAMINED = 200  # bulletins opened for one page: a filter that matches nothing stops here
MAX_SEARCHED = 1_000  # newest bulletins searched for one object that is not a report
_CHUNK = 50


DEFAULT_MARKING = "TLP:AMBER"  # a posted envelope with no TLP marking of its own
_successor = aliased(Bulletin)


@dataclass(frozen=True)
class Collection:
    """A sender's bulletins (readable; the reader's own outbox writable too), or one of the
    reader's sharing groups (write only: what is posted there goes to the group's members)."""

    id: str
    title: str
    sender_id: int
    can_write: bool
    can_read: bool = True
    recipients: tuple[str, ...] = ()  # the default recipients of what is posted here

    def resource(self) -> dict[str, Any]:
        if self.can_read:
            description = "STIX objects of the bulletins from this organisation you can read."
        else:
            description = (
                "Post STIX objects here to send them, as a bulletin, to this sharing group: "
                + ", ".join(self.recipients)
                + f" (marked {DEFAULT_MARKING} unless they carry a TLP marking)."
            )
        return {
            "id": self.id,
            "title": self.title,
            "description": description,
            "can_read": self.can_read,
            "can_write": self.can_write,
            "media_types": ["application/stix+json;version=2.1"],
        }


def _uuid4_of(text: str) -> str:
    """A UUIDv4 (TAXII 2.1 section 1.6.9), stable across restarts: no table needed."""
    return vocab.uuid4_of(f"taxii|{text}")


def _collection_id(code: str) -> str:
    return _uuid4_of(f"taxii-collection|{code}")


def _group_collection_id(group_id: int) -> str:
    return _uuid4_of(f"taxii-sharing-group|{group_id}")


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
    return sorted(found, key=lambda c: c.title) + _group_collections(reader)


def _group_collections(reader: Reader) -> list[Collection]:
    return [
        Collection(
            _group_collection_id(group.id),
            f"Send to sharing group {group.name}",
            reader.org_id,
            can_write=True,
            can_read=False,
            recipients=tuple(group.member_codes),
        )
        for group in sharing_groups.groups_of(reader)
        if group.member_codes
    ]


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
        for group_collection in _group_collections(reader):
            if group_collection.id == collection_id:
                return group_collection
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


def version_of(obj: dict[str, Any], added: datetime) -> str:
    """An object's version (TAXII 2.1 section 3.4.1): ``modified``, else ``created``, else
    when it was added."""
    return str(obj.get("modified") or obj.get("created") or _taxii_time(added))


def _object_version(obj: dict[str, Any]) -> tuple[str, str]:
    """One version of one object: an observable (no ``modified``) has only one, whichever
    bulletins carry it."""
    return obj["id"], str(obj.get("modified") or obj.get("created") or "")


def _taxii_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Match:
    """The ``match[...]`` filters of TAXII 2.1 section 3.4.1."""

    types: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset()  # "first", "last", "all" or timestamps
    spec_versions: frozenset[str] = frozenset()

    def accepts(self, obj: dict[str, Any]) -> bool:
        if self.types and obj["type"] not in self.types:
            return False
        if self.ids and obj["id"] not in self.ids:
            return False
        if self.spec_versions and obj.get("spec_version", "2.1") not in self.spec_versions:
            return False
        exact = self.versions - {"first", "last", "all"}
        version = obj.get("modified") or obj.get("created")
        return not exact or version in exact or "all" in self.versions

    def pick(
        self, hits: list[tuple[dict[str, Any], datetime]]
    ) -> list[tuple[dict[str, Any], datetime]]:
        """The versions of one object the filter asks for, oldest first (default: the last)."""
        ordered = sorted(
            (h for h in hits if self.accepts(h[0])), key=lambda h: version_of(h[0], h[1])
        )
        if not ordered or "all" in self.versions:
            return ordered
        wanted: list[tuple[dict[str, Any], datetime]] = []
        if "first" in self.versions:
            wanted.append(ordered[0])
        exact = self.versions - {"first", "last", "all"}
        wanted += [h for h in ordered if version_of(h[0], h[1]) in exact and h not in wanted]
        if ("last" in self.versions or not self.versions) and ordered[-1] not in wanted:
            wanted.append(ordered[-1])
        return sorted(wanted, key=lambda h: version_of(h[0], h[1]))


def _versions_served(match: Match) -> ColumnElement[bool]:
    """Which bulletins' objects a match asks for. Each version of a bulletin is one version
    of its objects (:func:`portal.services.stix.export.bulletin_objects`): ``last`` (the
    default) is the current version, or the revoked report of a retracted bulletin; ``first``
    the first version; ``all`` and timestamps every version still readable (a retracted
    bulletin's earlier versions were destroyed with it)."""
    newest = ~exists().where(_successor.supersedes_id == Bulletin.id)
    last = or_(
        Bulletin.state == BulletinState.ACTIVE.value,
        and_(Bulletin.state == BulletinState.RETRACTED.value, newest),
    )
    readable = Bulletin.state.in_([BulletinState.ACTIVE.value, BulletinState.SUPERSEDED.value])
    wanted = match.versions or {"last"}
    if "all" in wanted or wanted - {"first", "last"}:
        return or_(readable, last)
    chosen = []
    if "last" in wanted:
        chosen.append(last)
    if "first" in wanted:
        chosen.append(and_(readable, Bulletin.version == 1))
    return or_(*chosen)


def _bulletins(
    reader: Reader,
    found: Collection,
    added_after: datetime | None,
    cursor: Cursor | None,
    *,
    newest_first: bool = False,
    first_chunk: int = _CHUNK,
    match: Match | None = None,
    series: str | None = None,
) -> Iterator[tuple[Bulletin, Organisation, datetime]]:
    """The collection's bulletins in the order of their arrival, rows read ``first_chunk`` at
    first and then :data:`_CHUNK` at a time (a row carries the whole envelope: a page that
    needs 4 bulletins should not load 50)."""
    session = db.session()
    sender = session.get_one(Organisation, found.sender_id)
    where = [
        BulletinRecipient.org_id == reader.org_id,
        Bulletin.sender_org_id == found.sender_id,
        _versions_served(match or Match()),
    ]
    if series is not None:
        where.append(Bulletin.series_id == series)
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
    offset, size = 0, first_chunk
    while True:
        rows = list(session.execute(query.limit(size).offset(offset)))
        for bulletin, added in rows:
            yield bulletin, sender, added
        if len(rows) < size:
            return
        offset, size = offset + size, _CHUNK


def _objects(
    reader: Reader, bulletin: Bulletin, sender: Organisation, keyring: Sequence[PrivateBundle]
) -> list[dict[str, Any]]:
    if bulletin.state == BulletinState.RETRACTED.value:
        objects = revoked_objects(bulletin, sender)
    else:
        opened = open_bulletin(db.session(), reader.org_code, bulletin, keyring=keyring)
        if isinstance(opened, Unopened):
            return []  # what does not verify is not served
        objects = bulletin_objects(bulletin, sender, opened.content)
    objects = copies_per_marking(objects, bulletin.marking)  # one id, one content, on any page
    extra = [
        vocab.tlp_marking(bulletin.marking),
        vocab.ischia_identity(),
        vocab.ischia_extension_definition(),
    ]
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
    _readable(found)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"A limit from 1 to {MAX_LIMIT}.", field="limit")
    taken: list[tuple[dict[str, Any], datetime]] = []
    given: set[tuple[str, str]] = set()
    opened: list[str] = []
    examined = 0
    keyring = org_keys.keyring(reader.org_code)  # once, before the rows (see open_bulletin)
    # A demo bulletin gives about 25 objects: the first rows read are about what the page needs.
    first = min(_CHUNK, limit // 10 + 2)
    for bulletin, sender, added in _bulletins(
        reader, found, added_after, cursor, first_chunk=first, match=match
    ):
        start = cursor.offset if cursor and cursor.bulletin_id == bulletin.id else 0
        if examined == MAX_EXAMINED:
            return Page(taken, True, Cursor(added, bulletin.id, start).encode(), opened)
        examined += 1
        if bulletin.state != BulletinState.RETRACTED.value:  # a revoked report is not read
            opened.append(bulletin.id)
        objects = [o for o in _objects(reader, bulletin, sender, keyring) if match.accepts(o)]
        for index in range(start, len(objects)):
            if len(taken) == limit:
                return Page(taken, True, Cursor(added, bulletin.id, index).encode(), opened)
            seen = _object_version(objects[index])
            if seen in given:
                continue  # shared identities, markings and observables: once per page
            given.add(seen)
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


def _readable(found: Collection) -> None:
    if not found.can_read:
        raise Forbidden("This collection is for posting only: nothing in it can be read.")


def find_object(
    reader: Reader, found: Collection, object_id: str, match: Match | None = None
) -> list[tuple[dict[str, Any], datetime]]:
    """The versions of one object the match asks for (default: the last), oldest first,
    each as one bulletin that carries it holds it.

    A report is found by its id alone (it is derived from its series', the first version's
    id); any other object among the :data:`MAX_SEARCHED` newest bulletins.
    """
    _readable(found)
    match = match or Match()
    every = Match(versions=frozenset({"all"}))
    searched: Iterator[tuple[Bulletin, Organisation, datetime]] = _bulletins(
        reader, found, None, None, newest_first=True, match=every
    )
    if object_id.startswith("report--"):
        # A report's id is its series' (every version's): found by the id alone, then the
        # series' versions.
        series = next(
            (
                b.series_id
                for b, _, _ in searched
                if vocab.object_id("report", b.series_id) == object_id
            ),
            None,
        )
        searched = (
            iter(())
            if series is None
            else _bulletins(reader, found, None, None, match=every, series=series)
        )
    hits = []
    keyring = org_keys.keyring(reader.org_code)
    for count, (bulletin, sender, added) in enumerate(searched):
        if count >= MAX_SEARCHED:
            break
        hits += [
            (o, added) for o in _objects(reader, bulletin, sender, keyring) if o["id"] == object_id
        ]
    unique = {_object_version(o): (o, added) for o, added in hits}
    picked = match.pick(list(unique.values()))
    if not picked:
        raise NotFound("No such object in this collection.", field="object")
    return picked


def _post_key(reader: Reader, found: Collection, objects: list[Any]) -> str:
    """The status id of a post that sealed a bulletin: the same objects (ids and versions)
    posted again by the same user to the same collection find it, and nothing is sealed twice."""
    versions = sorted(
        f"{o.get('id')}|{o.get('modified') or o.get('created') or ''}"
        for o in objects
        if isinstance(o, dict)
    )
    return _uuid4_of(f"taxii-post|{reader.user_id}|{found.id}|" + "\n".join(versions))


def post_objects(
    reader: Reader,
    actor: Actor,
    found: Collection,
    envelope: Any,
    *,
    can_write: bool,
    size: int = 0,
) -> TaxiiStatus:
    """Seal a bulletin from posted objects; the status says what became of each object (a
    success only for what the bulletin holds, a failure with the reason for the rest)."""
    if not can_write or not found.can_write:
        raise Forbidden("This token may not write to this collection.")
    if size > intake.MAX_BYTES:
        raise InvalidInput(
            f"At most {intake.MAX_BYTES // 2**20} MB in one envelope.", field="objects"
        )
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise InvalidInput('Send a TAXII envelope: {"objects": [...]}.', field="objects")
    objects = envelope["objects"]
    key = _post_key(reader, found, objects)
    earlier = db.session().get(TaxiiStatus, key)
    if earlier is not None and earlier.user_id == reader.user_id:
        return earlier  # already sealed: posting the same objects again changes nothing
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    report = next((o for o in objects if isinstance(o, dict) and o.get("type") == "report"), {})
    container = report or next(
        (o for o in objects if isinstance(o, dict) and o.get("type") == "grouping"), {}
    )
    report_id, report_version = _report_version(container)
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
        {
            "id": o["id"]
            if isinstance(o, dict) and isinstance(o.get("id"), str)
            else f"objects[{i}]",
            "version": str(o.get("modified") or o.get("created") or "")
            if isinstance(o, dict)
            else "",
        }
        for i, o in enumerate(objects)
    ]
    try:
        if container.get("revoked") is True:
            # Retraction destroys a bulletin for every recipient: an officer does it in Ischia.
            raise InvalidInput(
                "A revoked report is not sealed, and does not retract a bulletin: retract it "
                "in Ischia.",
                field="revoked",
            )
        draft = intake.draft_from_bundle(bundle)
        recipients = report.get("x_ischia_recipients") or list(found.recipients)
        if not isinstance(recipients, list) or not recipients:
            raise InvalidInput(
                "This collection has no default recipients: post to a sharing group's "
                "collection, or name them in the report's x_ischia_recipients.",
                field="x_ischia_recipients",
            )
        marking = draft.marking or (DEFAULT_MARKING if found.recipients else None)
        if marking is None:
            raise InvalidInput(
                "Mark the objects with a TLP marking definition (TLP 2.0 or STIX's TLP ids).",
                field="object_marking_refs",
            )
        sealed = sealing.Draft(
            document=draft.document,
            category=draft.category or "other",
            marking=marking,
            recipients=[str(code) for code in recipients],
            stix_report=(report_id, report_version or None) if report_id else None,
            require_grading=False,
        )
        earlier_version = _posted_before(reader, report_id) if report_id else None
        if earlier_version is None:
            bulletin = sealing.post_bulletin(reader, actor, sealed)
        else:
            _refuse_unless_newer(earlier_version, report_version)
            bulletin = amendments.amend(reader, actor, earlier_version.id, sealed)
    except ServiceError as error:
        if isinstance(error, Forbidden):
            raise
        status.failures = [{**e, "message": error.message} for e in entries]
    else:
        outcomes: dict[str, list[str]] = {}
        dropped: dict[str, str] = {}
        for outcome in draft.report:
            if outcome.outcome == "dropped":
                dropped.setdefault(outcome.id, outcome.detail)
            else:
                outcomes.setdefault(outcome.id, []).append(outcome.detail)
        for entry in entries:
            if entry["id"] in outcomes and entry["id"] not in dropped:
                detail = "; ".join(outcomes[entry["id"]])
                status.successes.append(
                    {**entry, "message": f"bulletin {bulletin.id}: {detail}"[:500]}
                )
            else:
                reason = dropped.get(entry["id"], "not kept")
                status.failures.append({**entry, "message": reason[:500]})
        status.id = key
    with db.write() as session:
        session.add(status)
    return status


def _report_version(report: dict[str, Any]) -> tuple[str | None, str]:
    """The posted report's (or MISP's grouping's) STIX id and version (``modified``, else
    ``created``, as a UTC timestamp; "" when it has none that reads)."""
    report_id = report.get("id")
    if not isinstance(report_id, str) or not intake.is_stix_id(report_id, report.get("type")):
        return None, ""
    moment = _moment(str(report.get("modified") or report.get("created") or ""))
    return report_id, _taxii_time(moment) if moment else ""


def _posted_before(reader: Reader, report_id: str) -> Bulletin | None:
    """The newest bulletin the reader's organisation sealed from this report, if any."""
    return db.session.scalar(
        select(Bulletin)
        .where(Bulletin.sender_org_id == reader.org_id, Bulletin.stix_report_id == report_id)
        .order_by(Bulletin.version.desc())
        .limit(1)
    )


def _moment(version: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(version.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _refuse_unless_newer(bulletin: Bulletin, version: str) -> None:
    """A report posted before is amended only by a newer version (STIX 2.1 section 3.6)."""
    if bulletin.state != BulletinState.ACTIVE.value:
        raise Conflict(
            f"Bulletin {bulletin.id}, sealed from this report, was {bulletin.state}: "
            "a new version of the report cannot amend it."
        )
    posted, given = _moment(bulletin.stix_modified or ""), _moment(version)
    if not version or given is None:
        raise InvalidInput(
            f"Bulletin {bulletin.id} was sealed from this report: a new version needs a "
            "modified timestamp newer than its own.",
            field="modified",
        )
    if posted is not None and given == posted:
        raise Conflict(
            f"This version of the report ({version or 'no modified'}) is bulletin "
            f"{bulletin.id} already: nothing new was sealed."
        )
    if posted is not None and given < posted:
        raise Conflict(
            f"Bulletin {bulletin.id} holds a newer version of this report "
            f"({bulletin.stix_modified}): nothing was sealed."
        )


def status_of(reader: Reader, status_id: str) -> TaxiiStatus:
    row = db.session().get(TaxiiStatus, status_id)
    if row is None or row.user_id != reader.user_id:
        raise NotFound("No such status.", field="status")
    return row
