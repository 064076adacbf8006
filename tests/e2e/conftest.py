"""Browser fixtures: the portal served on 127.0.0.1 in a thread, and Debian's Chromium.

The portal is built from the same config as the other tests (``test_config``) on every backend
of ``database_url``, with demo mode on. Chromium is the one Debian installs, never a downloaded
build, and it reaches nothing but 127.0.0.1: loopback is the only address it may connect to
directly, every other destination goes to a dead proxy, and each test checks what it requested.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from portal.extensions import db
from portal.models import User
from portal.services.accounts import directory as accounts
from portal.services.accounts import mfa
from portal.services.bulletins import sealing
from portal.services.errors import NotFound
from portal.services.principals import CLI, Actor, Reader
from tests.conftest import empty_database, new_app, test_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Chromium never sends loopback through a proxy; anything else would hit a closed port.
    "--proxy-server=http://127.0.0.1:9",
]
PASSWORD = "river lantern copper meadow"
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 768, "height": 1024}


@dataclass
class LivePortal:
    """A running portal: its app (for seeding and reading the database) and its base URL."""

    app: Flask
    base_url: str

    def url(self, path: str) -> str:
        return self.base_url + path

    def user(
        self,
        email: str,
        *roles: str,
        org: str = "FR-MININT",
        enrolled: bool = True,
        must_change_password: bool = False,
    ) -> None:
        with self.app.app_context():
            try:
                accounts.organisation_by_code(org)
            except NotFound:
                accounts.create_organisation(
                    CLI, code=org, name=f"Ministry {org}", kind="member", country=org[:2]
                )
            accounts.create_user(
                CLI,
                org_code=org,
                email=email,
                name=email.split("@")[0].replace(".", " ").title(),
                roles=roles or ("analyst",),
                password=PASSWORD,
                must_change_password=must_change_password,
                enrol_totp=enrolled,
            )

    def post(
        self,
        email: str,
        title: str,
        entities: list[dict[str, Any]],
        relations: list[dict[str, Any]],
        *,
        recipients: list[str],
        marking: str = "TLP:AMBER",
        summary: str = "",
        body: str = "Seen on the platform.",
    ) -> str:
        """A graded bulletin posted through the service by ``email``'s officer: the world a
        browser test reads (its own compose test goes through the form)."""
        with self.app.app_context():
            reader = Reader.of(accounts.user_by_email(email))
            document = {
                "title": title,
                "summary": summary,
                "body": body,
                "entities": entities,
                "relations": relations,
                "grading": {"source": "B", "information": "2", "handling": "H0"},
            }
            draft = sealing.Draft(document, "recruitment", marking, recipients, uploads=[])
            return sealing.post_bulletin(reader, Actor(reader.user_id), draft).id

    def current_code(self, email: str) -> str:
        """The code the user's authenticator shows now, from the sealed TOTP seed."""
        with self.app.app_context():
            return mfa.current_code(accounts.user_by_email(email))

    def stored_user(self, email: str) -> User:
        with self.app.app_context():
            user = accounts.user_by_email(email)
            db.session.expunge(user)
            return user


@pytest.fixture
def live_portal(database_url: str, master_key: bytes, tmp_path: Path) -> Iterator[LivePortal]:
    """The portal on an ephemeral port of 127.0.0.1, served by threads, on an emptied database."""
    app = new_app(test_config(database_url, master_key, tmp_path, DEMO=True))
    engine = app.extensions["ischia.engine"]
    empty_database(engine)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-portal", daemon=True)
    thread.start()
    try:
        yield LivePortal(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        # Playwright turns the back/forward cache off; a user's Chromium has it on, and the
        # back-button test is about what that cache keeps.
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield chromium
    chromium.close()


@dataclass
class Watch:
    """What the page did besides rendering: console errors, uncaught errors, requests made."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        self.console_errors.append(f"{message.text} at {where}")

    def outside_requests(self) -> list[str]:
        return [u for u in self.requested if urlsplit(u).hostname != "127.0.0.1"]


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser: Browser, watch: Watch) -> Iterator[Page]:
    """A page in a fresh context (no cookies, no cache), watched by ``watch``."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("console", watch.on_console)
    tab.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    tab.on("request", lambda request: watch.requested.append(request.url))
    yield tab
    context.close()


def sign_in(page: Page, portal: LivePortal, email: str, password: str = PASSWORD) -> None:
    """Both factors through the real forms; the code comes from the user's TOTP seed."""
    page.goto(portal.url("/login"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(portal.url("/login/verify"))
    page.get_by_label("Six-digit code").fill(portal.current_code(email))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(portal.url("/"))
