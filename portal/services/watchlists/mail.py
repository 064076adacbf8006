"""Watchlist e-mails: the outbox (``watch_mails``) drained after commit, and each
organisation's mail relay.

A notification's e-mail is a row written in the transaction that made the notification (see
``bulletins.watch_matching``), so it is never lost and never holds up or fails the post: it is
sent afterwards by :func:`send_due`, which ``flask --app wsgi watches send-mail`` (cron) and the
job-queue worker run. An attempt claims its row first (its next attempt is moved past the
attempt's own time limit), so two drainers never send the same e-mail twice at once; a failed
attempt is logged with the relay's answer and retried with a growing wait, and after
``WATCH_MAIL_MAX_ATTEMPTS`` the row stays as ``failed`` with its last error, shown to the
organisation's administrators by the command's output and the log.

What a mail says: that an item on the recipient's watchlist appeared in a bulletin their
organisation can read, and a link to their notifications. Never the identifier, the title or
any content: the mail leaves the portal through a relay it does not control, in clear unless
STARTTLS, and lands in mailboxes the portal cannot protect or shred.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, language_or_none, speaking
from portal.models import (
    MailState,
    Organisation,
    OrgKind,
    Role,
    User,
    WatchMail,
    WatchNotification,
    utcnow,
)
from portal.services import audit
from portal.services.errors import InvalidInput, NotFound
from portal.services.principals import Actor, Reader

log = logging.getLogger(__name__)
# Lazy: put in words in the recipient's language when the mail is written (:func:`message`).
SUBJECT = lazy_gettext("Ischia: an item you watch appeared in a bulletin")
BATCH = 200


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    sender: str
    starttls: bool


@dataclass(frozen=True)
class _Claimed:
    mail_id: int
    to: str
    relay: Relay
    language: str | None = None  # the recipient's choice (None: English)


def _setting(name: str) -> int:
    return int(current_app.config[name])


def message(to: str, sender: str, language: str | None = None) -> EmailMessage:
    """The whole e-mail, in the recipient's ``language``: no identifier, no title, no content
    (see the module doc)."""
    link = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/watchlist/notifications"
    mail = EmailMessage()
    with speaking(language):
        mail["Subject"] = str(SUBJECT)
        paragraphs = (
            gettext(
                "An item on your Ischia watchlist appeared in a bulletin your organisation can "
                "read."
            ),
            gettext("Sign in to see it: %(link)s", link=link),
            gettext(
                "This message says nothing more on purpose: what you watch and what bulletins "
                "say stay in the portal."
            ),
        )
    mail["From"] = sender
    mail["To"] = to
    mail.set_content("\n\n".join(paragraphs) + "\n")
    mail["Content-Language"] = language_or_none(language) or DEFAULT_LANGUAGE
    return mail


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=_setting("WATCH_MAIL_RETRY_BASE_S") * 2 ** max(0, attempts - 1))


def _claim(mail_id: int, now: datetime) -> _Claimed | None:
    with db.write() as session:
        row = session.scalar(
            select(WatchMail)
            .where(WatchMail.id == mail_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if row is None or row.state != MailState.PENDING.value:
            return None
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return None
        found = session.execute(
            select(User.email, User.active, Organisation, User.language)
            .join(WatchNotification, WatchNotification.user_id == User.id)
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(WatchNotification.id == row.notification_id)
        ).first()
        if found is None or not found[1] or not found[2].smtp_host:
            # The person left, or the organisation removed its relay: nothing to send.
            row.state = MailState.FAILED.value
            row.last_error = "no recipient or no mail relay any more"
            row.next_attempt_at = None
            return None
        email, _active, org, language = found
        host = org.smtp_host or ""
        # The lease: no other drainer takes it before this attempt has timed out.
        row.next_attempt_at = now + timedelta(seconds=2 * _setting("WATCH_MAIL_TIMEOUT_S") + 60)
        relay = Relay(host, org.smtp_port or 25, org.smtp_from or "", org.smtp_starttls)
        return _Claimed(row.id, email, relay, language)


def _send(claimed: _Claimed) -> str | None:
    """Send one mail; None, or the error in words."""
    relay = claimed.relay
    try:
        with smtplib.SMTP(relay.host, relay.port, timeout=_setting("WATCH_MAIL_TIMEOUT_S")) as smtp:
            if relay.starttls:
                smtp.starttls(context=ssl.create_default_context())
            smtp.send_message(message(claimed.to, relay.sender, claimed.language))
    except (smtplib.SMTPException, OSError) as error:
        return f"{type(error).__name__}: {error}"[:1000]
    return None


def attempt(mail_id: int, *, now: datetime | None = None) -> str | None:
    """One attempt at a due e-mail; its state after, or None if it was not due."""
    now = now or utcnow()
    claimed = _claim(mail_id, now)
    if claimed is None:
        return None
    error = _send(claimed)
    with db.write() as session:
        row = session.get_one(WatchMail, mail_id)
        row.attempts += 1
        if error is None:
            row.state = MailState.SENT.value
            row.sent_at = utcnow()
            row.next_attempt_at = None
            row.last_error = None
        else:
            row.last_error = error
            if row.attempts >= _setting("WATCH_MAIL_MAX_ATTEMPTS"):
                row.state = MailState.FAILED.value
                row.next_attempt_at = None
                log.error("watchlist e-mail %d failed for good: %s", mail_id, error)
            else:
                row.next_attempt_at = now + backoff(row.attempts)
                log.warning("watchlist e-mail %d failed, retried later: %s", mail_id, error)
        return row.state


@dataclass(frozen=True)
class Drained:
    sent: int
    retried: int
    failed: int


def send_due(*, now: datetime | None = None) -> Drained:
    """Attempt every e-mail due now (at most ``BATCH``)."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            select(WatchMail.id)
            .where(
                WatchMail.state == MailState.PENDING.value,
                WatchMail.next_attempt_at <= now,
            )
            .order_by(WatchMail.id)
            .limit(BATCH)
        )
    )
    db.session.rollback()  # end the read: each attempt writes on its own
    states = [attempt(mail_id, now=now) for mail_id in due]
    return Drained(
        sent=states.count(MailState.SENT.value),
        retried=states.count(MailState.PENDING.value),
        failed=states.count(MailState.FAILED.value),
    )


def _local(host: str) -> bool:
    """True if ``host`` is or resolves to this machine (loopback, unspecified, link-local or
    multicast): the portal's own services, never an organisation's relay."""
    try:
        infos = socket.getaddrinfo(host, 25, type=socket.SOCK_STREAM)
    except OSError:
        return False  # not resolvable now: each attempt will fail and say so
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if (
            address.is_loopback
            or address.is_unspecified
            or address.is_link_local
            or address.is_multicast
        ):
            return True
    return False


def relay_of(reader: Reader) -> Relay | None:
    """The mail relay of ``reader``'s organisation, for its administrators."""
    _check_admin(reader)
    org = db.session.get_one(Organisation, reader.org_id)
    if not org.smtp_host:
        return None
    return Relay(org.smtp_host, org.smtp_port or 25, org.smtp_from or "", org.smtp_starttls)


def _check_admin(reader: Reader) -> None:
    if not reader.has_role(Role.ORG_ADMIN) or reader.org_kind is OrgKind.PLATFORM:
        raise NotFound()


def set_own_relay(
    reader: Reader,
    actor: Actor,
    *,
    host: str | None,
    port: int | None = None,
    sender: str | None = None,
    starttls: bool = True,
) -> None:
    """An organisation administrator sets their organisation's relay (never one on the portal's
    own machine: the host is resolved and refused if loopback, link-local or the like)."""
    _check_admin(reader)
    set_relay(
        actor,
        reader.org_code,
        host=host,
        port=port,
        sender=sender,
        starttls=starttls,
        local_ok=False,
    )


def set_relay(
    actor: Actor,
    org_code: str,
    *,
    host: str | None,
    port: int | None = None,
    sender: str | None = None,
    starttls: bool = True,
    local_ok: bool = True,
) -> None:
    """Set (or, with no host, clear) an organisation's mail relay. InvalidInput names the field.
    The command line (the operator) may name a relay on this machine; the web page may not."""
    host = (host or "").strip() or None
    with db.write() as session:
        org = session.scalar(select(Organisation).where(Organisation.code == org_code))
        if org is None:
            raise NotFound(gettext("No organisation %(code)s.", code=org_code), field="org")
        if host is not None:
            if len(host) > 255 or any(c.isspace() for c in host):
                raise InvalidInput(gettext("Give the relay's host name or address."), field="host")
            if not local_ok and _local(host):
                raise InvalidInput(
                    gettext(
                        "This host is the portal's own machine: give your organisation's relay."
                    ),
                    field="host",
                )
            if port is None or not 1 <= port <= 65535:
                raise InvalidInput(gettext("Give a port between 1 and 65535."), field="port")
            sender = (sender or "").strip()
            if not sender or "@" not in sender or len(sender) > 254:
                raise InvalidInput(gettext("Give the address the e-mails come from."), field="from")
        org.smtp_host = host
        org.smtp_port = port if host else None
        org.smtp_from = sender if host else None
        org.smtp_starttls = starttls
        audit.record(
            session,
            "org.mail_relay_set",
            actor,
            subject_org=org.id,
            details={"relay": bool(host), "starttls": starttls},
        )
