"""The signed-in principal: resumed from the database on every request, in every worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_login import current_user
from sqlalchemy import event, select, update

from portal import create_app, schema
from portal.database import make_engine
from portal.extensions import db
from portal.models import AuditRecord, LoginSession, OrgKind, Role, User
from portal.services.accounts import activity
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI
from tests.conftest import test_config

EMAIL = "ana@fr.example.org"
COOKIE = "ischia_session"


@pytest.fixture
def other_worker(app, database_url, master_key, tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """A second app on the same database and secret key, as a second gunicorn worker is."""
    worker = create_app(
        test_config(database_url, master_key, tmp_path, SECRET_KEY=app.config["SECRET_KEY"])
    )
    yield worker
    worker.extensions["ischia.engine"].dispose()


def same_cookie(client, worker: Flask):  # type: ignore[no-untyped-def]
    other = worker.test_client()
    other.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return other


def test_a_dashboard_request_reads_the_session_in_one_query(app, client, auth, people):
    people.user(EMAIL, "analyst", "liaison")
    auth.sign_in(EMAIL)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()).lower())

    engine = app.extensions["ischia.engine"]
    event.listen(engine, "before_cursor_execute", note)
    try:
        page = client.get("/")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert page.status_code == 200
    assert "Analyst" in page.text and "Liaison officer" in page.text
    # The session with its user, organisation and roles in one query; the desk's counts and
    # lists read other tables, and nothing on this page writes.
    sessions = [s for s in statements if "from login_sessions" in s]
    assert len(sessions) == 1, sessions
    assert "users" in sessions[0] and "organisations" in sessions[0]
    assert not [s for s in statements if s.split(None, 1)[0] in {"insert", "update", "delete"}]


def test_the_user_model_is_loaded_only_when_a_view_asks_for_it(app, client, auth, people):
    people.user(EMAIL, "analyst", "liaison")
    auth.sign_in(EMAIL)
    cookie = client.get_cookie(COOKIE)
    with app.test_request_context(
        "/", headers={"Cookie": f"{COOKIE}={cookie.value}"}, environ_base=client.environ_base
    ):
        principal = current_user._get_current_object()
        assert principal.is_authenticated
        assert "user" not in vars(principal)
        assert principal.roles == {Role.ANALYST, Role.LIAISON}
        assert principal.has_role("liaison") and not principal.has_role(Role.ORG_ADMIN)
        org = principal.organisation
        assert (org.code, org.kind, org.country) == ("FR-MININT", OrgKind.MEMBER, None)
        user = principal.user
        assert isinstance(user, User) and user.id == principal.id
        assert (user.email, user.name) == (principal.email, principal.name)
        assert user.organisation.id == org.id and user.organisation.name == org.name
        assert principal.user is user


def test_role_changes_take_effect_on_the_next_request_in_every_worker(
    app, client, auth, people, other_worker
):
    user_id = people.user(EMAIL, "analyst")
    auth.sign_in(EMAIL)
    elsewhere = same_cookie(client, other_worker)
    assert elsewhere.get("/admin/users").status_code == 403
    with app.app_context():
        accounts.set_roles(CLI, user_id, ["analyst", "org_admin"])
    assert elsewhere.get("/admin/users").status_code == 200
    assert "Organisation administrator" in client.get("/").text
    with app.app_context():
        accounts.set_roles(CLI, user_id, ["analyst"])
    assert elsewhere.get("/admin/users").status_code == 403
    assert client.get("/admin/users").status_code == 403


def test_logout_in_one_worker_ends_the_session_in_every_other(
    app, client, auth, people, other_worker
):
    people.user(EMAIL, "analyst")
    auth.sign_in(EMAIL)
    elsewhere = same_cookie(client, other_worker)
    assert elsewhere.get("/").status_code == 200
    assert auth.logout().status_code == 302
    answer = elsewhere.get("/")
    assert answer.status_code == 302 and "/login" in answer.location


def test_an_account_disabled_in_the_database_is_refused_on_the_next_request(
    app, client, auth, people
):
    user_id = people.user(EMAIL, "analyst")
    auth.sign_in(EMAIL)
    assert client.get("/").status_code == 200
    with app.app_context(), db.write() as session:
        # Only the flag: the sessions are left for the next request to end.
        session.execute(update(User).where(User.id == user_id).values(active=False))
    assert client.get("/").status_code == 302
    with app.app_context():
        record = db.session.scalar(select(LoginSession))
        assert record.ended_at is not None and record.end_reason == "user_disabled"
        ended = db.session.scalar(select(AuditRecord).where(AuditRecord.event == "session.ended"))
        assert ended.actor_user_id == user_id and ended.subject_user_id == user_id
        assert ended.actor_email == EMAIL and ended.details == {"reason": "user_disabled"}


def test_recent_sign_ins_read_only_the_users_own_records_through_an_index(tmp_path):
    """The dashboard's list must not scan the whole audit log as it grows."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    try:
        schema.upgrade(engine)
        with engine.connect() as connection:
            compiled = activity._RECENT_SIGN_INS.compile(dialect=engine.dialect)
            values = compiled.construct_params({"user_id": 1, "limit": 8})
            arguments = tuple(values[name] for name in compiled.positiontup or ())
            plan = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled), arguments
            ).fetchall()
        details = " ".join(str(row[-1]) for row in plan)
        assert "ix_audit_records_subject_user_seq" in details, details
    finally:
        engine.dispose()
