"""Analysis fixtures: the bulletins desk and signed-in clients; graphs cached per test app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from portal.services.analysis import org_graphs
from tests.conftest import World
from tests.portal.bulletins.conftest import Desk
from tests.portal.bulletins.sessions import Clients
from tests.portal.conftest import People


@pytest.fixture
def desk(app: Flask, people: People, desk_world: World[dict[str, int]]) -> Iterator[Desk]:
    org_graphs.forget()  # each test's database starts empty under the same URL
    yield Desk.loaded(app, people, desk_world)
    org_graphs.forget()


@pytest.fixture
def clients(app: Flask, people: People) -> Clients:
    return Clients(app, people)
