"""Watchlist e-mails through a real SMTP server (aiosmtpd on 127.0.0.1): sent after commit by
the outbox's drain, saying nothing of what was watched or what the bulletin says; a relay that
fails is retried, logged, and given up on only after the last attempt, never silently."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from portal.extensions import db
from portal.models import MailState, Organisation, WatchMail, utcnow
from portal.services.principals import Actor
from portal.services.watchlists import mail, watching

PHONE = "+33 6 12 34 56 78"


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.received: list = []

    def handle_message(self, message) -> None:
        self.received.append(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def relay(app, port: int, code: str = "FR-MININT") -> None:
    with app.app_context():
        mail.set_relay(
            Actor(), code, host="127.0.0.1", port=port, sender="ischia@fr.example", starttls=False
        )


def watched_post(app, desk) -> str:
    with app.app_context():
        reader = desk.reader("fr.analyst")
        watching.watch_typed(reader, Actor(reader.user_id), PHONE, None)
    return desk.post("it.officer", ["FR-MININT"], title="SECRET-TITLE")


def mails(app) -> list[tuple[str, int, str | None]]:
    with app.app_context():
        return [
            (row.state, row.attempts, row.last_error)
            for row in db.session.scalars(select(WatchMail).order_by(WatchMail.id))
        ]


def test_the_mail_is_sent_after_commit_and_says_nothing_watched(app, desk, smtp_server):
    controller, inbox = smtp_server
    relay(app, controller.port)
    bulletin_id = watched_post(app, desk)
    assert inbox.received == []  # the post did not send: the outbox holds it
    assert mails(app) == [("pending", 0, None)]
    with app.app_context():
        drained = mail.send_due()
    assert drained == mail.Drained(sent=1, retried=0, failed=0)
    assert mails(app) == [("sent", 1, None)]
    (message,) = inbox.received
    assert message["To"] == "analyst@fr.example"
    assert message["From"] == "ischia@fr.example"
    assert message["Subject"] == mail.SUBJECT
    text = message.as_string()
    assert "/watchlist/notifications" in text
    for secret in ("612345678", "6 12 34", "SECRET-TITLE", "Abu Example", bulletin_id):
        assert secret not in text
    with app.app_context():
        assert mail.send_due() == mail.Drained(0, 0, 0)  # sent once only
    assert len(inbox.received) == 1


def test_a_failing_relay_is_retried_logged_and_finally_kept_as_failed(app, desk, caplog):
    relay(app, free_port())  # nothing listens there
    app.config["WATCH_MAIL_MAX_ATTEMPTS"] = 2
    watched_post(app, desk)
    now = utcnow()
    with caplog.at_level(logging.WARNING, logger="portal.services.watchlists.mail"):
        with app.app_context():
            assert mail.send_due(now=now) == mail.Drained(sent=0, retried=1, failed=0)
            # Not due again before its wait is over.
            assert mail.send_due(now=now + timedelta(seconds=1)) == mail.Drained(0, 0, 0)
    ((state, attempts, error),) = mails(app)
    assert (state, attempts) == ("pending", 1) and "ConnectionRefusedError" in error
    assert "failed, retried later" in caplog.text
    with caplog.at_level(logging.ERROR, logger="portal.services.watchlists.mail"):
        with app.app_context():
            later = now + timedelta(hours=1)
            assert mail.send_due(now=later) == mail.Drained(sent=0, retried=0, failed=1)
    assert mails(app)[0][:2] == (MailState.FAILED.value, 2)
    assert "failed for good" in caplog.text


def test_a_relay_that_comes_back_delivers_the_retried_mail(app, desk, smtp_server):
    controller, inbox = smtp_server
    relay(app, free_port())
    watched_post(app, desk)
    now = utcnow()
    with app.app_context():
        mail.send_due(now=now)
    relay(app, controller.port)
    with app.app_context():
        assert mail.send_due(now=now + timedelta(hours=1)).sent == 1
    assert len(inbox.received) == 1 and mails(app)[0][:2] == ("sent", 2)


@pytest.mark.parametrize(
    ("host", "port", "sender", "field"),
    [
        ("bad host", 25, "a@b.example", "host"),
        ("mx", 0, "a@b.example", "port"),
        ("mx", 25, "", "from"),
    ],
)
def test_a_bad_relay_is_refused_naming_the_field(app, desk, host, port, sender, field):
    from portal.services.errors import InvalidInput

    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            mail.set_relay(Actor(), "FR-MININT", host=host, port=port, sender=sender)
        assert refused.value.field == field
        org = db.session.scalar(select(Organisation).where(Organisation.code == "FR-MININT"))
        assert org.smtp_host is None


def test_starttls_is_never_dropped_for_a_relay_without_it(app, desk, smtp_server):
    """A relay set with STARTTLS (the default) that does not offer it gets nothing in clear."""
    controller, inbox = smtp_server
    with app.app_context():
        mail.set_relay(
            Actor(), "FR-MININT", host="127.0.0.1", port=controller.port, sender="i@fr.example"
        )
    watched_post(app, desk)
    with app.app_context():
        assert mail.send_due() == mail.Drained(sent=0, retried=1, failed=0)
    assert inbox.received == []
    assert "STARTTLS" in mails(app)[0][2]


def test_the_workers_thread_sends_what_is_due(app, desk, smtp_server):
    """``flask worker`` (without --burst) drains the outbox on its own thread."""
    import threading
    import time

    from portal.cli.worker import _watch_mail

    controller, inbox = smtp_server
    relay(app, controller.port)
    watched_post(app, desk)
    stop = threading.Event()
    thread = threading.Thread(target=_watch_mail, args=(app, stop, 0.05), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not inbox.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert len(inbox.received) == 1 and mails(app)[0][0] == "sent"
