"""A bulletin's life after posting: release to one more organisation, retraction, expiry.

Release is ``crypto.grant``: the originator unwraps its own copy of the content key and wraps
it for the new organisation under a signed grant record; nothing is re-encrypted, and only the
originating organisation can do it (its key ring is the only one the grant accepts). That also
holds for TLP:RED, which the originator releases only after an explicit confirmation.

Retraction and expiry crypto-shred: every wrapped key, the content ciphertext and the attachment
chunks are deleted, with the blind-index tokens (a tombstone is not discoverable). The row stays
as a tombstone: id, sender, recipients, marking and times. Retracting any version retracts the
whole series, since earlier versions carry the same intelligence.

Each change is one transaction, audit record included.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crypto import EnvelopeError, EnvelopeExpired, grant
from portal.extensions import db
from portal.models import (
    AccessRequest,
    AccessRequestState,
    Bulletin,
    BulletinRecipient,
    BulletinState,
    BulletinToken,
    Organisation,
    OrgKind,
    RecipientVia,
    Role,
    utcnow,
)
from portal.services import audit, sealed_text
from portal.services.bulletins import watch_matching
from portal.services.bulletins.access import is_originator, visible_bulletin
from portal.services.bulletins.content import Marking
from portal.services.bulletins.store import destroy_content, envelope_of, replace_keys
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.organisations import keys as org_keys
from portal.services.principals import CLI, Actor, Reader

ENDED = _l("This bulletin's retention period has ended: it can no longer be shared.")


def originator_bulletin(
    reader: Reader, bulletin_id: str, session: Session | None = None
) -> Bulletin:
    """The bulletin if ``reader`` is a liaison officer of its originating organisation.

    NotFound for a bulletin the reader cannot see, and for one they can see but did not send:
    release and retraction are not theirs. Forbidden for the originator's other roles.
    """
    bulletin = visible_bulletin(reader, bulletin_id, session)
    if not is_originator(reader, bulletin):
        raise NotFound()
    if not reader.has_role(Role.LIAISON):
        raise Forbidden(
            gettext(
                "Only liaison officers of %(org)s release or retract its bulletins.",
                org=reader.org_code,
            )
        )
    return bulletin


def _locked(session: Session, bulletin_id: str) -> Bulletin:
    # FOR UPDATE on PostgreSQL (SQLite's write transaction already excludes other writers);
    # populate_existing so the checks below see the row as it is now.
    bulletin = session.scalar(
        select(Bulletin)
        .where(Bulletin.id == bulletin_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if bulletin is None:
        raise NotFound()
    return bulletin


def refuse_unless_releasable(bulletin: Bulletin, now: datetime, *, superseded_ok: bool) -> None:
    state = BulletinState(bulletin.state)
    if state is BulletinState.RETRACTED:
        raise Conflict(
            gettext("This bulletin was retracted: its content is destroyed and cannot be shared.")
        )
    if state is BulletinState.EXPIRED or bulletin.expires_at <= now:
        raise Conflict(str(ENDED))
    if state is BulletinState.SUPERSEDED and not superseded_ok:
        raise Conflict(
            gettext(
                "This version was superseded by an amendment. Release the current version instead."
            )
        )


def _target(session: Session, bulletin: Bulletin, org_code: str) -> Organisation:
    code = (org_code or "").strip().upper()
    if not code:
        raise InvalidInput(
            gettext("Choose the organisation to release the bulletin to."), field="org"
        )
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise InvalidInput(gettext("No organisation %(code)s.", code=code), field="org")
    if org.kind is OrgKind.PLATFORM:
        raise InvalidInput(
            gettext(
                "%(org)s is a platform partner: platforms receive referrals, not bulletins.",
                org=org.code,
            ),
            field="org",
        )
    if session.get(BulletinRecipient, (bulletin.id, org.id)) is not None:
        raise Conflict(
            gettext("%(org)s can already read this bulletin.", org=org.code), field="org"
        )
    return org


def _ensure_keys(org_code: str, now: datetime) -> None:
    # An organisation that never received a bulletin may have no keys yet (as at sealing).
    if not org_keys.has_keys(org_code):
        with db.write() as session:
            org_keys.ensure_keys(session, org_code, now=now)


def grant_access(
    session: Session,
    reader: Reader,
    actor: Actor,
    bulletin: Bulletin,
    org: Organisation,
    now: datetime,
    *,
    via: str,
) -> None:
    """Inside the caller's transaction: wrap the content key for ``org`` (a signed grant), add its
    recipient row, settle its pending requests for the bulletin, and audit ``bulletin.released``.
    """
    sender = session.get_one(Organisation, bulletin.sender_org_id)
    directory = org_keys.directory()
    try:
        granted = grant(
            envelope_of(session, bulletin),
            originator=org_keys.keyring(sender.code),
            recipient=directory.latest(org.code),
            directory=directory,
            now=now,
        )
    except EnvelopeExpired:
        raise Conflict(str(ENDED)) from None
    except EnvelopeError:
        raise Conflict(
            gettext(
                "This bulletin failed verification, so it cannot be released. "
                "Report this to your security officer."
            )
        ) from None
    replace_keys(session, bulletin, granted)
    session.add(
        BulletinRecipient(
            bulletin_id=bulletin.id,
            org_id=org.id,
            via=RecipientVia.RELEASED.value,
            created_at=bulletin.created_at,
            added_at=now,
            added_by_id=reader.user_id,
        )
    )
    session.flush()
    watch_matching.notify_watchers(session, bulletin, [org.id], watch_matching.RELEASED, now)
    session.execute(
        update(AccessRequest)
        .where(
            AccessRequest.bulletin_id == bulletin.id,
            AccessRequest.requester_org_id == org.id,
            AccessRequest.state == AccessRequestState.PENDING.value,
        )
        .values(
            state=AccessRequestState.APPROVED.value, decided_at=now, decided_by_id=reader.user_id
        )
    )
    audit.record(
        session,
        "bulletin.released",
        actor,
        subject_org=org.id,
        details={"bulletin": bulletin.id, "to": org.code, "marking": bulletin.marking, "via": via},
    )


def release_to(
    reader: Reader,
    actor: Actor,
    bulletin_id: str,
    org_code: str,
    *,
    confirm_red: bool = False,
    now: datetime | None = None,
) -> Organisation:
    """Release a bulletin to one more ministry or observer. Raises NotFound, Forbidden,
    InvalidInput (``org``, ``confirm_red``) or Conflict (already a recipient, ended, superseded).
    """
    now = now or utcnow()
    session = db.session()
    bulletin = originator_bulletin(reader, bulletin_id, session)
    refuse_unless_releasable(bulletin, now, superseded_ok=False)
    org = _target(session, bulletin, org_code)
    if bulletin.marking == Marking.RED.value and not confirm_red:
        raise InvalidInput(
            gettext("TLP:RED is for named recipients only: tick the box to confirm this release."),
            field="confirm_red",
        )
    _ensure_keys(org.code, now)
    with db.write() as session:
        bulletin = _locked(session, bulletin_id)
        refuse_unless_releasable(bulletin, now, superseded_ok=False)
        org = _target(session, bulletin, org.code)
        grant_access(session, reader, actor, bulletin, org, now, via="release")
    return org


def _shred(session: Session, bulletin: Bulletin, state: BulletinState, now: datetime) -> int:
    destroyed = destroy_content(session, bulletin)
    session.execute(delete(BulletinToken).where(BulletinToken.bulletin_id == bulletin.id))
    bulletin.state = state.value
    bulletin.ended_at = now
    return destroyed


def _close_requests(
    session: Session, bulletin_ids: list[str], now: datetime, decided_by: int | None
) -> None:
    # Nothing is left to release: pending requests are answered, not left hanging.
    session.execute(
        update(AccessRequest)
        .where(
            AccessRequest.bulletin_id.in_(bulletin_ids),
            AccessRequest.state == AccessRequestState.PENDING.value,
        )
        .values(state=AccessRequestState.DECLINED.value, decided_at=now, decided_by_id=decided_by)
    )


MAX_RETRACTION_REASON = 500
CONFIRM_RETRACT = _l("Tick the box to confirm that every version is destroyed for every recipient.")


def retraction_reason(reason: str | None) -> str | None:
    """The reason as stored: stripped, at most 500 characters, no control characters."""
    text = (reason or "").strip()
    if len(text) > MAX_RETRACTION_REASON:
        raise InvalidInput(
            gettext("Write at most %(max)s characters.", max=MAX_RETRACTION_REASON),
            field="reason",
        )
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInput(gettext("Control characters are not allowed."), field="reason")
    return text or None


def retraction_reason_of(bulletin: Bulletin) -> str | None:
    """The originator's reason on a retracted version's tombstone, opened (None if none).

    Sealed under the derivation root, bound to the version's id, not to the recipients' keys:
    the retraction destroyed every key to the bulletin, and its reason is for every organisation
    that may see the tombstone (``access.visible_bulletin`` decides who).
    """
    return sealed_text.open_text(
        sealed_text.RETRACTION_REASON,
        sealed_text.retraction_context(bulletin.id),
        bulletin.ended_reason_sealed,
    )


def retract(
    reader: Reader,
    actor: Actor,
    bulletin_id: str,
    *,
    confirmed: bool,
    reason: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Crypto-shred every version of the bulletin's series, for everyone including the sender.

    ``reason`` is kept on every version's tombstone, for its recipients to read. Returns the
    ids of the versions shredded. Raises NotFound, Forbidden, InvalidInput (``confirm``,
    ``reason``) or Conflict (already retracted or expired).
    """
    now = now or utcnow()
    why = retraction_reason(reason)
    bulletin = originator_bulletin(reader, bulletin_id)
    if not BulletinState(bulletin.state).readable:
        raise Conflict(
            gettext("This bulletin is already retracted: its content is destroyed.")
            if bulletin.state == BulletinState.RETRACTED.value
            else gettext("This bulletin is already expired: its content is destroyed.")
        )
    if not confirmed:
        raise InvalidInput(str(CONFIRM_RETRACT), field="confirm")
    with db.write() as session:
        versions = session.scalars(
            select(Bulletin)
            .where(Bulletin.series_id == bulletin.series_id)
            .order_by(Bulletin.version)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        live = [v for v in versions if BulletinState(v.state).readable]
        if not live:
            raise Conflict(gettext("This bulletin is already retracted: its content is destroyed."))
        destroyed = sum(_shred(session, v, BulletinState.RETRACTED, now) for v in live)
        for version in live:
            version.ended_reason_sealed = sealed_text.seal(
                sealed_text.RETRACTION_REASON, sealed_text.retraction_context(version.id), why
            )
        ids = [v.id for v in live]
        _close_requests(session, ids, now, reader.user_id)
        audit.record(
            session,
            "bulletin.retracted",
            actor,
            subject_org=bulletin.sender_org_id,
            details={
                "bulletin": bulletin.id,
                "series": bulletin.series_id,
                "versions": list(ids),
                "keys_destroyed": destroyed,
                # Whether a reason was given, not the reason: it may name an entity, and the
                # audit trail's details hold ids and counts only.
                "reason_given": why is not None,
            },
        )
    return ids


def due_for_expiry(now: datetime) -> list[str]:
    """Ids of readable bulletins whose retention date has passed, oldest first."""
    return list(
        db.session().scalars(
            select(Bulletin.id)
            .where(
                Bulletin.state.in_([s.value for s in BulletinState if s.readable]),
                Bulletin.expires_at <= now,
            )
            .order_by(Bulletin.expires_at, Bulletin.id)
        )
    )


def due_count(now: datetime | None = None) -> int:
    return len(due_for_expiry(now or utcnow()))


def expire_due(now: datetime | None = None, *, dry_run: bool = False, actor: Actor = CLI) -> int:
    """Shred every bulletin past its retention date; returns how many (would be) expired.

    One transaction per bulletin, so a long run commits as it goes and a second run finds
    nothing left to do.
    """
    now = now or utcnow()
    due = due_for_expiry(now)
    if dry_run:
        return len(due)
    expired = 0
    for bulletin_id in due:
        with db.write() as session:
            bulletin = _locked(session, bulletin_id)
            if not BulletinState(bulletin.state).readable or bulletin.expires_at > now:
                continue  # done by a concurrent run
            destroyed = _shred(session, bulletin, BulletinState.EXPIRED, now)
            _close_requests(session, [bulletin.id], now, actor.user_id)
            audit.record(
                session,
                "bulletin.expired",
                actor,
                subject_org=bulletin.sender_org_id,
                details={
                    "bulletin": bulletin.id,
                    "expires_at": bulletin.expires_at.isoformat(),
                    "keys_destroyed": destroyed,
                },
            )
            expired += 1
    return expired
