"""Briefing copies: the record of each PDF made, its delivery, and the audit trail of both.

Every copy gets a short random id that is printed on every page, so a copy found where it
should not be names the user, the organisation and the moment it was made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from crypto.canonical import canonical_json
from crypto.secretbox import derive_key
from portal import vault
from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, language_or_none
from portal.models import (
    AuditRecord,
    BriefingCopy,
    BriefingState,
    Bulletin,
    Organisation,
    User,
    utcnow,
)
from portal.services import audit
from portal.services.briefings.selection import BriefingRequest, selection_words
from portal.services.briefings.summary import Previous
from portal.services.errors import NotFound
from portal.services.principals import Actor, Reader

COPY_ID_LENGTH = 12  # hex characters: 48 random bits, short enough to read off a page
REQUESTED = "briefing.requested"
PREVIOUS_LOOKBACK = 200  # of the user's own briefing requests, newest first


def new_copy_id() -> str:
    return secrets.token_hex(COPY_ID_LENGTH // 2)


def start_copy(
    reader: Reader,
    actor: Actor,
    bulletins: Sequence[Bulletin],
    marking: str,
    *,
    state: BriefingState,
    now: datetime | None = None,
    selection: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> BriefingCopy:
    """Record a new copy (rendering now, or queued) and audit the request; ``language`` is
    the one the briefing is written in.

    ``selection`` (from :func:`selection_key`) lets a later briefing of the same selection
    find this one and say what is new since.
    """
    copy = BriefingCopy(
        id=new_copy_id(),
        org_id=reader.org_id,
        user_id=reader.user_id,
        created_at=now or utcnow(),
        state=state.value,
        marking=marking,
        bulletin_ids=[b.id for b in bulletins],
        language=language_or_none(language) or DEFAULT_LANGUAGE,
    )
    details: dict[str, audit.Scalar | list[audit.Scalar]] = {
        "copy": copy.id,
        "marking": marking,
        "bulletins": [b.id for b in bulletins],
        "queued": state is BriefingState.QUEUED,
    }
    if selection is not None:
        details["selection"] = selection
    with db.write() as session:
        session.add(copy)
        audit.record(session, REQUESTED, actor, subject_org=reader.org_id, details=details)
    return copy


def selection_key(request: BriefingRequest) -> str:
    """A keyed digest of what makes briefings "the same selection" (the words of
    :func:`~portal.services.briefings.selection.selection_words`): the audit trail keeps it
    without saying which entity or filter was briefed."""
    key = derive_key(vault.derivation_root(), b"briefing-selection", 32)
    words = canonical_json(selection_words(request))
    return hmac.new(key, words, hashlib.sha256).hexdigest()[:32]


def previous_briefing(copy: BriefingCopy) -> Previous | None:
    """The same user's last briefing of the same selection made before ``copy`` (rendered,
    not failed); None when there is none, or the copy was requested without a selection."""
    session = db.session()
    requests = session.scalars(
        select(AuditRecord)
        .where(AuditRecord.event == REQUESTED, AuditRecord.actor_user_id == copy.user_id)
        .order_by(AuditRecord.seq.desc())
        .limit(PREVIOUS_LOOKBACK)
    ).all()
    mine = next((r for r in requests if r.details.get("copy") == copy.id), None)
    wanted = mine.details.get("selection") if mine is not None else None
    if not wanted:
        return None
    earlier = [
        str(r.details["copy"])
        for r in requests
        if r.seq < mine.seq and r.details.get("selection") == wanted  # type: ignore[union-attr]
    ]
    if not earlier:
        return None
    done = {BriefingState.READY.value, BriefingState.DELIVERED.value}
    found = {
        c.id: c
        for c in session.scalars(select(BriefingCopy).where(BriefingCopy.id.in_(earlier)))
        if c.state in done
    }
    chosen = next((found[cid] for cid in earlier if cid in found), None)
    if chosen is None:
        return None
    return Previous(chosen.id, chosen.created_at, frozenset(chosen.bulletin_ids))


@dataclass(frozen=True)
class QueuedCopy:
    """A copy waiting for a queue worker, with its user and their organisation as they are now."""

    copy: BriefingCopy
    user: User
    organisation: Organisation


def queued_copy(copy_id: str) -> QueuedCopy | None:
    """The copy if it still waits for a worker; None once it is made, failed or gone."""
    session = db.session()
    copy = session.get(BriefingCopy, copy_id)
    if copy is None or copy.state != BriefingState.QUEUED.value:
        return None
    user = session.get_one(User, copy.user_id)
    return QueuedCopy(copy, user, session.get_one(Organisation, user.organisation_id))


def set_state(copy_id: str, state: BriefingState) -> None:
    with db.write() as session:
        session.execute(
            update(BriefingCopy).where(BriefingCopy.id == copy_id).values(state=state.value)
        )


def finish_copy(
    copy_id: str,
    actor: Actor,
    *,
    pages: int,
    size: int,
    content_sha256: str,
    pdf_sha256: str,
    delivered: bool,
) -> None:
    """The copy is rendered and signed: ready in the queue, or delivered in this request."""
    now = utcnow()
    with db.write() as session:
        copy = session.get_one(BriefingCopy, copy_id)
        copy.state = (BriefingState.DELIVERED if delivered else BriefingState.READY).value
        copy.finished_at = now
        copy.page_count = pages
        copy.size = size
        copy.content_sha256 = content_sha256
        copy.pdf_sha256 = pdf_sha256
        details: dict[str, audit.Scalar] = {
            "copy": copy_id,
            "pages": pages,
            "pdf_sha256": pdf_sha256,
        }
        audit.record(session, "briefing.rendered", actor, subject_org=copy.org_id, details=details)
        if delivered:
            audit.record(
                session, "briefing.downloaded", actor, subject_org=copy.org_id, details=details
            )


def fail_copy(copy_id: str, actor: Actor, reason: str) -> None:
    with db.write() as session:
        copy = session.get_one(BriefingCopy, copy_id)
        copy.state = BriefingState.FAILED.value
        copy.finished_at = utcnow()
        copy.error = reason[:300]
        audit.record(
            session,
            "briefing.rendered",
            actor,
            outcome="failed",
            subject_org=copy.org_id,
            details={"copy": copy_id, "reason": reason[:300]},
        )


def record_download(copy: BriefingCopy, actor: Actor) -> None:
    with db.write() as session:
        session.execute(
            update(BriefingCopy)
            .where(BriefingCopy.id == copy.id)
            .values(state=BriefingState.DELIVERED.value)
        )
        audit.record(
            session,
            "briefing.downloaded",
            actor,
            subject_org=copy.org_id,
            details={"copy": copy.id, "pages": copy.page_count, "pdf_sha256": copy.pdf_sha256},
        )


def record_verification(
    actor: Actor, data: bytes, copy: BriefingCopy | None, problem: str | None, *, whole: bool
) -> None:
    """Who checked which file, and what the portal answered: a copy found, or why not.

    The record goes to the checking user's organisation's trail only: another ministry's
    administrators do not see who in this one holds a copy of their briefing. ``whole`` is
    False when the upload was cut at the size limit (no digest of a part is recorded).
    """
    details: dict[str, str] = {}
    if whole:
        details["file_sha256"] = hashlib.sha256(data).hexdigest()
    if copy is not None:
        details["copy"] = copy.id
    if problem is not None:
        details["problem"] = problem[:300]
    with db.write() as session:
        audit.record(
            session,
            "briefing.verified",
            actor,
            outcome="failure" if problem else "success",
            subject_org=actor.org_id,
            details=details,
        )


def own_copy(reader: Reader, copy_id: str) -> BriefingCopy:
    """A copy the reader asked for; NotFound for anyone else's, whatever the organisation."""
    copy = db.session().scalar(
        select(BriefingCopy).where(
            BriefingCopy.id == copy_id, BriefingCopy.user_id == reader.user_id
        )
    )
    if copy is None or len(copy_id) != COPY_ID_LENGTH:
        raise NotFound()
    return copy


def recent_copies(reader: Reader, limit: int = 20) -> list[BriefingCopy]:
    return list(
        db.session().scalars(
            select(BriefingCopy)
            .where(BriefingCopy.user_id == reader.user_id)
            .order_by(BriefingCopy.created_at.desc())
            .limit(limit)
        )
    )


def find_copy(copy_id: str) -> BriefingCopy | None:
    """Any copy by id, for verification: says for whom a found copy was made."""
    return db.session().get(BriefingCopy, copy_id)
