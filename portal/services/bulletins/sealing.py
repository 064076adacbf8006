"""Posting a bulletin: validate, seal with ``crypto.seal``, and store it in one transaction.

The whole content (title included) goes into the envelope. The transaction that stores the
envelope's parts, the wrapped keys, the recipient rows, the blind-index tokens, the attachment
ciphertexts and the audit record either commits all of them or none.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, BinaryIO

from flask_babel import gettext
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from crypto import Envelope, seal
from portal.extensions import db
from portal.models import (
    Attachment,
    AttachmentChunk,
    Bulletin,
    BulletinRecipient,
    BulletinState,
    BulletinToken,
    Organisation,
    OrgKind,
    RecipientVia,
    Role,
    SharingGroup,
    SharingGroupMember,
    utcnow,
)
from portal.services import audit
from portal.services.bulletins import attachments as attachment_checks
from portal.services.bulletins import content as bulletin_content
from portal.services.bulletins import tags as tag_keys
from portal.services.bulletins import watch_matching
from portal.services.bulletins.attachments import CheckedUpload, Upload
from portal.services.bulletins.content import AttachmentInfo, BulletinContent, Category, Marking
from portal.services.bulletins.entities import content_keys
from portal.services.bulletins.store import add_keys, records_text, signature_text
from portal.services.bulletins.versions import superseded
from portal.services.errors import Conflict, Forbidden, InvalidInput, ServiceError
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader

DEFAULT_RETENTION = timedelta(days=730)
MAX_RETENTION = timedelta(days=3653)
_CHUNK_ROW = 1024 * 1024


@dataclass(frozen=True)
class Draft:
    """What an officer submits, from the form, the API or an import, as plain values."""

    document: dict[str, Any]  # title, summary, body, entities, relations
    category: str
    marking: str
    recipients: Sequence[str] = ()  # organisation codes
    groups: Sequence[int] = ()  # sharing group ids of the sender's organisation
    retain_until: date | None = None
    uploads: Sequence[Upload] = field(default=())
    # The STIX report (id, modified) a TAXII post seals, so that a newer version amends it.
    stix_report: tuple[str, str | None] | None = None
    # Compose and the API require evaluation and handling codes; a stock STIX bundle posted
    # over TAXII has none to give (its bulletin reads "not graded").
    require_grading: bool = True


@dataclass(frozen=True)
class _Checked:
    content: BulletinContent
    category: Category
    marking: Marking
    recipients: list[Organisation]
    expires_at: datetime
    uploads: list[CheckedUpload]


def _choice(kind: type[Category] | type[Marking], raw: str, name: str) -> Any:
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        # The same message as content's, which the compose form recognises and words its own.
        raise InvalidInput(bulletin_content.choose_one_of(allowed), field=name) from None


def resolve_recipients(
    session: Session, reader: Reader, codes: Sequence[str], groups: Sequence[int], marking: Marking
) -> list[Organisation]:
    """The recipient organisations named directly and through the sender's sharing groups."""
    wanted = {str(code).strip().upper() for code in codes if str(code).strip()}
    if groups and marking is Marking.RED:
        raise InvalidInput(
            gettext("TLP:RED goes only to organisations named one by one, not to sharing groups."),
            field="groups",
        )
    for group_id in groups:
        group = session.get(SharingGroup, group_id)
        if group is None or group.owner_org_id != reader.org_id:
            raise InvalidInput(gettext("No such sharing group."), field="groups")
        members = session.scalars(
            select(Organisation.code)
            .join(SharingGroupMember, SharingGroupMember.org_id == Organisation.id)
            .where(SharingGroupMember.group_id == group_id)
        )
        wanted.update(members)
    wanted.discard(reader.org_code)
    orgs = list(session.scalars(select(Organisation).where(Organisation.code.in_(wanted))))
    unknown = wanted - {org.code for org in orgs}
    if unknown:
        raise InvalidInput(
            gettext("No organisation %(code)s.", code=sorted(unknown)[0]), field="recipients"
        )
    platforms = sorted(org.code for org in orgs if org.kind is OrgKind.PLATFORM)
    if platforms:
        raise InvalidInput(
            gettext(
                "%(org)s is a platform partner: platforms receive referrals, not bulletins.",
                org=platforms[0],
            ),
            field="recipients",
        )
    if not orgs:
        raise InvalidInput(
            gettext("Choose at least one recipient organisation."), field="recipients"
        )
    return sorted(orgs, key=lambda org: org.code)


def retention_end(raw: date | None, now: datetime) -> datetime:
    if raw is None:
        return now + DEFAULT_RETENTION
    end = datetime.combine(raw, time(23, 59, 59), tzinfo=UTC)
    if end <= now:
        raise InvalidInput(
            gettext("The retention date must be in the future."), field="retain_until"
        )
    if end > now + MAX_RETENTION:
        raise InvalidInput(gettext("Bulletins are kept at most ten years."), field="retain_until")
    return end


def _latest_today(now: datetime) -> date:
    """The latest date anywhere on Earth now (UTC+14): a person born today where the officer
    is may be born 'tomorrow' in UTC."""
    return (now + timedelta(hours=14)).date()


def check_draft(session: Session, reader: Reader, draft: Draft, now: datetime) -> _Checked:
    """Every check that can fail, before anything is sealed or written."""
    if not reader.has_role(Role.LIAISON) or not reader.sees_bulletins:
        raise Forbidden(gettext("Only liaison officers of a ministry post bulletins."))
    content = bulletin_content.parse(dict(draft.document, attachments=[]))
    bulletin_content.check_links(content)
    bulletin_content.check_dates(draft.document, _latest_today(now))
    if draft.require_grading:
        bulletin_content.check_graded(content.grading)
    category = _choice(Category, draft.category, "category")
    marking = _choice(Marking, draft.marking, "marking")
    recipients = resolve_recipients(session, reader, draft.recipients, draft.groups, marking)
    expires_at = retention_end(draft.retain_until, now)
    uploads = attachment_checks.check_all(draft.uploads)
    return _Checked(content, category, marking, recipients, expires_at, uploads)


def problems(reader: Reader, draft: Draft, now: datetime | None = None) -> list[ServiceError]:
    """Every problem :func:`check_draft` would find in ``draft``, not only the first, each
    naming its field, so that a form can show them all at once. Attachments are not read here
    (their streams belong to the posting that failed): the caller adds that error if any."""
    now = now or utcnow()
    found: list[ServiceError] = list(
        bulletin_content.problems(dict(draft.document), graded=draft.require_grading)
    )
    found += bulletin_content.date_problems(draft.document, _latest_today(now))
    marking: Marking | None = None
    for check in (
        lambda: _choice(Category, draft.category, "category"),
        lambda: _choice(Marking, draft.marking, "marking"),
        lambda: retention_end(draft.retain_until, now),
    ):
        try:
            value = check()
        except InvalidInput as error:
            found.append(error)
        else:
            marking = value if isinstance(value, Marking) else marking
    try:
        # An unknown marking is reported above; recipients are checked as for TLP:AMBER.
        resolve_recipients(
            db.session(), reader, draft.recipients, draft.groups, marking or Marking.AMBER
        )
    except InvalidInput as error:
        found.append(error)
    return found


class _ChunkSpool:
    """Where an attachment's ciphertext goes while sealing: a temporary file, never plaintext."""

    def __init__(self) -> None:
        self.file: BinaryIO = tempfile.TemporaryFile()  # closed by seal_and_store
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return self.file.write(data)


def _seal(
    reader: Reader,
    checked: _Checked,
    now: datetime,
    key_versions: dict[str, int],
    *,
    version: int,
    supersedes: str | None,
) -> tuple[Envelope, BulletinContent, list[_ChunkSpool]]:
    infos = tuple(
        AttachmentInfo(
            id=f"a{i + 1}",
            filename=u.filename,
            content_type=u.content_type,
            size=u.size,
            sha256=u.sha256,
        )
        for i, u in enumerate(checked.uploads)
    )
    content = BulletinContent(
        title=checked.content.title,
        summary=checked.content.summary,
        body=checked.content.body,
        entities=checked.content.entities,
        relations=checked.content.relations,
        attachments=infos,
        grading=checked.content.grading,
        tags=checked.content.tags,
    )
    directory = org_keys.directory()
    spools = [_ChunkSpool() for _ in checked.uploads]
    envelope = seal(
        content.to_json(),
        sender=org_keys.private_bundle(reader.org_code, key_versions[reader.org_code]),
        recipients=[
            directory.public_bundle(org.code, key_versions[org.code]) for org in checked.recipients
        ],
        marking=checked.marking.value,
        now=now,
        expires_at=checked.expires_at,
        fields={
            "kind": bulletin_content.FORMAT,
            "category": checked.category.value,
            "version": version,
            "supersedes": supersedes,
        },
        attachments=[(u.stream, spool) for u, spool in zip(checked.uploads, spools, strict=True)],
    )
    return envelope, content, spools


def _store_attachments(
    session: Session, bulletin_id: str, checked: _Checked, spools: list[_ChunkSpool]
) -> None:
    for position, (upload, spool) in enumerate(zip(checked.uploads, spools, strict=True)):
        row = Attachment(
            bulletin_id=bulletin_id,
            position=position,
            size=upload.size,
            sealed_size=spool.size,
            sha256=upload.sha256,
        )
        session.add(row)
        session.flush()
        spool.file.seek(0)
        seq = 0
        while data := spool.file.read(_CHUNK_ROW):
            session.add(AttachmentChunk(attachment_id=row.id, seq=seq, data=data))
            seq += 1


def _recipient_keys(
    reader: Reader, recipients: list[Organisation], now: datetime
) -> dict[str, int]:
    """Every party's current key version (one query), generating keys for any that has none."""
    codes = [org.code for org in recipients] + [reader.org_code]
    versions = org_keys.current_versions(codes)
    missing = [code for code in codes if code not in versions]
    if missing:
        with db.write() as session:
            for code in missing:
                versions[code] = org_keys.ensure_keys(session, code, now=now).version
    return versions


def seal_and_store(
    reader: Reader,
    actor: Actor,
    draft: Draft,
    *,
    now: datetime | None = None,
    series: Bulletin | None = None,
    event: str = "bulletin.posted",
) -> Bulletin:
    """Check ``draft``, seal it and store everything in one transaction (see module doc)."""
    now = now or utcnow()
    checked = check_draft(db.session(), reader, draft, now)
    versions = _recipient_keys(reader, checked.recipients, now)
    version = 1 if series is None else series.version + 1
    envelope, content, spools = _seal(
        reader,
        checked,
        now,
        versions,
        version=version,
        supersedes=series.id if series else None,
    )
    try:
        with db.write() as session:
            bulletin = bulletin_row(reader, checked, envelope, content, now, version, series)
            if draft.stix_report is not None:
                bulletin.stix_report_id, bulletin.stix_modified = draft.stix_report
            if series is not None:
                # Locked so that two concurrent amendments of one version cannot both win.
                previous = session.scalar(
                    select(Bulletin)
                    .where(Bulletin.id == series.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
                if previous is None:
                    raise InvalidInput(
                        gettext("Only the current version of a bulletin can be amended.")
                    )
                if previous.state == BulletinState.SUPERSEDED.value:
                    # A colleague's amendment committed first: it stands, this one is refused.
                    raise superseded(session, previous)
                if previous.state != BulletinState.ACTIVE.value:
                    raise Conflict(
                        gettext(
                            "This bulletin was retracted meanwhile: it can no longer be "
                            "amended, and your changes were not saved."
                        )
                        if previous.state == BulletinState.RETRACTED.value
                        else gettext(
                            "This bulletin expired meanwhile: it can no longer be amended, "
                            "and your changes were not saved."
                        )
                    )
                previous.state = BulletinState.SUPERSEDED.value
                previous.ended_at = now
            session.add(bulletin)
            session.flush()
            add_keys(session, bulletin.id, envelope)
            add_recipients(session, reader, bulletin, checked.recipients, now)
            tokens = index_tokens(checked.content, reader.country)
            if tokens:
                session.execute(
                    insert(BulletinToken),
                    [{"token": token, "bulletin_id": bulletin.id} for token in tokens],
                )
            _store_attachments(session, bulletin.id, checked, spools)
            watch_matching.notify_watchers(
                session,
                bulletin,
                [reader.org_id, *(org.id for org in checked.recipients)],
                watch_matching.AMENDED if series else watch_matching.POSTED,
                now,
            )
            audit.record(
                session,
                event,
                actor,
                subject_org=reader.org_id,
                details={
                    "bulletin": bulletin.id,
                    "version": version,
                    "supersedes": series.id if series else None,
                    "category": checked.category.value,
                    "marking": checked.marking.value,
                    "recipients": [org.code for org in checked.recipients],
                    "entities": len(checked.content.entities),
                    "attachments": len(checked.uploads),
                },
            )
    finally:
        for spool in spools:
            spool.file.close()
    return bulletin


def index_tokens(content: BulletinContent, region: str | None) -> list[bytes]:
    """The blind-index tokens of a bulletin: its identifiers' (discovery, "names an entity")
    and its tags' under their own index key (the inbox's tag filter), so that an identifier
    search can never match a tag."""
    index = org_keys.blind_index()
    tokens = {index.token(key) for key in content_keys(content, region)}
    tag_index = org_keys.tag_index()
    tokens |= {tag_index.token(tag_keys.index_key(tag)) for tag in content.tags}
    return sorted(tokens)


def bulletin_row(
    reader: Reader,
    checked: _Checked,
    envelope: Envelope,
    content: BulletinContent,
    now: datetime,
    version: int,
    series: Bulletin | None,
) -> Bulletin:
    """The bulletin row for a sealed envelope: clear listing columns and the envelope's parts."""
    return Bulletin(
        id=envelope.id,
        sender_org_id=reader.org_id,
        author_id=reader.user_id,
        category=checked.category.value,
        marking=checked.marking.value,
        created_at=envelope.header.created_at,
        expires_at=checked.expires_at,
        state=BulletinState.ACTIVE.value,
        series_id=series.series_id if series else envelope.id,
        version=version,
        supersedes_id=series.id if series else None,
        content_size=len(envelope.content),
        entity_count=len(content.entities),
        attachment_count=len(checked.uploads),
        attachment_size=sum(u.size for u in checked.uploads),
        header=envelope.header_bytes,
        signature=signature_text(envelope),
        content=envelope.content,
        key_records=records_text(envelope),
    )


def add_recipients(
    session: Session,
    reader: Reader,
    bulletin: Bulletin,
    recipients: list[Organisation],
    now: datetime,
) -> None:
    """One recipient row per organisation that may read it: the sender, then each recipient."""
    rows = [(reader.org_id, RecipientVia.SENDER)] + [
        (o.id, RecipientVia.SEALED) for o in recipients
    ]
    session.execute(
        insert(BulletinRecipient),
        [
            {
                "bulletin_id": bulletin.id,
                "org_id": org_id,
                "via": via.value,
                "created_at": bulletin.created_at,
                "added_at": now,
                "added_by_id": reader.user_id,
            }
            for org_id, via in rows
        ],
    )


def post_bulletin(
    reader: Reader, actor: Actor, draft: Draft, *, now: datetime | None = None
) -> Bulletin:
    """Seal and distribute a new bulletin. Raises InvalidInput naming the field, or Forbidden."""
    return seal_and_store(reader, actor, draft, now=now)
