"""Logging in (password, then TOTP), the sign-in throttle, and server-side sessions."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext, lazy_gettext, ngettext
from sqlalchemy import CursorResult, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import (
    LoginFailure,
    LoginSession,
    Organisation,
    OrgKind,
    Role,
    User,
    UserRole,
    utcnow,
)
from portal.services import audit
from portal.services.accounts import api_tokens, mfa, passwords
from portal.services.errors import InvalidInput, LoginRefused, TooManyAttempts
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor

# Lazy: each is put in words when raised, in the language of the request that meets it.
LOGIN_REFUSED = lazy_gettext("The e-mail address or password is incorrect.")
CODE_REFUSED = lazy_gettext("The code is incorrect or was already used.")
LOCKED = lazy_gettext(
    "Too many failed attempts for this address from where you are. Wait {wait} and try again."
)
# A session's last-seen time is written at most this often: the idle timeout is 15 minutes.
LAST_SEEN_GRANULARITY = timedelta(seconds=60)


class Throttled(TooManyAttempts):
    """A 429 that says how many seconds to wait (the view sends them as Retry-After)."""

    def __init__(self, wait: int) -> None:
        if wait < 120:
            shown = ngettext("%(num)s second", "%(num)s seconds", wait)
        else:
            shown = ngettext("%(num)s minute", "%(num)s minutes", math.ceil(wait / 60))
        super().__init__(str(LOCKED).format(wait=shown))
        self.retry_after = wait


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _subject(email: str) -> bytes:
    """The throttle's key for an address as typed: a keyed token, never the address itself."""
    return org_keys.blind_index().token("login:" + normalise_email(email))


@dataclass(frozen=True)
class _Failures:
    from_address: int  # by this subject from this client address, in the window
    last_from_address: datetime | None
    everywhere: int  # by this subject from any address, in the account window


def _failures(session: Session, subject: bytes, ip: str | None) -> _Failures:
    now = utcnow()
    since = now - current_app.config["LOGIN_FAILURE_WINDOW"]
    pair = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.subject == subject,
            LoginFailure.ip.is_(None) if ip is None else LoginFailure.ip == ip,
            LoginFailure.at >= since,
        )
    ).one()
    everywhere = session.scalar(
        select(func.count()).where(
            LoginFailure.subject == subject,
            LoginFailure.at >= now - current_app.config["LOGIN_ACCOUNT_WINDOW"],
        )
    )
    return _Failures(pair[0] or 0, pair[1], everywhere or 0)


def _signed_in_from(session: Session, user: User | None, ip: str | None) -> bool:
    if user is None or ip is None:
        return False
    found = session.scalar(
        select(LoginSession.id).where(LoginSession.user_id == user.id, LoginSession.ip == ip)
    )
    return found is not None


def wait_seconds(session: Session, subject: bytes, ip: str | None, user: User | None) -> int:
    """How long this client address must wait before trying this e-mail address again (0: it
    may try now). The same rules for an unknown address as for an account:

    - from one client address, ``LOGIN_FAILURE_LIMIT`` failures in the window are free; then
      each attempt waits ``LOGIN_FAILURE_FIRST_DELAY`` (a minute) after the last failure, then
      twice that, and so on, at most the window (15 minutes);
    - from every address together, ``LOGIN_ACCOUNT_CEILING`` failures in the account window
      close the address to every client that has never signed in to the account (NIST SP
      800-63B's limit of 100), so a guesser spread over many clients stops, while the user
      signing in from where they did before still gets in.

    Refused attempts are not counted, so an attacker cannot lengthen another client's wait.
    """
    found = _failures(session, subject, ip)
    limit: int = current_app.config["LOGIN_FAILURE_LIMIT"]
    window: timedelta = current_app.config["LOGIN_FAILURE_WINDOW"]
    if found.from_address >= limit and found.last_from_address is not None:
        first: timedelta = current_app.config["LOGIN_FAILURE_FIRST_DELAY"]
        doubled = first * 2 ** min(found.from_address - limit, 20)
        delay = min(doubled, window)
        left: float = (found.last_from_address + delay - utcnow()).total_seconds()
        if left > 0:
            return math.ceil(left)
    ceiling: int = current_app.config["LOGIN_ACCOUNT_CEILING"]
    if found.everywhere >= ceiling and not _signed_in_from(session, user, ip):
        return int(window.total_seconds())
    return 0


def _count_failure(
    session: Session, subject: bytes, user: User | None, event: str, ip: str | None
) -> None:
    # The throttle looks back a day at most: older failures of this address go.
    forgotten = utcnow() - current_app.config["LOGIN_ACCOUNT_WINDOW"]
    session.execute(
        delete(LoginFailure).where(LoginFailure.subject == subject, LoginFailure.at < forgotten)
    )
    session.add(LoginFailure(subject=subject, ip=ip, user_id=user.id if user else None))
    session.flush()
    if user is not None:
        audit.record(session, event, Actor.of(user, ip), outcome="failure", subject_user=user)
    if (
        user is not None
        and _failures(session, subject, ip).from_address
        == current_app.config["LOGIN_FAILURE_LIMIT"]
    ):
        audit.record(session, "login.lockout", Actor.of(user, ip), subject_user=user)


def check_password(email: str, password: str, ip: str | None) -> User:
    """First factor. Unknown, disabled and wrong all get the same answer, in the same time, and
    are throttled alike (:func:`wait_seconds`): a 429 says how long to wait."""
    email = normalise_email(email)
    subject = _subject(email)
    with db.write() as session:
        user = session.scalar(select(User).where(User.email == email))
        usable = user if user is not None and user.active else None
        wait = wait_seconds(session, subject, ip, usable)
        if wait:
            audit.record(
                session,
                "login.locked",
                Actor.of(usable, ip) if usable else Actor(ip=ip),
                outcome="failure",
                subject_user=usable,
                actor_email=None if usable else email[:254],
            )
            refused: type[Exception] | None = TooManyAttempts
        elif usable is None:
            passwords.spend_verification_time(password)
            _count_failure(session, subject, None, "login.failed", ip)
            audit.record(
                session,
                "login.failed",
                Actor(ip=ip),
                outcome="failure",
                actor_email=email[:254],
                details={"reason": "unknown or disabled account"},
            )
            refused = LoginRefused
        elif not passwords.verify_password(usable.password_hash, password):
            _count_failure(session, subject, usable, "login.failed", ip)
            refused = LoginRefused
        else:
            if passwords.needs_rehash(usable.password_hash):
                usable.password_hash = passwords.hash_password(password)
            refused = None
    if refused is TooManyAttempts:
        raise Throttled(wait)
    if refused is not None or usable is None:
        raise LoginRefused(str(LOGIN_REFUSED))
    return usable


def pending_user(user_id: int) -> User | None:
    """The user between the two sign-in steps, if the account is still active."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def prepare_enrolment(user_id: int) -> User:
    """Give a user who has no confirmed second factor a fresh seed to enrol."""
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise LoginRefused(str(LOGIN_REFUSED))
        if not user.totp_confirmed and user.totp_secret_sealed is None:
            mfa.new_secret(user)
    return user


@dataclass(frozen=True, slots=True)
class OrganisationSummary:
    """The facts about the signed-in user's organisation that pages show and checks use."""

    id: int
    code: str
    name: str
    kind: OrgKind
    country: str | None


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A server-side session found live, with what a request needs to know about its user.

    Plain values read in one query, not models: the ``User`` is loaded only by the few views
    that need it (see ``Principal.user``).
    """

    id: int
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    user_id: int
    email: str
    name: str
    must_change_password: bool
    organisation: OrganisationSummary
    roles: frozenset[Role]
    language: str | None = None

    @classmethod
    def of(cls, record: LoginSession, user: User) -> LiveSession:
        org = user.organisation
        return cls(
            id=record.id,
            created_at=record.created_at,
            last_seen_at=record.last_seen_at,
            ip=record.ip,
            user_id=user.id,
            email=user.email,
            name=user.name,
            must_change_password=user.must_change_password,
            organisation=OrganisationSummary(org.id, org.code, org.name, org.kind, org.country),
            roles=user.roles,
            language=user.language,
        )


@dataclass(frozen=True)
class NewSession:
    token: str
    user: User
    record: LiveSession


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii", "replace")).digest()


def check_second_factor(
    user_id: int, code: str, ip: str | None, user_agent: str | None, *, demo_mode: bool = False
) -> NewSession:
    """Second factor; on success, enrolment is confirmed and a new server-side session begins.

    In ``demo_mode`` a demo user's code may be used again within its window (several people
    trying the demo sign in as the same user); every other user's code is single-use.
    """
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise LoginRefused(str(LOGIN_REFUSED))
        subject = _subject(user.email)
        wait = wait_seconds(session, subject, ip, user)
        if wait:
            audit.record(
                session, "login.locked", Actor.of(user, ip), outcome="failure", subject_user=user
            )
            outcome: type[Exception] | None = TooManyAttempts
        elif not mfa.accept_code(user, code, again_in_window=demo_mode and user.demo):
            _count_failure(session, subject, user, "login.mfa_failed", ip)
            outcome = InvalidInput
        else:
            outcome = None
            if not user.totp_confirmed:
                user.totp_confirmed = True
                audit.record(session, "mfa.enrolled", Actor.of(user, ip), subject_user=user)
            token = secrets.token_urlsafe(32)
            record = LoginSession(
                user_id=user.id,
                token_hash=_token_hash(token),
                ip=ip,
                user_agent=(user_agent or "")[:300],
            )
            session.add(record)
            audit.record(session, "login.success", Actor.of(user, ip), subject_user=user)
            session.flush()
            live = LiveSession.of(record, user)
    if outcome is TooManyAttempts:
        raise Throttled(wait)
    if outcome is InvalidInput:
        raise InvalidInput(str(CODE_REFUSED), field="code")
    return NewSession(token, user, live)


_sessions = LoginSession.__table__
_users = User.__table__
_organisations = Organisation.__table__
_user_roles = UserRole.__table__
# Everything a request needs to know about its session, its user, their organisation and
# roles in one round trip: one row per role (a user has a handful), Core rows rather than
# ORM entities. Built once, so SQLAlchemy's statement cache key is computed once as well.
_RESUME = (
    select(
        _sessions.c.id,
        _sessions.c.created_at,
        _sessions.c.last_seen_at,
        _sessions.c.ended_at,
        _sessions.c.ip,
        _users.c.id.label("user_id"),
        _users.c.email,
        _users.c.name,
        _users.c.active,
        _users.c.must_change_password,
        _users.c.language,
        _organisations.c.id.label("org_id"),
        _organisations.c.code.label("org_code"),
        _organisations.c.name.label("org_name"),
        _organisations.c.kind.label("org_kind"),
        _organisations.c.country.label("org_country"),
        _user_roles.c.role,
    )
    .select_from(
        _sessions.join(_users, _users.c.id == _sessions.c.user_id)
        .join(_organisations, _organisations.c.id == _users.c.organisation_id)
        .outerjoin(_user_roles, _user_roles.c.user_id == _users.c.id)
    )
    .where(_sessions.c.token_hash == bindparam("token_hash"))
)


def resume_session(token: str) -> LiveSession | None:
    """The live session for a cookie's token, or None if it ended, timed out or is unknown.

    Read from the database on every request, never cached in the process: a logout, a disabled
    account or a change of roles takes effect on the next request, in every worker.
    """
    rows = db.session().connection().execute(_RESUME, {"token_hash": _token_hash(token)}).all()
    if not rows:
        return None
    row = rows[0]
    if row.ended_at is not None:
        return None
    now = utcnow()
    config = current_app.config
    if not row.active:
        reason: str | None = "user_disabled"
    elif now - row.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]:
        reason = "absolute_timeout"
    elif now - row.last_seen_at > config["SESSION_IDLE_TIMEOUT"]:
        reason = "idle_timeout"
    else:
        reason = None
    if reason is not None:
        end_session(row.id, reason, Actor(row.user_id, row.email, row.org_id, row.ip))
        return None
    last_seen_at = row.last_seen_at
    if now - last_seen_at > LAST_SEEN_GRANULARITY:
        with db.write() as write:
            write.execute(
                update(LoginSession).where(LoginSession.id == row.id).values(last_seen_at=now)
            )
        last_seen_at = now
    return LiveSession(
        id=row.id,
        created_at=row.created_at,
        last_seen_at=last_seen_at,
        ip=row.ip,
        user_id=row.user_id,
        email=row.email,
        name=row.name,
        must_change_password=row.must_change_password,
        organisation=OrganisationSummary(
            row.org_id, row.org_code, row.org_name, row.org_kind, row.org_country
        ),
        roles=frozenset(r.role for r in rows if r.role is not None),
        language=row.language,
    )


def end_session(session_id: int, reason: str, actor: Actor) -> None:
    with db.write() as session:
        record = session.get(LoginSession, session_id)
        if record is None or record.ended_at is not None:
            return
        record.ended_at = utcnow()
        record.end_reason = reason
        event = "logout" if reason == "logout" else "session.ended"
        audit.record(session, event, actor, subject_user=record.user, details={"reason": reason})


def end_all_sessions(session: Session, user: User, reason: str) -> int:
    """End every live session of ``user``, and revoke their API tokens, inside the caller's
    transaction (disabled, password or second factor reset)."""
    # An UPDATE's result is a CursorResult, which Session.execute's typing does not say.
    result = cast(
        CursorResult[Any],
        session.execute(
            update(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason)
        ),
    )
    api_tokens.revoke_all(session, user.id)
    return result.rowcount


def change_password(
    user_id: int, current: str, new: str, ip: str | None, *, keep_session_id: int | None = None
) -> None:
    """Change one's own password; every other session of the user ends."""
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise LoginRefused(str(LOGIN_REFUSED))
        if not passwords.verify_password(user.password_hash, current):
            raise InvalidInput(
                gettext("The current password is incorrect."), field="current_password"
            )
        new = passwords.check_policy(new, email=user.email, field="new_password")
        if passwords.verify_password(user.password_hash, new):
            raise InvalidInput(
                gettext("Choose a password different from the current one."), field="new_password"
            )
        user.password_hash = passwords.hash_password(new)
        user.must_change_password = False
        session.execute(
            update(LoginSession)
            .where(
                LoginSession.user_id == user.id,
                LoginSession.ended_at.is_(None),
                LoginSession.id != keep_session_id,
            )
            .values(ended_at=utcnow(), end_reason="password_changed")
        )
        revoked = api_tokens.revoke_all(session, user.id)  # made before? now they stop
        audit.record(
            session,
            "password.changed",
            Actor.of(user, ip),
            subject_user=user,
            details={"api_tokens_revoked": revoked},
        )
