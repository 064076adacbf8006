"""Access requests: asking an originator for bulletins learnt of by a discovery hit.

The requester names an identifier (typed in the search, or an entity of a bulletin they are
reading) and an originating organisation; the bulletins are found again here, on the server,
so the requester never handles, and never learns, the id of a bulletin it cannot read. One
request row is stored per hidden bulletin, so the originator decides on each bulletin.

The originator's liaison officers see pending requests with the bulletin's title (decrypted for
the originator) and approve (a release: ``crypto.grant``) or decline. Audit details of the
requester's side name request ids, not bulletin ids: the requester's administrators read them.
The reason is sealed at rest (``sealed_text``), bound to the bulletin and the asking
organisation; both organisations read it (the originator on its incoming requests, the asker on
its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.i18n import when
from portal.models import (
    AccessRequest,
    AccessRequestState,
    Bulletin,
    BulletinRecipient,
    Organisation,
    Role,
    User,
    utcnow,
)
from portal.services import audit, sealed_text
from portal.services.bulletins import lifecycle
from portal.services.bulletins.access import visible_bulletin
from portal.services.bulletins.reading import Unopened, open_bulletin
from portal.services.discovery import hits as discovery
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.principals import Actor, Reader

MAX_REASON = 500
DECIDED_LISTED = 20
OWN_LISTED = 50


@dataclass(frozen=True)
class IncomingRequest:
    """A request as the originator sees it."""

    id: int
    bulletin_id: str
    title: str | None
    marking: str
    version: int
    requester_org: str
    requester_name: str
    requester_email: str
    created_at: datetime
    reason: str | None
    state: str
    decided_at: datetime | None
    decided_by: str | None


@dataclass(frozen=True)
class OwnRequest:
    """A request as the requesting organisation sees it: no bulletin id until approved."""

    id: int
    to_org: str
    requester_email: str
    created_at: datetime
    state: str
    decided_at: datetime | None
    bulletin_id: str | None  # set once approved: the bulletin is readable then
    reason: str | None = None
    requester_name: str = ""


def _reason_of(request: AccessRequest) -> str | None:
    return sealed_text.open_text(
        sealed_text.ACCESS_REQUEST_REASON,
        sealed_text.access_request_context(request.bulletin_id, request.requester_org_id),
        request.reason_sealed,
    )


def _clean_reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > MAX_REASON:
        raise InvalidInput(
            gettext("Write at most %(max)s characters.", max=MAX_REASON), field="reason"
        )
    return text or None


def _originator_org(session: Session, org_code: str) -> Organisation:
    code = (org_code or "").strip().upper()
    org = session.scalar(select(Organisation).where(Organisation.code == code)) if code else None
    if org is None:
        raise InvalidInput(gettext("Choose an organisation from the hits."), field="org")
    return org


def _create(
    reader: Reader,
    actor: Actor,
    org: Organisation,
    hidden: set[str],
    reason: str | None,
    now: datetime,
) -> int:
    """Store one pending request per hidden bulletin not already asked for; returns how many."""
    if not hidden:
        raise InvalidInput(
            gettext(
                "%(org)s has no bulletin naming this that your organisation cannot read.",
                org=org.code,
            ),
            field="org",
        )
    with db.write() as session:
        # Locking the bulletins serialises two colleagues asking at once (PostgreSQL; SQLite's
        # write transaction already does), so a bulletin never gets two pending requests.
        session.scalars(
            select(Bulletin.id).where(Bulletin.id.in_(sorted(hidden))).with_for_update()
        ).all()
        asked = set(
            session.scalars(
                select(AccessRequest.bulletin_id).where(
                    AccessRequest.requester_org_id == reader.org_id,
                    AccessRequest.state == AccessRequestState.PENDING.value,
                    AccessRequest.bulletin_id.in_(sorted(hidden)),
                )
            )
        )
        fresh = sorted(hidden - asked)
        if not fresh:
            raise Conflict(
                gettext(
                    "Your organisation has already asked %(org)s about this; the request is "
                    "pending.",
                    org=org.code,
                ),
                field="org",
            )
        for bulletin_id in fresh:
            request = AccessRequest(
                bulletin_id=bulletin_id,
                requester_org_id=reader.org_id,
                requester_id=reader.user_id,
                reason_sealed=sealed_text.seal(
                    sealed_text.ACCESS_REQUEST_REASON,
                    sealed_text.access_request_context(bulletin_id, reader.org_id),
                    reason,
                ),
                state=AccessRequestState.PENDING.value,
                created_at=now,
            )
            session.add(request)
            session.flush()
            audit.record(
                session,
                "bulletin.access_requested",
                actor,
                subject_org=org.id,
                details={"request": request.id, "to": org.code},
            )
    return len(fresh)


def ask_about_query(
    reader: Reader,
    actor: Actor,
    query: str,
    platform: str | None,
    org_code: str,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Ask ``org_code`` for the bulletins naming a searched identifier that the reader cannot
    read. Returns how many requests were made. Raises InvalidInput naming the field, Conflict.
    """
    reason = _clean_reason(reason)
    session = db.session()
    by_org = discovery.hidden_for_query(session, reader, query, platform)
    org = _originator_org(session, org_code)
    return _create(reader, actor, org, by_org.get(org.id, set()), reason, now or utcnow())


def ask_about_entity(
    reader: Reader,
    actor: Actor,
    bulletin_id: str,
    entity_ref: str,
    org_code: str,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Ask ``org_code`` for the hidden bulletins naming an entity of a bulletin being read."""
    now = now or utcnow()
    session = db.session()
    bulletin = visible_bulletin(reader, bulletin_id, session)
    reason = _clean_reason(reason)
    opened = open_bulletin(session, reader.org_code, bulletin, now=now)
    if opened is Unopened.ENDED:
        raise Conflict(
            gettext("This bulletin's content is destroyed: nothing in it can be looked for.")
        )
    if isinstance(opened, Unopened):  # the read page shows why; nothing here may be looked for
        raise Conflict(gettext("This bulletin cannot be opened, so its entities cannot be used."))
    by_org = discovery.hidden_for_entity(
        session, reader, opened.content, bulletin.sender, entity_ref
    )
    org = _originator_org(session, org_code)
    return _create(reader, actor, org, by_org.get(org.id, set()), reason, now)


def _incoming_query(reader: Reader) -> Select[AccessRequest, Bulletin, Organisation, User]:
    return (
        select(AccessRequest, Bulletin, Organisation, User)
        .join(Bulletin, Bulletin.id == AccessRequest.bulletin_id)
        .join(Organisation, Organisation.id == AccessRequest.requester_org_id)
        .join(User, User.id == AccessRequest.requester_id)
        .where(Bulletin.sender_org_id == reader.org_id)
    )


def _check_originator_role(reader: Reader) -> None:
    if not reader.sees_bulletins:
        raise NotFound()
    if not reader.has_role(Role.LIAISON):
        raise Forbidden(gettext("Only liaison officers answer access requests."))


def pending_count(reader: Reader) -> int:
    """How many requests for the organisation's bulletins wait for an answer (0 for anyone
    who may not answer them)."""
    if not reader.sees_bulletins or not reader.has_role(Role.LIAISON):
        return 0
    mine = select(Bulletin.id).where(Bulletin.sender_org_id == reader.org_id)
    return int(
        db.session().scalar(
            select(func.count())
            .select_from(AccessRequest)
            .where(
                AccessRequest.state == AccessRequestState.PENDING.value,
                AccessRequest.bulletin_id.in_(mine),
            )
        )
        or 0
    )


def incoming(reader: Reader, *, now: datetime | None = None) -> tuple[list[IncomingRequest], ...]:
    """(pending, recently decided) requests for the reader's organisation's bulletins."""
    _check_originator_role(reader)
    now = now or utcnow()
    session = db.session()
    pending_rows = session.execute(
        _incoming_query(reader)
        .where(AccessRequest.state == AccessRequestState.PENDING.value)
        .order_by(AccessRequest.created_at, AccessRequest.id)
    ).all()
    decided_rows = session.execute(
        _incoming_query(reader)
        .where(AccessRequest.state != AccessRequestState.PENDING.value)
        .order_by(AccessRequest.decided_at.desc(), AccessRequest.id.desc())
        .limit(DECIDED_LISTED)
    ).all()
    decider_ids = {row[0].decided_by_id for row in decided_rows if row[0].decided_by_id}
    deciders = {
        user_id: email
        for user_id, email in session.execute(
            select(User.id, User.email).where(User.id.in_(decider_ids))
        )
    }
    titles: dict[str, str | None] = {}

    def describe(row: Row[AccessRequest, Bulletin, Organisation, User]) -> IncomingRequest:
        request, bulletin, org, user = row
        if bulletin.id not in titles:
            opened = open_bulletin(session, reader.org_code, bulletin, now=now)
            titles[bulletin.id] = None if isinstance(opened, Unopened) else opened.content.title
        return IncomingRequest(
            id=request.id,
            bulletin_id=bulletin.id,
            title=titles[bulletin.id],
            marking=bulletin.marking,
            version=bulletin.version,
            requester_org=org.code,
            requester_name=user.name,
            requester_email=user.email,
            created_at=request.created_at,
            reason=_reason_of(request),
            state=request.state,
            decided_at=request.decided_at,
            decided_by=deciders.get(request.decided_by_id or 0),
        )

    return [describe(row) for row in pending_rows], [describe(row) for row in decided_rows]


def _pending_request(session: Session, reader: Reader, request_id: int) -> AccessRequest:
    """A request about one of the reader's organisation's bulletins, locked; NotFound otherwise."""
    _check_originator_role(reader)
    request = session.scalar(
        select(AccessRequest)
        .join(Bulletin, Bulletin.id == AccessRequest.bulletin_id)
        .where(AccessRequest.id == request_id, Bulletin.sender_org_id == reader.org_id)
        .with_for_update(of=AccessRequest)
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise NotFound()
    if request.state != AccessRequestState.PENDING.value:
        # A colleague's answer (or a double submission) came first: name the answer that stands.
        by = session.get(User, request.decided_by_id) if request.decided_by_id else None
        approved = request.state == AccessRequestState.APPROVED.value
        if by is not None and request.decided_at is not None:
            done = (
                gettext(
                    "This request was already approved by %(person)s on %(when)s.",
                    person=by.email,
                    when=when(request.decided_at),
                )
                if approved
                else gettext(
                    "This request was already declined by %(person)s on %(when)s.",
                    person=by.email,
                    when=when(request.decided_at),
                )
            )
        else:
            done = (
                gettext("This request was already approved.")
                if approved
                else gettext("This request was already declined.")
            )
        raise Conflict(done)
    return request


def approve(
    reader: Reader, actor: Actor, request_id: int, *, now: datetime | None = None
) -> AccessRequest:
    """Release the bulletin to the requesting organisation (a signed grant) and say so."""
    now = now or utcnow()
    with db.write() as session:
        request = _pending_request(session, reader, request_id)
        bulletin = session.scalar(
            select(Bulletin)
            .where(Bulletin.id == request.bulletin_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if bulletin is None:
            raise NotFound()
        # A superseded version may be what the requester found; the originator decides on it.
        lifecycle.refuse_unless_releasable(bulletin, now, superseded_ok=True)
        org = session.get_one(Organisation, request.requester_org_id)
        holds = session.get(BulletinRecipient, (bulletin.id, org.id)) is not None
        if not holds:
            lifecycle.grant_access(session, reader, actor, bulletin, org, now, via="request")
        request.state = AccessRequestState.APPROVED.value
        request.decided_at = now
        request.decided_by_id = reader.user_id
        audit.record(
            session,
            "bulletin.access_approved",
            actor,
            subject_org=org.id,
            details={"request": request.id, "bulletin": bulletin.id, "to": org.code},
        )
    return request


def decline(
    reader: Reader, actor: Actor, request_id: int, *, now: datetime | None = None
) -> AccessRequest:
    """Refuse a request; the requester sees "declined" and still no id or title."""
    now = now or utcnow()
    with db.write() as session:
        request = _pending_request(session, reader, request_id)
        request.state = AccessRequestState.DECLINED.value
        request.decided_at = now
        request.decided_by_id = reader.user_id
        org = session.get_one(Organisation, request.requester_org_id)
        audit.record(
            session,
            "bulletin.access_declined",
            actor,
            subject_org=org.id,
            details={"request": request.id, "to": org.code},
        )
    return request


def own_requests(reader: Reader) -> list[OwnRequest]:
    """The reader's organisation's requests, newest first; ids only for approved ones."""
    if not reader.sees_bulletins:
        raise NotFound()
    session = db.session()
    rows = session.execute(
        select(AccessRequest, Organisation.code, User.email, User.name)
        .join(Bulletin, Bulletin.id == AccessRequest.bulletin_id)
        .join(Organisation, Organisation.id == Bulletin.sender_org_id)
        .join(User, User.id == AccessRequest.requester_id)
        .where(AccessRequest.requester_org_id == reader.org_id)
        .order_by(AccessRequest.created_at.desc(), AccessRequest.id.desc())
        .limit(OWN_LISTED)
    ).all()
    return [
        OwnRequest(
            id=request.id,
            to_org=code,
            requester_email=email,
            created_at=request.created_at,
            state=request.state,
            decided_at=request.decided_at,
            bulletin_id=(
                request.bulletin_id if request.state == AccessRequestState.APPROVED.value else None
            ),
            reason=_reason_of(request),
            requester_name=name or "",
        )
        for request, code, email, name in rows
    ]
