"""Administration in the browser: sysadmins create organisations, org_admins manage their own."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditRecord, LoginSession, Organisation, Role, User
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI, Actor
from tests.portal.conftest import PASSWORD, csrf_token


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_sysadmin_creates_an_organisation_with_its_first_admin(app, client, auth, people):
    people.user("root@it.example.org", "sysadmin", org="IT-MININT")
    auth.sign_in("root@it.example.org")
    page = client.get("/admin/organisations")
    response = client.post(
        "/admin/organisations",
        data={
            "code": "es-mir",
            "name": "Ministerio del Interior",
            "country": "es",
            "kind": "observer",
            "admin_email": "Admin@Interior.example.es",
            "admin_name": "Admin ES",
            "admin_password": "una contraseña bastante larga",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        org = accounts.organisation_by_code("ES-MIR")
        admin = accounts.user_by_email("admin@interior.example.es")
        assert org.country == "ES" and admin.organisation_id == org.id
        assert admin.roles == {Role.ORG_ADMIN} and admin.must_change_password


def test_bad_organisation_input_is_refused_and_nothing_is_written(app, client, auth, people):
    people.user("root@it.example.org", "sysadmin", org="IT-MININT")
    auth.sign_in("root@it.example.org")
    before = (count(app, Organisation), count(app, User))
    page = client.get("/admin/organisations")
    cases = [
        ({"code": "bad code!"}, "Code must be"),
        ({"country": "FRA"}, "two-letter"),
        ({"admin_password": "short"}, "at least 12"),
        ({"admin_email": "not-an-email"}, "E-mail address is not valid"),
        ({"code": "IT-MININT"}, "already exists"),
    ]
    for change, message in cases:
        data = {
            "code": "ES-MIR",
            "name": "Ministerio del Interior",
            "country": "ES",
            "kind": "member",
            "admin_email": "admin@interior.example.es",
            "admin_name": "Admin ES",
            "admin_password": "una contraseña bastante larga",
            "csrf_token": csrf_token(page.text),
        } | change
        response = client.post("/admin/organisations", data=data)
        assert response.status_code == 200, change
        assert message in response.text, change
        assert "form-control" not in response.text
        assert 'value="Ministerio del Interior"' in response.text  # what was typed is kept
    assert (count(app, Organisation), count(app, User)) == before


def test_org_admin_adds_a_user_to_their_own_organisation(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    auth.sign_in("admin@fr.example.org")
    page = client.get("/admin/users")
    response = client.post(
        "/admin/users",
        data={
            "email": "new.analyst@fr.example.org",
            "name": "Nouvelle Analyste",
            "roles": ["analyst", "official"],
            "password": "mot de passe temporaire",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = accounts.user_by_email("new.analyst@fr.example.org")
        assert user.organisation.code == "FR-MININT"
        assert user.roles == {Role.ANALYST, Role.OFFICIAL}


def test_org_admin_cannot_grant_sysadmin(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    auth.sign_in("admin@fr.example.org")
    page = client.get("/admin/users")
    assert 'value="sysadmin"' not in page.text
    response = client.post(
        "/admin/users",
        data={
            "email": "sneaky@fr.example.org",
            "name": "Sneaky",
            "roles": ["sysadmin"],
            "password": "mot de passe temporaire",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 200
    assert count(app, User) == 1


def test_org_admin_cannot_escalate_an_existing_user_to_sysadmin(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    target = people.user("ana@fr.example.org", "analyst")
    auth.sign_in("admin@fr.example.org")
    page = client.get(f"/admin/users/{target}")
    client.post(
        f"/admin/users/{target}",
        data={"roles-roles": ["sysadmin"], "roles-csrf_token": csrf_token(page.text)},
    )
    with app.app_context():
        assert accounts.user_by_email("ana@fr.example.org").roles == {Role.ANALYST}
    with app.app_context():
        import pytest

        from portal.services.errors import Forbidden

        admin_id = accounts.user_by_email("admin@fr.example.org").id
        actor = Actor(user_id=admin_id, org_id=accounts.organisation_by_code("FR-MININT").id)
        with pytest.raises(Forbidden):
            accounts.set_roles(actor, target, ["sysadmin"])


def _tokenless(html: str) -> str:
    return re.sub(r'("csrf-token" content=")[^"]+|(name="csrf_token"[^>]*value=")[^"]+', "", html)


def test_org_admin_cannot_reach_another_organisations_users(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    german = people.user("ana@de.example.org", "analyst", org="DE-BMI")
    de_org = people.org("DE-BMI")
    auth.sign_in("admin@fr.example.org")
    page = client.get("/")
    token = csrf_token(page.text)
    assert client.get(f"/admin/users/{german}").status_code == 404
    # The same page as for an id no user has: the refusal does not say the user exists.
    # (The CSRF token in the page carries the second it was made: it is left out.)
    assert _tokenless(client.get(f"/admin/users/{german}").text) == _tokenless(
        client.get("/admin/users/9999").text
    )
    assert client.get(f"/admin/users?org={de_org}").status_code == 404
    assert client.get(f"/admin/audit?org={de_org}").status_code == 404
    assert (
        client.post(f"/admin/users/{german}/disable", data={"csrf_token": token}).status_code == 404
    )
    assert (
        client.post(
            f"/admin/users/{german}/password",
            data={"reset-password": "x" * 20, "reset-csrf_token": token},
        ).status_code
        == 404
    )
    with app.app_context():
        user = db.session.get(User, german)
        assert user.active
        assert not user.must_change_password


def test_disabling_a_user_in_the_browser_ends_their_sessions(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    target = people.user("ana@fr.example.org", "analyst")
    victim = app.test_client()
    type(auth)(victim, people).login("ana@fr.example.org")
    assert victim.get("/").status_code == 200
    auth.sign_in("admin@fr.example.org")
    page = client.get(f"/admin/users/{target}")
    response = client.post(
        f"/admin/users/{target}/disable", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    assert victim.get("/").status_code == 302
    with app.app_context():
        record = db.session.scalar(select(LoginSession).where(LoginSession.user_id == target))
        assert record.end_reason == "user_disabled"


def test_admin_cannot_disable_themselves(app, client, auth, people):
    admin = people.user("admin@fr.example.org", "org_admin")
    auth.sign_in("admin@fr.example.org")
    page = client.get(f"/admin/users/{admin}")
    response = client.post(
        f"/admin/users/{admin}/disable", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 400
    assert "cannot disable your own account" in response.text
    assert client.get("/").status_code == 200


def test_reset_second_factor_forces_a_new_enrolment(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    target = people.user("ana@fr.example.org", "analyst")
    auth.sign_in("admin@fr.example.org")
    page = client.get(f"/admin/users/{target}")
    client.post(f"/admin/users/{target}/reset-mfa", data={"csrf_token": csrf_token(page.text)})
    other = app.test_client()
    response = type(auth)(other, people).password_step("ana@fr.example.org", PASSWORD)
    assert response.location.endswith("/login/enrol")


def test_audit_trail_shows_only_the_organisations_events_and_filters(app, client, auth, people):
    people.user("admin@fr.example.org", "org_admin")
    people.user("ana@fr.example.org", "analyst")
    people.user("hans@de.example.org", "analyst", org="DE-BMI")
    auth.sign_in("admin@fr.example.org")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert "ana@fr.example.org" in page.text
    assert "hans@de.example.org" not in page.text
    filtered = client.get("/admin/audit?event=login.success")
    assert (
        "login.success" in filtered.text and "user.created" not in filtered.text.split("<tbody>")[1]
    )
    by_user = client.get("/admin/audit?email=ana@fr.example.org")
    rows = by_user.text.split("<tbody>")[1]
    assert "ana@fr.example.org" in rows and "admin@fr.example.org" not in rows
    future = client.get("/admin/audit?since=2999-01-01")
    assert "No records match" in future.text
    bad = client.get("/admin/audit?since=yesterday")
    assert bad.status_code == 400 and "Not a valid date" in bad.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditRecord)) >= 4


def test_audit_trail_pages(app, client, auth, people):
    app.config["AUDIT_PAGE_SIZE"] = 2
    people.user("admin@fr.example.org", "org_admin")
    for n in range(4):
        people.user(f"user{n}@fr.example.org", "analyst")
    auth.sign_in("admin@fr.example.org")
    first = client.get("/admin/audit")
    assert "Older" in first.text
    second = client.get("/admin/audit?page=2")
    assert "Newer" in second.text
    assert first.text.split("<tbody>")[1] != second.text.split("<tbody>")[1]


def test_roles_must_fit_the_kind_of_organisation(app, people):
    people.org("META", kind="platform")
    import pytest

    from portal.services.errors import InvalidInput

    with app.app_context(), pytest.raises(InvalidInput, match="cannot be held"):
        accounts.create_user(
            CLI,
            org_code="META",
            email="a@meta.example.com",
            name="A",
            roles=["analyst"],
            password=PASSWORD,
        )
