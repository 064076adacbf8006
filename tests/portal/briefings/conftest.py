"""Briefing fixtures: the bulletins desk (ministries, officers, analysts) and signed-in clients."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.portal.bulletins.conftest import Desk
from tests.portal.bulletins.sessions import Clients
from tests.portal.conftest import People


@pytest.fixture
def desk(app: Flask, people: People) -> Desk:
    return Desk(app, people).setup()


@pytest.fixture
def clients(app: Flask, people: People) -> Clients:
    return Clients(app, people)
