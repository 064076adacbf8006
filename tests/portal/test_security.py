"""Web security on every route: access rules, CSRF, headers, error pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.access import rule_for
from portal.extensions import db
from portal.models import AuditRecord, LoginSession, Organisation, User
from tests.portal.conftest import csrf_token

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
SAMPLE_ARGS = {
    "user_id": 1,
    "action": "disable",
    "group_id": 1,
    "index": 0,
    "request_id": 1,
    "filter_id": 1,
    "investigation_id": 1,
    "fmt": "csv",
    "decision_id": 1,
    "token_id": 1,
    "bank_id": 1,
    "entry_id": 1,
    "watch_id": 1,
}


def routes(app, methods=None):
    for rule in app.url_map.iter_rules():
        if methods is None or rule.methods & methods:
            yield rule


def build(app, rule) -> str:
    with app.test_request_context():
        from flask import url_for

        args = {name: SAMPLE_ARGS.get(name, "x") for name in rule.arguments}
        if rule.endpoint == "static":
            args = {"filename": "css/portal.css"}
        return url_for(rule.endpoint, **args)


def test_every_view_declares_an_access_rule(app):
    missing = [rule.endpoint for rule in routes(app) if rule_for(app, rule.endpoint) is None]
    assert missing == []


def test_a_view_without_a_rule_is_denied(app, client):
    @app.route("/forgotten")
    def forgotten() -> str:
        return "should never be served"

    assert client.get("/forgotten").status_code == 404


def test_only_the_sign_in_pages_and_static_files_are_public(app):
    public = sorted(r.endpoint for r in routes(app) if rule_for(app, r.endpoint).public)
    # The probes and /metrics are public to the access rules: /metrics checks its own token.
    # Choosing a language, and the scripts' messages, are public so that the sign-in page can
    # speak it (the choice is a POST with its CSRF token).
    assert public == [
        "api.openapi",
        "auth.choose_language",
        "auth.enrol",
        "auth.login",
        "auth.script_messages_file",
        "auth.verify",
        "health.healthz",
        "health.metrics",
        "health.readyz",
        "static",
    ]


def test_api_routes_take_a_token_and_nothing_else(app, client):
    token_routes = [r for r in routes(app) if rule_for(app, r.endpoint).api_token]
    assert token_routes and all(r.rule.startswith(("/api/v1/", "/taxii2/")) for r in token_routes)
    for rule in token_routes:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(build(app, rule), method=method)
            assert response.status_code == 401, rule.endpoint


def test_signed_out_visitors_are_sent_to_sign_in_from_every_private_page(app, client):
    for rule in routes(app, {"GET"}):
        if rule_for(app, rule.endpoint).public or rule_for(app, rule.endpoint).api_token:
            continue
        with client.get(build(app, rule)) as response:
            assert response.status_code == 302, rule.endpoint
            assert "/login" in response.location


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (AuditRecord, LoginSession, Organisation, User)
        }


def test_every_state_changing_route_refuses_a_post_without_csrf_token(app, client, auth, people):
    people.user("root@it.example.org", "sysadmin", org="IT-MININT")
    auth.sign_in("root@it.example.org")
    before = table_counts(app)
    checked = []
    for rule in routes(app, STATE_CHANGING):
        if rule_for(app, rule.endpoint).api_token:
            continue  # no cookie authenticates the API: see test_api_routes_take_a_token
        url = build(app, rule)
        response = client.post(url, data={"email": "x@y.org", "roles": "analyst"})
        assert response.status_code == 400, (rule.endpoint, response.status_code)
        assert "did not come from this portal" in response.text
        checked.append(rule.endpoint)
    assert table_counts(app) == before
    assert {"auth.login", "auth.logout", "admin.users", "admin.user_action"} <= set(checked)


EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers[name] == value


def test_security_headers_on_every_route_signed_in_and_out(app, client, auth, people):
    people.user("root@it.example.org", "sysadmin", org="IT-MININT")
    for signed_in in (False, True):
        if signed_in:
            auth.sign_in("root@it.example.org")
        for rule in routes(app, {"GET"}):
            with client.get(build(app, rule)) as response:
                assert_security_headers(response)
                if rule.endpoint not in ("static", "auth.script_messages_file"):
                    assert response.headers["Cache-Control"] == "no-store", rule.endpoint
    assert_security_headers(client.get("/no/such/page"))


def test_signed_in_pages_are_never_cached(client, auth, people):
    people.user("ana@fr.example.org", "analyst")
    auth.sign_in("ana@fr.example.org")
    response = client.get("/")
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_carry_no_inline_script_or_style(client, auth, people):
    people.user("root@it.example.org", "sysadmin", org="IT-MININT")
    auth.sign_in("root@it.example.org")
    for url in ("/", "/admin/users", "/admin/audit", "/admin/organisations"):
        html = client.get(url).text
        assert "<script>" not in html and " style=" not in html and "<style" not in html
        assert " onclick=" not in html


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/no/such/page", "not shared with your organisation"),
        ("/admin/users/999999", "No such user"),
    ],
)
def test_error_pages_are_generic(client, auth, people, url, message):
    people.user("admin@fr.example.org", "org_admin")
    auth.sign_in("admin@fr.example.org")
    response = client.get(url)
    assert response.status_code == 404
    assert "Traceback" not in response.text
    assert message in response.text


def test_an_unexpected_error_shows_a_generic_page_without_a_trace(app, client):
    from portal.access import public

    @app.route("/explode")
    @public
    def explode() -> str:
        raise RuntimeError("secret internal detail")

    response = client.get("/explode")
    assert response.status_code == 500
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert "Something went wrong" in response.text


def test_a_role_the_user_lacks_gives_403(client, auth, people):
    people.user("ana@fr.example.org", "analyst")
    auth.sign_in("ana@fr.example.org")
    for url in ("/admin/users", "/admin/audit", "/admin/organisations"):
        assert client.get(url).status_code == 403


def test_session_cookies_follow_a_change_of_secret_key(app, client, auth, people):
    people.user("keys@fr.example.org", "analyst")
    auth.sign_in("keys@fr.example.org")
    cookie = client.get_cookie("ischia_session").value
    assert client.get("/").status_code == 200
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a new secret key, rotated by the operator, 0123456789"
    assert client.get("/").status_code == 302  # the old signature is no longer accepted
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    client.set_cookie("ischia_session", cookie)
    assert client.get("/").status_code == 200  # until the old key is listed as a fallback


def test_a_temporary_password_opens_only_the_password_change_sign_out_and_static(
    app, client, auth, people
):
    people.user("temp@fr.example.org", "analyst", must_change_password=True)
    auth.login("temp@fr.example.org")
    for url in ("/", "/bulletins/", "/analysis/", "/account/tokens/", "/admin/users"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.endswith("/account/password"), url
    page = client.get("/account/password")
    assert page.status_code == 200
    with client.get("/static/css/portal.css") as static:
        assert static.status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert out.status_code == 302 and "/account/password" not in out.location
    assert "/login" in client.get("/").location  # signed out, not sent to change a password


def test_a_signed_in_user_with_the_role_reaches_the_page(client, auth, people):
    people.user("root@it.example.org", "sysadmin", org="IT-MININT")
    auth.sign_in("root@it.example.org")
    assert client.get("/admin/organisations").status_code == 200
