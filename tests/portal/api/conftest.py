"""API fixtures: the bulletins desk and personal API tokens made through the service."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.extensions import db
from portal.models import User
from portal.services.accounts import api_tokens
from portal.services.principals import CLI
from tests.conftest import World
from tests.portal.bulletins.conftest import Desk
from tests.portal.conftest import People


@pytest.fixture
def desk(app: Flask, people: People, desk_world: World[dict[str, int]]) -> Desk:
    return Desk.loaded(app, people, desk_world)


@pytest.fixture
def token(app: Flask, desk: Desk):
    """``token(who, write=False)``: a fresh token of a desk user."""

    def make(who: str, *, write: bool = False, days: int = 30) -> str:
        with app.app_context():
            user = db.session.get_one(User, desk.users[who])
            return api_tokens.create(user, CLI, f"test {who}", days=days, write=write).token

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
