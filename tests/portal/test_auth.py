"""Signing in: password, TOTP, limits, sessions and their end."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import AuditRecord, LoginSession, User, utcnow
from portal.services.accounts import directory as accounts
from portal.services.accounts import mfa
from portal.services.principals import CLI
from tests.portal.conftest import PASSWORD, Auth, csrf_token

EMAIL = "ana@fr.example.org"
NOBODY = "bob@fr.example.org"  # no account; as long as EMAIL, so pages are as long too


def audit_events(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditRecord.event).order_by(AuditRecord.seq)))


def test_full_sign_in_reaches_dashboard_and_is_audited(app, client, auth, people):
    people.user(EMAIL, "analyst")
    auth.login(EMAIL)
    page = client.get("/")
    assert page.status_code == 200
    assert "Welcome, Ana" in page.text
    assert "login.success" in audit_events(app)


def test_the_dashboard_names_sign_in_events_in_words(client, auth, people):
    people.user(EMAIL, "analyst")
    auth.password_step(EMAIL, "not the right password")
    auth.login(EMAIL)
    page = client.get("/").text
    activity = page[page.index("Recent sign-in activity") :]
    assert "Signed in" in activity
    assert "Sign-in refused: wrong e-mail or password" in activity
    assert "login.success" not in activity and "login.failed" not in activity


def test_unknown_user_and_wrong_password_get_the_same_answer(client, auth, people):
    people.user(EMAIL, "analyst")
    unknown = auth.password_step("nobody@fr.example.org")
    wrong = auth.password_step(EMAIL, "not the right password")
    assert unknown.status_code == wrong.status_code == 400
    assert "The e-mail address or password is incorrect." in unknown.text
    assert "The e-mail address or password is incorrect." in wrong.text


def test_password_alone_does_not_sign_in(client, auth, people):
    people.user(EMAIL, "analyst")
    response = auth.password_step(EMAIL)
    assert response.location.endswith("/login/verify")
    assert client.get("/").status_code == 302


def test_eleventh_failed_login_is_refused_even_with_the_right_password(app, auth, people):
    people.user(EMAIL, "analyst")
    for _ in range(10):
        assert auth.password_step(EMAIL, "wrong password, again").status_code == 400
    locked = auth.password_step(EMAIL, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    events = audit_events(app)
    assert events.count("login.failed") == 10
    assert "login.lockout" in events and "login.locked" in events


def comparable(response, email: str) -> tuple[int, str, list[tuple[str, str]]]:
    """What an attacker compares: status, page (but the address typed, which the form shows
    again, and its CSRF token, which carries the second it was made) and headers (but the
    cookie and date, which carry time and session)."""
    import re

    page = re.sub(r'"[A-Za-z0-9._-]{60,}"', '"token"', response.text.replace(email, "EMAIL"))
    headers = sorted((k, v) for k, v in response.headers if k not in ("Set-Cookie", "Date"))
    return response.status_code, page, headers


def test_unknown_and_existing_addresses_are_throttled_alike(app, people):
    """Attempt by attempt, 10 wrong passwords and then more: the same status, page and headers
    for an account and for an address nobody has, up to the 429 and its Retry-After."""
    people.user(EMAIL, "analyst")
    answers = {}
    for email in (EMAIL, NOBODY):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        attacker = Auth(browser, people)
        answers[email] = [
            comparable(attacker.password_step(email, "wrong password, again"), email)
            for _ in range(12)
        ]
    known, unknown = answers[EMAIL], answers[NOBODY]
    assert [a[0] for a in known] == [400] * 10 + [429, 429]
    assert known == unknown
    assert ("Retry-After", "60") in known[10][2]
    assert "Too many failed attempts" in known[10][1]


def test_the_user_gets_in_from_elsewhere_while_an_attacker_is_throttled(app, people):
    """The throttle holds the attacker's address, not the account: the right password from the
    user's own address still signs in (no lockout to deny the user service)."""
    people.user(EMAIL, "analyst")
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    attacker = Auth(browser, people)
    for _ in range(15):
        attacker.password_step(EMAIL, "wrong password, again")
    assert attacker.password_step(EMAIL).status_code == 429  # even the right one, from there
    user_browser = app.test_client()
    user_browser.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    Auth(user_browser, people).login(EMAIL)
    assert user_browser.get("/").status_code == 200


def test_failures_older_than_the_window_no_longer_count(app, auth, people):
    user_id = people.user(EMAIL, "analyst")
    for _ in range(10):
        auth.password_step(EMAIL, "wrong password, again")
    from portal.models import LoginFailure

    with app.app_context(), db.write() as session:
        session.execute(
            update(LoginFailure)
            .where(LoginFailure.user_id == user_id)
            .values(at=utcnow() - timedelta(minutes=16))
        )
    assert auth.password_step(EMAIL).status_code == 302


def test_wrong_codes_count_towards_the_account_limit(client, auth, people):
    people.user(EMAIL, "analyst")
    auth.password_step(EMAIL)
    for _ in range(10):
        response = auth.code_step("000000")
        assert response.status_code == 400
        assert "incorrect or was already used" in response.text
    assert auth.code_step("123456").status_code == 429


def test_a_totp_code_is_accepted_once_only(app, client, auth, people):
    user_id = people.user(EMAIL, "analyst")
    code = people.next_code(user_id)
    auth.password_step(EMAIL)
    assert auth.code_step(code).status_code == 302
    auth.logout()
    auth.password_step(EMAIL)
    replay = auth.code_step(code)
    assert replay.status_code == 400
    assert "already used" in replay.text
    assert "login.mfa_failed" in audit_events(app)


def test_codes_too_old_or_malformed_are_refused(app, people):
    user_id = people.user(EMAIL, "analyst")
    with app.app_context():
        user = db.session.get(User, user_id)
        totp = pyotp.TOTP(mfa.secret(user))
        now = 1_900_000_000
        # Six digits collide now and then: take a moment whose stale code is no valid one.
        while totp.at(now - 90) in {totp.at(now + d) for d in (-30, 0, 30)}:
            now += 30
        assert not mfa.accept_code(user, totp.at(now - 90), at=now)
        assert not mfa.accept_code(user, "12345", at=now)
        assert not mfa.accept_code(user, "abcdef", at=now)
        assert mfa.accept_code(user, totp.at(now - 30), at=now)
        # an earlier step than the one just accepted is now a replay
        assert not mfa.accept_code(user, totp.at(now - 30), at=now)


def test_first_sign_in_enrols_the_second_factor_with_a_qr_code(app, client, auth, people):
    people.user(EMAIL, "analyst", enrolled=False)
    first = auth.password_step(EMAIL)
    assert first.location.endswith("/login/enrol")
    page = client.get("/login/enrol")
    assert "<svg" in page.text and "data-totp-secret" in page.text
    secret = page.text.split("data-totp-secret>")[1].split("<")[0]
    wrong = client.post(
        "/login/enrol", data={"code": "000000", "csrf_token": csrf_token(page.text)}
    )
    assert wrong.status_code == 400 and "incorrect" in wrong.text
    done = client.post(
        "/login/enrol",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(wrong.text)},
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    with app.app_context():
        assert accounts.user_by_email(EMAIL).totp_confirmed
    assert "mfa.enrolled" in audit_events(app)


def test_the_totp_seed_is_sealed_under_the_master_key(app, people):
    user_id = people.user(EMAIL, "analyst")
    with app.app_context():
        user = db.session.get(User, user_id)
        secret = mfa.secret(user).encode()
        assert secret not in user.totp_secret_sealed
        assert len(secret) >= 32  # 160 bits, base32


def test_sign_in_starts_a_new_session(client, auth, people):
    people.user(EMAIL, "analyst")
    client.get("/login")
    client.set_cookie("ischia_session", "planted-by-an-attacker")
    auth.login(EMAIL)
    cookie = client.get_cookie("ischia_session")
    assert cookie is not None and cookie.value != "planted-by-an-attacker"
    assert cookie.http_only and cookie.same_site == "Lax"


def test_logout_ends_the_session_so_a_copied_cookie_no_longer_works(app, client, auth, people):
    people.user(EMAIL, "analyst")
    auth.login(EMAIL)
    stolen = client.get_cookie("ischia_session").value
    response = auth.logout()
    assert response.status_code == 302
    assert "cache" in response.headers["Clear-Site-Data"]
    thief = app.test_client()
    thief.set_cookie("ischia_session", stolen)
    assert thief.get("/").status_code == 302
    assert "logout" in audit_events(app)


@pytest.mark.parametrize(
    ("field", "age"),
    [("last_seen_at", timedelta(minutes=16)), ("created_at", timedelta(hours=12, minutes=1))],
)
def test_idle_and_absolute_timeouts_end_the_session(app, client, auth, people, field, age):
    people.user(EMAIL, "analyst")
    auth.login(EMAIL)
    assert client.get("/").status_code == 200
    with app.app_context(), db.write() as session:
        session.execute(update(LoginSession).values({field: utcnow() - age}))
    assert client.get("/").status_code == 302
    with app.app_context():
        record = db.session.scalar(select(LoginSession))
        assert record.ended_at is not None
        assert record.end_reason.endswith("timeout")


def test_activity_keeps_the_session_alive(app, client, auth, people):
    people.user(EMAIL, "analyst")
    auth.login(EMAIL)
    with app.app_context(), db.write() as session:
        session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=14)))
    assert client.get("/").status_code == 200
    with app.app_context():
        seen = db.session.scalar(select(LoginSession.last_seen_at))
        assert utcnow() - seen < timedelta(minutes=1)


def test_disabling_a_user_ends_their_sessions_at_once(app, client, auth, people):
    user_id = people.user(EMAIL, "analyst")
    auth.login(EMAIL)
    with app.app_context():
        accounts.set_active(CLI, user_id, False)
    assert client.get("/").status_code == 302
    assert auth.password_step(EMAIL).status_code == 400  # refused like a wrong password


def test_temporary_password_must_be_changed_first(app, client, auth, people):
    people.user(EMAIL, "analyst", must_change_password=True)
    auth.login(EMAIL)
    assert client.get("/").location.endswith("/account/password")
    page = client.get("/account/password")
    weak = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "password1234",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert "too common" in weak.text
    done = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "une phrase de passe bien longue",
            "csrf_token": csrf_token(weak.text),
        },
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    assert "password.changed" in audit_events(app)


def test_changing_the_password_ends_other_sessions(app, client, auth, people):
    people.user(EMAIL, "analyst")
    other = app.test_client()
    other_auth = type(auth)(other, people)
    other_auth.login(EMAIL)
    auth.login(EMAIL)
    page = client.get("/account/password")
    client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "another long passphrase here",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_per_address_limit_answers_429_with_a_clear_page(
    app, client, people, database_url, master_key, tmp_path
):
    from portal import create_app
    from tests.conftest import test_config

    limited = create_app(
        test_config(database_url, master_key, tmp_path, RATELIMIT_LOGIN_PER_IP="3 per minute")
    )
    browser = limited.test_client()
    for _ in range(3):
        page = browser.get("/login")
        browser.post(
            "/login",
            data={"email": "x@y.org", "password": "p" * 12, "csrf_token": csrf_token(page.text)},
        )
    page = browser.get("/login")
    response = browser.post(
        "/login",
        data={"email": "x@y.org", "password": "p" * 12, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    limited.extensions["ischia.engine"].dispose()


def test_failed_logins_for_unknown_users_are_audited_without_a_user(app, auth):
    auth.password_step("ghost@fr.example.org")
    with app.app_context():
        record = db.session.scalar(select(AuditRecord).where(AuditRecord.event == "login.failed"))
        assert record.actor_user_id is None
        assert record.actor_email == "ghost@fr.example.org"
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_cookies_are_secure_over_https(client, auth, people):
    people.user(EMAIL, "analyst")
    client.get("/login", base_url="https://localhost")
    cookie = client.get_cookie("ischia_session", domain="localhost")
    assert cookie is not None and cookie.secure


def test_the_per_address_limit_is_shared_through_redis_when_configured(
    database_url, master_key, tmp_path
):
    """Two app instances (two workers) count the same address together when REDIS_URL is set."""
    import os
    import secrets as random

    from portal import create_app
    from tests.conftest import test_config

    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    # A fresh loopback address per run, so counters left in Redis by an earlier run do not count.
    address = "127." + ".".join(str(random.randbelow(254) + 1) for _ in range(3))
    workers = [
        create_app(
            test_config(
                database_url,
                master_key,
                tmp_path,
                REDIS_URL=redis_url,
                RATELIMIT_LOGIN_PER_IP="3 per minute",
            )
        )
        for _ in range(2)
    ]
    statuses = []
    for attempt in range(4):
        browser = workers[attempt % 2].test_client()
        page = browser.get("/login", environ_base={"REMOTE_ADDR": address})
        response = browser.post(
            "/login",
            data={"email": "x@y.org", "password": "p" * 12, "csrf_token": csrf_token(page.text)},
            environ_base={"REMOTE_ADDR": address},
        )
        statuses.append(response.status_code)
    assert statuses == [400, 400, 400, 429]
    for worker in workers:
        assert worker.config["RATELIMIT_STORAGE_URI"] == redis_url
        worker.extensions["ischia.engine"].dispose()


def test_reloading_the_enrolment_page_keeps_the_same_key(client, auth, people):
    people.user(EMAIL, "analyst", enrolled=False)
    auth.password_step(EMAIL)
    first = client.get("/login/enrol").text.split("data-totp-secret>")[1].split("<")[0]
    second = client.get("/login/enrol").text.split("data-totp-secret>")[1].split("<")[0]
    assert first == second and len(first) >= 32


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_the_client_address_comes_from_a_trusted_proxy_only(
    database_url, master_key, tmp_path, proxies, seen
):
    """Behind a reverse proxy the audit trail and the per-address limits see the client;
    without one configured, a forged X-Forwarded-For header changes nothing."""
    from portal import create_app
    from tests.conftest import test_config

    app = create_app(test_config(database_url, master_key, tmp_path, TRUSTED_PROXIES=proxies))
    client = app.test_client()
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"email": "x@y.org", "password": "p" * 12, "csrf_token": csrf_token(page.text)},
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "Referer": "https://localhost/login",  # Flask-WTF checks it over https
        },
    )
    assert answer.status_code == 400, answer.status_code  # the form again, with the error
    with app.app_context():
        record = db.session.scalar(
            select(AuditRecord)
            .where(AuditRecord.event == "login.failed")
            .order_by(AuditRecord.seq.desc())
        )
        assert record is not None and record.ip == seen
    app.extensions["ischia.engine"].dispose()


def test_in_demo_mode_a_demo_users_code_works_again_within_its_window(app, client, auth, people):
    demo_user = people.user("demo@fr.example.org", "analyst")
    other = people.user(EMAIL, "analyst")
    with app.app_context():
        db.session.get(User, demo_user).demo = True
        db.session.commit()
    app.config["DEMO"] = True
    try:
        code = people.next_code(demo_user)
        for _ in range(2):  # two people trying the demo as the same user
            auth.password_step("demo@fr.example.org")
            assert auth.code_step(code).status_code == 302
            auth.logout()
        ordinary = people.next_code(other)  # a user not made by the demo: once only
        auth.password_step(EMAIL)
        assert auth.code_step(ordinary).status_code == 302
        auth.logout()
        auth.password_step(EMAIL)
        assert "already used" in auth.code_step(ordinary).text
    finally:
        app.config["DEMO"] = False
    auth.password_step("demo@fr.example.org")  # outside demo mode, the demo user's too
    assert "already used" in auth.code_step(code).text


def test_the_code_field_has_the_focus(app, client, auth, people):
    people.user(EMAIL, "analyst")
    auth.password_step(EMAIL)
    page = client.get("/login/verify").text
    assert re.search(
        r'<input[^>]*autofocus[^>]*name="code"|<input[^>]*name="code"[^>]*autofocus', page
    )


def test_replaying_the_last_step_is_allowed_only_when_asked(app, people):
    user_id = people.user(EMAIL, "analyst")
    with app.app_context():
        user = db.session.get(User, user_id)
        totp = pyotp.TOTP(mfa.secret(user))
        now = 1_900_000_000
        while totp.at(now - 30) == totp.at(now):
            now += 30
        assert mfa.accept_code(user, totp.at(now), at=now)
        assert not mfa.accept_code(user, totp.at(now), at=now)
        assert mfa.accept_code(user, totp.at(now), at=now, again_in_window=True)
        assert not mfa.accept_code(user, totp.at(now - 30), at=now, again_in_window=True)
