"""Briefing fixtures: the bulletins desk (ministries, officers, analysts) and signed-in clients."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import World
from tests.portal.bulletins.conftest import Desk
from tests.portal.bulletins.sessions import Clients
from tests.portal.conftest import People


@pytest.fixture
def desk(app: Flask, people: People, desk_world: World[dict[str, int]]) -> Desk:
    return Desk.loaded(app, people, desk_world)


@pytest.fixture
def clients(app: Flask, people: People) -> Clients:
    return Clients(app, people)
