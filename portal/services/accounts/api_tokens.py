"""Personal API tokens: made, listed and revoked by their user; checked on every API request.

A token is ``isk_`` followed by 43 characters of a 256-bit random secret. It is shown once; the
portal keeps its SHA-256. A token acts with exactly its user's rights as they are at each
request (a disabled user's tokens stop working), narrowed by its scope: ``read``, or ``read``
and ``write``. It expires (at most a year). Every use is audited, and every action it takes
is audited again by the service that does it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import ApiToken, User, utcnow
from portal.services import audit, audit_commit
from portal.services.errors import InvalidInput, NotFound
from portal.services.principals import Actor

PREFIX = "isk_"
MAX_DAYS = 365
DEFAULT_DAYS = 90
MAX_NAME = 100
MAX_TOKENS = 20


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once
    id: int
    name: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenUse:
    """Who a valid token speaks for, and what it may do."""

    user: User
    token_id: int
    can_write: bool


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def create(
    user: User, actor: Actor, name: str, *, days: int = DEFAULT_DAYS, write: bool = False
) -> NewToken:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(gettext("Name the token (what will use it)."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            gettext("A name of at most %(count)s characters.", count=MAX_NAME), field="name"
        )
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            gettext("A token lasts from 1 to %(days)s days.", days=MAX_DAYS), field="expires"
        )
    if not user.active:
        raise InvalidInput(gettext("A disabled user cannot have tokens."), field="email")
    live = listed(user, include_ended=False)
    if len(live) >= MAX_TOKENS:
        raise InvalidInput(
            gettext("At most %(count)s live tokens: revoke one first.", count=MAX_TOKENS),
            field="name",
        )
    token = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=token[: len(PREFIX) + 6],
        token_hash=_hash(token),
        can_write=write,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    with db.write() as session:
        session.add(row)
        session.flush()
        audit.record(
            session,
            "api_token.created",
            actor,
            subject_user=user,
            details={"token": row.id, "name": name, "write": write, "days": days},
        )
    return NewToken(token, row.id, name, row.expires_at)


def listed(user: User, *, include_ended: bool = True) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    if not include_ended:
        query = query.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
    return list(db.session().scalars(query.order_by(ApiToken.created_at.desc())))


def revoke(user: User, actor: Actor, token_id: int) -> None:
    with db.write() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != user.id:
            raise NotFound()
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(
                session, "api_token.revoked", actor, subject_user=user, details={"token": row.id}
            )


def revoke_all(session: Session, user_id: int) -> int:
    """Revoke every live token of a user (disabled, password or second factor reset or
    changed), inside the caller's transaction; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def authenticate(token: str, *, ip: str | None, endpoint: str | None) -> TokenUse | None:
    """The token's user and scope, if the token is live and its user active; None otherwise.

    The use is audited (and the token's last use set) by a deferred write: it is committed
    with the request's own records, or by ``audit_commit.flush`` before the answer leaves.
    """
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    session = db.session()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or user.must_change_password:
        return None
    token_id, user_id = row.id, user.id
    actor = Actor(user.id, user.email, user.organisation_id, ip)
    org_id = user.organisation_id

    def record_use(writing: Session) -> None:
        writing.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        audit.record(
            writing,
            "api_token.used",
            actor,
            subject_user_id=user_id,
            subject_org=org_id,
            details={"token": token_id, "endpoint": endpoint},
        )

    audit_commit.defer(record_use)
    return TokenUse(user, row.id, row.can_write)
