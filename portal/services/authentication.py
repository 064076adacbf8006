"""Logging in (password, then TOTP), the per-account failure limit, and server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import LoginFailure, LoginSession, User, utcnow
from portal.services import audit, mfa, passwords
from portal.services.audit import Actor
from portal.services.errors import InvalidInput, LoginRefused, TooManyAttempts

LOGIN_REFUSED = "The e-mail address or password is incorrect."
CODE_REFUSED = "The code is incorrect or was already used."
LOCKED = "Too many failed attempts for this account. Try again in 15 minutes."
# A session's last-seen time is written at most this often: the idle timeout is 15 minutes.
LAST_SEEN_GRANULARITY = timedelta(seconds=60)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _failures_in_window(session: Session, user: User) -> int:
    since = utcnow() - current_app.config["LOGIN_FAILURE_WINDOW"]
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.user_id == user.id, LoginFailure.at >= since)
        )
        or 0
    )


def _is_locked(session: Session, user: User) -> bool:
    return _failures_in_window(session, user) >= current_app.config["LOGIN_FAILURE_LIMIT"]


def _count_failure(session: Session, user: User, event: str, ip: str | None) -> None:
    session.add(LoginFailure(user_id=user.id, at=utcnow()))
    session.flush()
    audit.record(session, event, Actor.of(user, ip), outcome="failure", subject_user=user)
    if _failures_in_window(session, user) == current_app.config["LOGIN_FAILURE_LIMIT"]:
        audit.record(session, "login.lockout", Actor.of(user, ip), subject_user=user)


def check_password(email: str, password: str, ip: str | None) -> User:
    """First factor. Unknown, disabled and wrong all get the same answer, in the same time."""
    email = normalise_email(email)
    with db.write() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and user.active and _is_locked(session, user):
            audit.record(
                session, "login.locked", Actor.of(user, ip), outcome="failure", subject_user=user
            )
            refused: type[Exception] | None = TooManyAttempts
        elif user is None or not user.active:
            passwords.spend_verification_time(password)
            audit.record(
                session,
                "login.failed",
                Actor(ip=ip),
                outcome="failure",
                actor_email=email[:254],
                details={"reason": "unknown or disabled account"},
            )
            refused = LoginRefused
        elif not passwords.verify_password(user.password_hash, password):
            _count_failure(session, user, "login.failed", ip)
            refused = LoginRefused
        else:
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(password)
            refused = None
    if refused is TooManyAttempts:
        raise TooManyAttempts(LOCKED)
    if refused is not None or user is None:
        raise LoginRefused(LOGIN_REFUSED)
    return user


def prepare_enrolment(user_id: int) -> User:
    """Give a user who has no confirmed second factor a fresh seed to enrol."""
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise LoginRefused(LOGIN_REFUSED)
        if not user.totp_confirmed and user.totp_secret_sealed is None:
            mfa.new_secret(user)
    return user


@dataclass(frozen=True)
class NewSession:
    token: str
    user: User
    record: LoginSession


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii", "replace")).digest()


def check_second_factor(
    user_id: int, code: str, ip: str | None, user_agent: str | None
) -> NewSession:
    """Second factor; on success, enrolment is confirmed and a new server-side session begins."""
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise LoginRefused(LOGIN_REFUSED)
        if _is_locked(session, user):
            audit.record(
                session, "login.locked", Actor.of(user, ip), outcome="failure", subject_user=user
            )
            outcome: type[Exception] | None = TooManyAttempts
        elif not mfa.accept_code(user, code):
            _count_failure(session, user, "login.mfa_failed", ip)
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
    if outcome is TooManyAttempts:
        raise TooManyAttempts(LOCKED)
    if outcome is InvalidInput:
        raise InvalidInput(CODE_REFUSED, field="code")
    return NewSession(token, user, record)


def resume_session(token: str) -> LoginSession | None:
    """The live session for a cookie's token, or None if it ended, timed out or is unknown."""
    session = db.session()
    record = session.scalar(
        select(LoginSession).where(LoginSession.token_hash == _token_hash(token))
    )
    if record is None or record.ended_at is not None:
        return None
    now = utcnow()
    config = current_app.config
    if not record.user.active:
        reason: str | None = "user_disabled"
    elif now - record.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]:
        reason = "absolute_timeout"
    elif now - record.last_seen_at > config["SESSION_IDLE_TIMEOUT"]:
        reason = "idle_timeout"
    else:
        reason = None
    if reason is not None:
        end_session(record.id, reason, Actor.of(record.user, record.ip))
        return None
    if now - record.last_seen_at > LAST_SEEN_GRANULARITY:
        with db.write() as write:
            write.execute(
                update(LoginSession).where(LoginSession.id == record.id).values(last_seen_at=now)
            )
        record.last_seen_at = now
    return record


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
    """End every live session of ``user`` inside the caller's transaction."""
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    return result.rowcount


def change_password(
    user_id: int, current: str, new: str, ip: str | None, *, keep_session_id: int | None = None
) -> None:
    """Change one's own password; every other session of the user ends."""
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise LoginRefused(LOGIN_REFUSED)
        if not passwords.verify_password(user.password_hash, current):
            raise InvalidInput("The current password is incorrect.", field="current_password")
        new = passwords.check_policy(new, email=user.email, field="new_password")
        if passwords.verify_password(user.password_hash, new):
            raise InvalidInput(
                "Choose a password different from the current one.", field="new_password"
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
        audit.record(session, "password.changed", Actor.of(user, ip), subject_user=user)
