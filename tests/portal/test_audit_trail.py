"""The audit trail as administrators read it: names, readable events and details, CSV with
formulas neutralised, the chain check, the sysadmin's view of every organisation; roles
offered by organisation kind; long e-mail addresses."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import AuditRecord
from portal.services import audit, audit_trail
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI, Actor
from tests.portal.conftest import csrf_token, sign_in


def test_events_and_details_read_in_words():
    assert (
        audit_trail.event_label("login.mfa_failed") == "Sign-in refused: wrong second-factor code"
    )
    assert audit_trail.event_label("referral.decided") == "Referral decided"
    # An event without a label yet reads from its code rather than as the code.
    assert audit_trail.event_label("referral.rewound") == "Referral: rewound"
    assert audit_trail.format_details({"at": "2026-05-02T09:05:00.12Z"}) == [
        ("at", "2 May 2026, 09:05:00 UTC")
    ]
    assert audit_trail.format_details(
        {"roles": ["analyst", "org_admin"], "keys_destroyed": 6, "confirmed": True, "note": None}
    ) == [
        ("roles", "Analyst, Organisation administrator"),
        ("keys destroyed", "6"),
        ("confirmed", "yes"),
        ("note", "—"),
    ]


def _detail_keys_written() -> dict[str, str]:
    """Every detail key the services write literally: ``details={...}`` of a ``record`` or
    ``append`` call, and ``details``/``facts`` dicts built beside one (key -> a file)."""
    found: dict[str, str] = {}
    for path in (Path(__file__).parents[2] / "portal" / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            dicts: list[ast.Dict] = []
            keys: list[object] = []
            if isinstance(node, ast.Call) and getattr(
                node.func, "attr", getattr(node.func, "id", None)
            ) in ("record", "append"):
                dicts += [
                    k.value
                    for k in node.keywords
                    if k.arg == "details" and isinstance(k.value, ast.Dict)
                ]
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in ("details", "facts"):
                        dicts += [node.value] if isinstance(node.value, ast.Dict) else []
                    if (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and target.value.id in ("details", "facts")
                        and isinstance(target.slice, ast.Constant)
                    ):
                        keys.append(target.slice.value)
            keys += [k.value for d in dicts for k in d.keys if isinstance(k, ast.Constant)]
            found.update({key: path.name for key in keys if isinstance(key, str)})
    return found


def test_every_detail_the_services_write_has_words():
    written = _detail_keys_written()
    assert len(written) > 60  # the scan finds them (it once found 90)
    unnamed = {
        key: where for key, where in written.items() if key not in audit_trail._DETAIL_LABELS
    }
    assert unnamed == {}, "add them to audit_trail._DETAIL_LABELS"


def test_the_trail_names_people_and_the_sysadmin_sees_every_organisation(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    ana = people.user("ana@fr.example.org", "analyst")
    people.user("hans@de.example.org", "analyst", org="DE-BMI")
    people.user("root@it.example.org", "sysadmin", org="IT-MININT")
    with app.app_context():
        admin = accounts.user_by_email("admin@fr.example.org")
        accounts.set_roles(Actor.of(admin, None), ana, ["analyst", "official"])

    auth.sign_in("admin@fr.example.org")
    page = client.get("/admin/audit")
    rows = page.text.split("<tbody>")[1]
    assert "Roles changed" in rows and "Analyst, Official" in rows
    assert "[&#39;analyst&#39;" not in rows and "['analyst'" not in rows
    assert "Ana" in rows  # the subject by name, not by number
    assert "hans@de.example.org" not in rows
    assert client.get("/admin/audit?org=all").status_code == 200
    assert "hans@de.example.org" not in client.get("/admin/audit?org=all").text

    auth.sign_in("root@it.example.org")
    everyone = client.get("/admin/audit").text
    assert "Audit trail: every organisation" in everyone
    assert "hans@de.example.org" in everyone and "ana@fr.example.org" in everyone
    with app.app_context():
        fr = accounts.organisation_by_code("FR-MININT").id
    only_fr = client.get(f"/admin/audit?org={fr}").text.split("<tbody>")[1]
    assert "ana@fr.example.org" in only_fr and "hans@de.example.org" not in only_fr


def test_the_csv_export_follows_the_filters_and_neutralises_formulas(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    with app.app_context():
        session = db.session()
        audit.record(
            session,
            "user.created",
            CLI,
            subject_org=accounts.organisation_by_code("FR-MININT"),
            details={"email": "=cmd|' /C calc'!A0"},
        )
        session.commit()
    auth.sign_in("admin@fr.example.org")
    response = client.get("/admin/audit.csv?event=user.created")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == list(audit_trail.CSV_HEADER)
    assert {row[3] for row in table[1:]} == {"user.created"}
    assert {row[4] for row in table[1:]} == {"success"}  # a code, as the event's, for filters
    details = [row[10] for row in table[1:]]
    assert "email: =cmd|' /C calc'!A0" in details  # inside a cell, after the label: inert
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)
    bad = client.get("/admin/audit.csv?since=yesterday")
    assert bad.status_code == 400 and "Not a valid date" in bad.text
    backwards = client.get("/admin/audit?since=2026-12-05&until=2026-12-01")
    assert backwards.status_code == 400
    assert "The end is before the start: choose a later date." in backwards.text


def test_the_verify_button_shows_the_chain_intact_then_broken(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    auth.sign_in("admin@fr.example.org")
    page = client.get("/admin/audit")
    assert "Verify the chain" in page.text
    result = client.post("/admin/audit/verify", data={"csrf_token": csrf_token(page.text)})
    assert result.status_code == 200 and 'data-chain="intact"' in result.text
    with app.app_context():
        seq = db.session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq).limit(1))
        db.session.execute(
            update(AuditRecord).where(AuditRecord.seq == seq).values(outcome="failure")
        )
        db.session.commit()
    result = client.post("/admin/audit/verify", data={"csrf_token": csrf_token(page.text)})
    assert 'data-chain="broken"' in result.text and f"record #{seq}" in result.text
    assert client.post("/admin/audit/verify").status_code == 400  # no CSRF token


def test_the_chain_check_is_rate_limited_per_administrator(app, client, auth, people):
    app.config["AUDIT_VERIFY_LIMIT"] = "2 per minute"
    people.user("admin@fr.example.org", "org_admin")
    people.user("admin@de.example.org", "org_admin", org="DE-BMI")
    auth.sign_in("admin@fr.example.org")
    token = csrf_token(client.get("/admin/audit").text)
    answers = [client.post("/admin/audit/verify", data={"csrf_token": token}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "Wait a few minutes" in answers[2].text
    assert client.get("/admin/audit").status_code == 200  # the trail itself stays open
    other = app.test_client()  # another administrator, from the same address
    sign_in(other, people, "admin@de.example.org")
    token = csrf_token(other.get("/admin/audit").text)
    assert other.post("/admin/audit/verify", data={"csrf_token": token}).status_code == 200


def test_roles_offered_fit_the_kind_of_organisation(app, client, auth, people):
    people.user("root@it.example.org", "sysadmin", "org_admin", org="IT-MININT")
    people.user("trust@meta.example", "platform_liaison", org="META", kind="platform")
    auth.sign_in("root@it.example.org")
    with app.app_context():
        meta = accounts.organisation_by_code("META").id
    ministry = client.get("/admin/users").text
    assert 'value="platform_liaison"' not in ministry and 'value="liaison"' in ministry
    platform = client.get(f"/admin/users?org={meta}").text
    assert 'value="platform_liaison"' in platform
    assert 'value="liaison"' not in platform and 'value="analyst"' not in platform


def test_long_email_addresses_are_marked_to_wrap(app, client, auth, people):
    long_email = "a.very.long.address.for.a.liaison.officer.of.the.ministry@interieur.gouv.example"
    people.user("admin@fr.example.org", "org_admin")
    people.user(long_email, "analyst")
    auth.sign_in("admin@fr.example.org")
    assert f'<span class="email">{long_email}</span>' in client.get("/admin/users").text
