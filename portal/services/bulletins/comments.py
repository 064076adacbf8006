"""Comments and sightings on a bulletin, for exactly the organisations that can read it.

A comment ("our service saw this number in Lyon on 2 May") is made on one version of a
bulletin. Its text is sealed under a key derived from that version's content key
(:mod:`crypto.comments`), which only :func:`reading.open_bulletin` gives: the organisations
whose keys open the version open its comments, no other, and retraction or expiry (which
shred the version's keys) shreds them too. The commenting organisation signs a statement over
the comment's ids, author, time and ciphertext digest; reading checks it, and a comment that
fails shows its failure, never its text. A *sighting* is a structured comment: one of the
bulletin's entities, where (a place, optionally a country), when (not in the future) and a
note; sightings also join the organisations' link graphs (``analysis/org_graphs``).

Comments stay with the series: an amended bulletin lists the comments of every version the
reader's organisation can open, each saying which version it was made on. New comments go on
the current version only; a retracted or expired bulletin takes none (409).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto import BadSignature, EnvelopeError, TamperedEnvelope, UnknownKeyVersion
from crypto.canonical import canonical_json
from crypto.comments import comment_digest, open_comment, seal_comment
from crypto.statement import SignedStatement, sign_statement, verify_statement
from portal.extensions import db
from portal.models import (
    Bulletin,
    BulletinComment,
    BulletinRecipient,
    BulletinState,
    CommentKind,
    Organisation,
    User,
    utcnow,
)
from portal.services import audit, audit_commit
from portal.services.bulletins import reading
from portal.services.bulletins.access import visible_bulletin
from portal.services.bulletins.content import COUNTRY, BulletinContent
from portal.services.errors import Conflict, InvalidInput
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader

__all__ = [
    "DOMAIN",
    "MAX_NOTE",
    "MAX_PLACE",
    "MAX_TEXT",
    "Comment",
    "OpenSighting",
    "list_comments",
    "post_comment",
    "read_comments",
    "sightings",
]

DOMAIN = "ischia/bulletin-comment/v1"
FORMAT = "ischia.comment/1"
MAX_TEXT = 4000
MAX_PLACE = 200
MAX_NOTE = 2000
# A date is "in the future" only past the earliest time zone's day (UTC+14).
_AHEAD = timedelta(hours=14)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FAILED = _l(
    "This comment failed verification: its signature or sealed text does not match what "
    "its organisation wrote. Its text is not shown."
)


@dataclass(frozen=True)
class Draft:
    """What a comment or sighting says, checked against the bulletin it is made on."""

    kind: CommentKind
    text: str | None = None
    entity: str | None = None
    place: str | None = None
    country: str | None = None
    seen_on: date | None = None
    note: str | None = None

    def payload(self) -> bytes:
        document: dict[str, Any] = {"format": FORMAT, "kind": self.kind.value}
        if self.kind is CommentKind.COMMENT:
            document["text"] = self.text
        else:
            document.update(
                entity=self.entity,
                place=self.place,
                country=self.country,
                seen_on=self.seen_on.isoformat() if self.seen_on else None,
                note=self.note,
            )
        return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()


@dataclass(frozen=True)
class Comment:
    """A comment as a reader sees it; the text fields are None when ``verified`` is False."""

    id: str
    kind: str
    bulletin_id: str  # the version it was made on
    version: int
    org: str
    org_name: str
    author: str | None
    created_at: datetime
    verified: bool
    problem: str | None = None
    text: str | None = None
    entity: str | None = None  # the entity's ref in the bulletin
    entity_label: str | None = None
    place: str | None = None
    country: str | None = None
    seen_on: date | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The API's representation."""
        document: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "bulletin_id": self.bulletin_id,
            "version": self.version,
            "organisation": self.org,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
            "verified": self.verified,
        }
        if not self.verified:
            document["problem"] = self.problem
        elif self.kind == CommentKind.COMMENT:
            document["text"] = self.text
        else:
            document.update(
                entity=self.entity,
                entity_label=self.entity_label,
                place=self.place,
                country=self.country,
                seen_on=self.seen_on.isoformat() if self.seen_on else None,
                note=self.note,
            )
        return document


@dataclass(frozen=True)
class OpenSighting:
    """A verified sighting for the link graph: the series, the entity's ref, where and when."""

    id: str
    series_id: str
    bulletin_id: str
    ref: str
    on: date
    place: str
    country: str | None
    org: str


# -- input ---------------------------------------------------------------------------------


def _text(raw: Any, name: str, limit: int, *, required: bool) -> str | None:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise InvalidInput(gettext("Must be text."), field=name)
    value = raw.strip()
    if not value:
        if required:
            raise InvalidInput(gettext("This field is required."), field=name)
        return None
    if len(value) > limit:
        raise InvalidInput(gettext("At most %(max)s characters.", max=limit), field=name)
    if _CONTROL.search(value):
        raise InvalidInput(gettext("Control characters are not allowed."), field=name)
    return value


def _seen_on(raw: Any, now: datetime) -> date:
    if raw in (None, ""):
        raise InvalidInput(gettext("The date of the sighting is required."), field="seen_on")
    if not isinstance(raw, str):
        raise InvalidInput(gettext("A date as YYYY-MM-DD."), field="seen_on")
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(gettext("A date as YYYY-MM-DD."), field="seen_on") from None
    if day > (now + _AHEAD).date():
        raise InvalidInput(
            gettext("The date of a sighting cannot be in the future."), field="seen_on"
        )
    return day


def _country(raw: Any) -> str | None:
    # Read generously, so that a name typed instead of a code ("Deutschland") is told what a
    # code is rather than how long it may be.
    value = _text(raw, "country", 200, required=False)
    if value is None:
        return None
    value = value.upper()
    if not COUNTRY.match(value):
        raise InvalidInput(
            gettext("A two-letter ISO 3166 country code, such as FR."), field="country"
        )
    return value


def parse_draft(document: Mapping[str, Any], content: BulletinContent, now: datetime) -> Draft:
    """Check a comment or sighting against the bulletin's content; InvalidInput names the field."""
    raw_kind = document.get("kind") or CommentKind.COMMENT.value
    try:
        kind = CommentKind(raw_kind)
    except ValueError:
        raise InvalidInput(gettext("Choose comment or sighting."), field="kind") from None
    if kind is CommentKind.COMMENT:
        return Draft(kind, text=_text(document.get("text"), "text", MAX_TEXT, required=True))
    ref = document.get("entity")
    refs = {entity.ref for entity in content.entities}
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidInput(
            gettext("Choose which of the bulletin's entities was seen."), field="entity"
        )
    if ref.strip() not in refs:
        raise InvalidInput(gettext("The bulletin names no such entity."), field="entity")
    return Draft(
        kind,
        entity=ref.strip(),
        place=_text(document.get("place"), "place", MAX_PLACE, required=True),
        country=_country(document.get("country")),
        seen_on=_seen_on(document.get("seen_on"), now),
        note=_text(document.get("note"), "note", MAX_NOTE, required=False),
    )


# -- sealing and signing ---------------------------------------------------------------------


def _context(row: BulletinComment, org_code: str) -> bytes:
    """What the sealed text is bound to besides the version and the comment's id."""
    return canonical_json(
        {
            "series": row.series_id,
            "org": org_code,
            "author": row.author_id,
            "kind": row.kind,
            "created_at": row.created_at.isoformat(timespec="microseconds"),
        }
    )


def _claims(row: BulletinComment, org_code: str, version: int) -> dict[str, Any]:
    return {
        "comment": row.id,
        "bulletin": row.bulletin_id,
        "series": row.series_id,
        "version": version,
        "org": org_code,
        "author": row.author_id,
        "kind": row.kind,
        "created_at": row.created_at.isoformat(timespec="microseconds"),
        "sealed_sha256": comment_digest(row.sealed),
    }


def _refuse_closed(bulletin: Bulletin) -> None:
    state = BulletinState(bulletin.state)
    if state is BulletinState.RETRACTED:
        raise Conflict(gettext("This bulletin was retracted: it takes no new comments."))
    if state is BulletinState.EXPIRED:
        raise Conflict(gettext("This bulletin expired: it takes no new comments."))
    if state is BulletinState.SUPERSEDED:
        raise Conflict(
            gettext(
                "Version %(version)s of this bulletin was amended: comment on the current "
                "version instead.",
                version=bulletin.version,
            )
        )


def post_comment(
    reader: Reader,
    actor: Actor,
    bulletin_id: str,
    document: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> Comment:
    """Seal, sign and store a comment or sighting on a bulletin the reader can read.

    NotFound if the reader may not see it; Conflict (409) for a retracted, expired, amended or
    tampered bulletin; InvalidInput naming the field for bad input. Nothing is written unless
    all is well; the audit record is in the same transaction.
    """
    now = now or utcnow()
    session = db.session()
    bulletin = visible_bulletin(reader, bulletin_id, session)
    _refuse_closed(bulletin)
    opened = reading.open_bulletin(session, reader.org_code, bulletin, now=now)
    if opened is reading.Unopened.TAMPERED:
        raise Conflict(str(reading.TAMPERED))
    if isinstance(opened, reading.Unopened):
        raise Conflict(gettext("This bulletin can no longer be opened: it takes no new comments."))
    draft = parse_draft(document, opened.content, now)
    row = BulletinComment(
        id=secrets.token_hex(16),
        series_id=bulletin.series_id,
        bulletin_id=bulletin.id,
        org_id=reader.org_id,
        author_id=reader.user_id,
        kind=draft.kind.value,
        created_at=now,
    )
    row.sealed = seal_comment(
        opened.envelope.content_key,
        bulletin.id,
        row.id,
        draft.payload(),
        _context(row, reader.org_code),
    )
    signer = org_keys.private_bundle(reader.org_code)
    row.statement = sign_statement(
        DOMAIN, _claims(row, reader.org_code, bulletin.version), signer
    ).to_json()
    version, sender_org_id = bulletin.version, bulletin.sender_org_id
    with db.write() as write:
        current = write.scalars(
            select(Bulletin)
            .where(Bulletin.id == bulletin_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        _refuse_closed(current)  # retracted or amended meanwhile
        write.add(row)
        audit.record(
            write,
            "bulletin.commented",
            actor,
            subject_org=sender_org_id,
            details={
                "bulletin": bulletin_id,
                "comment": row.id,
                "kind": row.kind,
                "version": version,
            },
        )
    author = session.get(User, reader.user_id)
    org = session.get_one(Organisation, reader.org_id)
    return _shown(row, version, org, author, draft, opened.content)


def _shown(
    row: BulletinComment,
    version: int,
    org: Organisation,
    author: User | None,
    draft: Draft,
    content: BulletinContent,
) -> Comment:
    label = next((e.value for e in content.entities if e.ref == draft.entity), None)
    return Comment(
        id=row.id,
        kind=row.kind,
        bulletin_id=row.bulletin_id,
        version=version,
        org=org.code,
        org_name=org.name,
        author=author.name if author else None,
        created_at=row.created_at,
        verified=True,
        text=draft.text,
        entity=draft.entity,
        entity_label=label,
        place=draft.place,
        country=draft.country,
        seen_on=draft.seen_on,
        note=draft.note,
    )


# -- reading ---------------------------------------------------------------------------------


def _parse_payload(payload: bytes, kind: str) -> Draft:
    document = json.loads(payload)
    if document.get("format") != FORMAT or document.get("kind") != kind:
        raise ValueError("not a comment of this kind")
    seen_on = document.get("seen_on")
    return Draft(
        CommentKind(kind),
        text=document.get("text"),
        entity=document.get("entity"),
        place=document.get("place"),
        country=document.get("country"),
        seen_on=date.fromisoformat(seen_on) if seen_on else None,
        note=document.get("note"),
    )


def _open_row(
    row: BulletinComment, org_code: str, version: Bulletin, opened: reading.OpenedBulletin
) -> Draft | None:
    """The comment's draft if its signature and sealed text verify; None otherwise."""
    try:
        statement = SignedStatement.from_json(row.statement)
        claims = verify_statement(statement, DOMAIN, org_keys.directory())
    except (TamperedEnvelope, BadSignature, UnknownKeyVersion, ValueError, KeyError):
        return None
    if statement.org != org_code or claims != _claims(row, org_code, version.version):
        return None
    try:
        payload = open_comment(
            opened.envelope.content_key,
            row.bulletin_id,
            row.id,
            row.sealed,
            _context(row, org_code),
        )
        return _parse_payload(payload, row.kind)
    except (EnvelopeError, ValueError, KeyError, TypeError):
        return None


def _visible_rows(
    session: Session, reader: Reader, series_ids: Sequence[str]
) -> list[tuple[BulletinComment, Bulletin, str, str, str | None]]:
    """Comments of ``series_ids`` on versions the reader's organisation has a key to."""
    query = (
        select(BulletinComment, Bulletin, Organisation.code, Organisation.name, User.name)
        .join(Bulletin, Bulletin.id == BulletinComment.bulletin_id)
        .join(
            BulletinRecipient,
            (BulletinRecipient.bulletin_id == BulletinComment.bulletin_id)
            & (BulletinRecipient.org_id == reader.org_id),
        )
        .join(Organisation, Organisation.id == BulletinComment.org_id)
        .outerjoin(User, User.id == BulletinComment.author_id)
        .where(BulletinComment.series_id.in_(series_ids))
        .order_by(BulletinComment.created_at, BulletinComment.id)
    )
    return [tuple(r) for r in session.execute(query)]  # type: ignore[misc]


def _opened_versions(
    session: Session, reader: Reader, versions: Sequence[Bulletin], now: datetime
) -> dict[str, reading.OpenedBulletin]:
    if not versions:
        return {}
    keyring = org_keys.keyring(reader.org_code)
    found = {}
    for version in {v.id: v for v in versions}.values():
        opened = reading.open_bulletin(session, reader.org_code, version, now=now, keyring=keyring)
        if isinstance(opened, reading.OpenedBulletin):
            found[version.id] = opened
    return found


def list_comments(
    reader: Reader, bulletin_id: str, *, now: datetime | None = None
) -> list[Comment]:
    """The comments and sightings of the bulletin's series the reader's organisation can open,
    oldest first. NotFound if the reader may not see the bulletin. Records nothing."""
    now = now or utcnow()
    session = db.session()
    bulletin = visible_bulletin(reader, bulletin_id, session)
    rows = _visible_rows(session, reader, [bulletin.series_id])
    opened = _opened_versions(session, reader, [r[1] for r in rows], now)
    shown = []
    for row, version, org_code, org_name, author in rows:
        version_opened = opened.get(version.id)
        if version_opened is None:
            continue  # the version ended (shredded with its comments) or does not verify
        base = Comment(
            id=row.id,
            kind=row.kind,
            bulletin_id=row.bulletin_id,
            version=version.version,
            org=org_code,
            org_name=org_name,
            author=author,
            created_at=row.created_at,
            verified=False,
            problem=str(FAILED),
        )
        draft = _open_row(row, org_code, version, version_opened)
        if draft is None:
            shown.append(base)
            continue
        content = version_opened.content
        label = next((e.value for e in content.entities if e.ref == draft.entity), None)
        shown.append(
            Comment(
                **{
                    **base.__dict__,
                    "verified": True,
                    "problem": None,
                    "text": draft.text,
                    "entity": draft.entity,
                    "entity_label": label,
                    "place": draft.place,
                    "country": draft.country,
                    "seen_on": draft.seen_on,
                    "note": draft.note,
                }
            )
        )
    return shown


def read_comments(
    reader: Reader, actor: Actor, bulletin_id: str, *, now: datetime | None = None
) -> list[Comment]:
    """:func:`list_comments`, with the read recorded (committed before anything is answered)."""
    comments = list_comments(reader, bulletin_id, now=now)
    count = len(comments)

    def record(session: Session) -> None:
        audit.record(
            session,
            "bulletin.comments_read",
            actor,
            details={"bulletin": bulletin_id, "count": count},
        )

    audit_commit.commit(record)
    return comments


def sightings(reader: Reader, *, now: datetime | None = None) -> list[OpenSighting]:
    """Every verified sighting the reader's organisation can open, for its link graph."""
    now = now or utcnow()
    session = db.session()
    series_ids = list(
        session.scalars(
            select(BulletinComment.series_id)
            .join(
                BulletinRecipient,
                (BulletinRecipient.bulletin_id == BulletinComment.bulletin_id)
                & (BulletinRecipient.org_id == reader.org_id),
            )
            .where(BulletinComment.kind == CommentKind.SIGHTING.value)
            .distinct()
        )
    )
    if not series_ids or not reader.sees_bulletins:
        return []
    rows = [r for r in _visible_rows(session, reader, series_ids) if r[0].kind == "sighting"]
    opened = _opened_versions(session, reader, [r[1] for r in rows], now)
    found = []
    for row, version, org_code, _name, _author in rows:
        version_opened = opened.get(version.id)
        draft = (
            None if version_opened is None else _open_row(row, org_code, version, version_opened)
        )
        if draft is None or draft.entity is None or draft.seen_on is None or not draft.place:
            continue
        found.append(
            OpenSighting(
                row.id,
                row.series_id,
                row.bulletin_id,
                draft.entity,
                draft.seen_on,
                draft.place,
                draft.country,
                org_code,
            )
        )
    return found


def stamp(reader: Reader) -> tuple[Any, ...]:
    """A cheap stamp of the sightings the organisation may see (the graph cache's check)."""
    return tuple(
        db.session()
        .execute(
            select(func.count(), func.max(BulletinComment.created_at))
            .join(
                BulletinRecipient,
                (BulletinRecipient.bulletin_id == BulletinComment.bulletin_id)
                & (BulletinRecipient.org_id == reader.org_id),
            )
            .where(BulletinComment.kind == CommentKind.SIGHTING.value)
        )
        .one()
    )
