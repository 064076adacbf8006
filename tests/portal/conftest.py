"""Portal fixtures: organisations, users, and signing in (through the real forms, or by the
authentication service where signing in is not what a test is about)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from flask import Flask, request, session
from flask.testing import FlaskClient
from flask_login import login_user

from portal.extensions import db
from portal.models import User
from portal.principal import Principal
from portal.services.accounts import authentication, mfa, passwords
from portal.services.accounts import directory as accounts
from portal.services.principals import CLI
from tests.conftest import World, Worlds

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


_FIXTURE_HASHES: dict[tuple[str, int, int, int], str] = {}


def fixture_password_hash(app: Flask, password: str) -> str:
    """The Argon2id hash of a fixture password under ``app``'s cost, computed once per session.

    Fixture users share it (as demo users share the demo password's hash): it is the very hash
    the service would store, salt aside, and signing in verifies it as it verifies any other.
    Tests of hashing itself call the password service, which hashes every time.
    """
    with app.app_context():
        config = app.config
        key = (
            password,
            config["ARGON2_TIME_COST"],
            config["ARGON2_MEMORY_COST_KIB"],
            config["ARGON2_PARALLELISM"],
        )
        if key not in _FIXTURE_HASHES:
            _FIXTURE_HASHES[key] = passwords.hash_password(password)
        return _FIXTURE_HASHES[key]


@dataclass
class People:
    """Creates organisations and users through the services, as the CLI would."""

    app: Flask

    def org(self, code: str = "FR-MININT", kind: str = "member") -> int:
        with self.app.app_context():
            try:
                return accounts.organisation_by_code(code).id
            except Exception:
                return accounts.create_organisation(
                    CLI, code=code, name=f"{code} ministry", kind=kind
                ).id

    def user(
        self,
        email: str,
        *roles: str,
        org: str = "FR-MININT",
        kind: str = "member",
        enrolled: bool = True,
        must_change_password: bool = False,
        password: str = PASSWORD,
    ) -> int:
        self.org(org, kind)
        with self.app.app_context():
            return accounts.create_user(
                CLI,
                org_code=org,
                email=email,
                name=email.split("@")[0].title(),
                roles=roles or ("analyst",),
                password=password,
                password_hash=fixture_password_hash(self.app, password),
                must_change_password=must_change_password,
                enrol_totp=enrolled,
            ).id

    def next_code(self, user_id: int) -> str:
        """A valid code that has not been used yet (each code is accepted once)."""
        with self.app.app_context():
            user = db.session.get(User, user_id)
            assert user is not None
            totp = pyotp.TOTP(mfa.secret(user))
            now = time.time()
            now_step = int(now) // 30
            # The previous step's code stops being accepted at the next step boundary: take it
            # only when that boundary is not seconds away, or a slow machine fails the sign-in.
            earliest = now_step - 1 if now % 30 < 20 else now_step
            step = max(earliest, user.totp_last_step + 1)
            assert step <= now_step + 1, "this user signed in too often within 30 seconds"
            return totp.at(step * 30)


@pytest.fixture
def people(app: Flask) -> People:
    return People(app)


def sign_in(client: FlaskClient, people: People, email: str) -> None:
    """Sign ``email`` in on ``client`` without the sign-in pages, for tests about something else.

    The second factor is checked by the authentication service with the user's next code, which
    starts the server-side session and audits the sign-in as the form does; the session cookie
    is then written as the view writes it (``login_user`` in a request from this client's own
    address and browser). The password step is left out: tests of signing in use the forms.
    """
    app = people.app
    with app.app_context():
        user_id = accounts.user_by_email(email).id
    code = people.next_code(user_id)
    with app.test_request_context("/login/verify", environ_base=client.environ_base):
        started = authentication.check_second_factor(
            user_id, code, request.remote_addr, request.user_agent.string
        )
        login_user(Principal(started.user, started.record, started.token))
        signed_in = dict(session)
    with client.session_transaction() as cookie:
        cookie.clear()
        cookie.update(signed_in)


class Auth:
    """Signs in through /login and /login/verify with real CSRF tokens (``login``), or by the
    authentication service (``sign_in``) where signing in is not under test."""

    def __init__(self, client: FlaskClient, people: People) -> None:
        self.client = client
        self.people = people

    def password_step(self, email: str, password: str = PASSWORD) -> Any:
        page = self.client.get("/login")
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        )

    def code_step(self, code: str) -> Any:
        page = self.client.get("/login/verify")
        return self.client.post(
            "/login/verify", data={"code": code, "csrf_token": csrf_token(page.text)}
        )

    def login(self, email: str, password: str = PASSWORD) -> Any:
        first = self.password_step(email, password)
        assert first.status_code == 302 and first.location.endswith("/login/verify"), first.text
        with self.people.app.app_context():
            user_id = accounts.user_by_email(email).id
        done = self.code_step(self.people.next_code(user_id))
        assert done.status_code == 302 and done.location.endswith("/"), done.text
        return done

    def sign_in(self, email: str) -> None:
        sign_in(self.client, self.people, email)

    def logout(self) -> Any:
        page = self.client.get("/")
        return self.client.post("/logout", data={"csrf_token": csrf_token(page.text)})


@pytest.fixture
def auth(client: FlaskClient, people: People) -> Auth:
    return Auth(client, people)


@pytest.fixture(scope="session")
def desk_world(worlds: Worlds) -> World[dict[str, int]]:
    """The bulletins desk (``tests/portal/bulletins/conftest.py``), built once per backend."""
    from tests.portal.bulletins.conftest import Desk

    return worlds.build("desk", lambda app: Desk(app, People(app)).setup().users)


def seed_demo(app: Flask, bulletins: int = 0, referrals: int = 0, hashes: int = 0) -> str:
    """``flask seed-demo`` with explicit counts (its defaults seed thousands of PDQ hashes)."""
    result = app.test_cli_runner().invoke(
        args=[
            "seed-demo",
            *("--bulletins", str(bulletins)),
            *("--referrals", str(referrals)),
            *("--hashes", str(hashes)),
        ]
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="session")
def demo_people_world(worlds: Worlds) -> World[str]:
    """``seed-demo``'s organisations, keys and users alone, built once per backend (their keys
    and Argon2id hashes are most of a seeding's cost); its value is the command's output."""
    return worlds.build("demo-people", seed_demo)


DEMO_BULLETINS = 30


@pytest.fixture(scope="session")
def demo_bulletins_world(worlds: Worlds, demo_people_world: World[str]) -> World[str]:
    """``seed-demo --bulletins 30`` on the demo people, built once per backend."""
    return worlds.build(
        "demo-bulletins",
        lambda app: seed_demo(app, bulletins=DEMO_BULLETINS),
        on=demo_people_world,  # type: ignore[arg-type]
    )
