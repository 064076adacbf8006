"""``flask orgs mail-relay`` and ``flask watches send-mail``: errors name the field."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditRecord, Organisation


def relay(app, code: str = "FR-MININT") -> tuple[str | None, int | None, str | None, bool]:
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.code == code))
        return org.smtp_host, org.smtp_port, org.smtp_from, org.smtp_starttls


def test_set_and_clear_a_relay(app, runner, desk):
    args = ["orgs", "mail-relay", "--org", "FR-MININT", "--host", "127.0.0.1", "--port", "2525"]
    result = runner.invoke(args=[*args, "--from", "i@fr.example", "--no-starttls"])
    assert result.exit_code == 0, result.output
    assert relay(app) == ("127.0.0.1", 2525, "i@fr.example", False)  # the operator may
    with app.app_context():
        record = db.session.scalars(
            select(AuditRecord).where(AuditRecord.event == "org.mail_relay_set")
        ).one()
        assert "127.0.0.1" not in record.details and "fr.example" not in record.details
    result = runner.invoke(args=["orgs", "mail-relay", "--org", "FR-MININT", "--clear"])
    assert result.exit_code == 0 and relay(app)[0] is None


def test_bad_relays_name_the_field_and_change_nothing(app, runner, desk):
    for args, option in (
        (["--org", "XX-NONE", "--host", "mx", "--port", "25", "--from", "a@b.c"], "--org"),
        (["--org", "FR-MININT", "--host", "mx", "--from", "a@b.c"], "--port"),
        (["--org", "FR-MININT", "--host", "mx", "--port", "25"], "--from"),
        (["--org", "FR-MININT", "--host", "a b", "--port", "25", "--from", "a@b.c"], "--host"),
        (["--org", "FR-MININT"], "--host"),
    ):
        result = runner.invoke(args=["orgs", "mail-relay", *args])
        assert result.exit_code != 0 and option in result.output, (args, result.output)
    assert relay(app)[0] is None


def test_send_mail_says_what_it_did(runner, desk):
    result = runner.invoke(args=["watches", "send-mail"])
    assert result.exit_code == 0 and "sent 0, to retry 0, given up 0" in result.output
