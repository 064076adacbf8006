"""STIX fixtures: the bulletins desk (ministries with keys, officers, analysts, a platform),
loaded from ``desk_world`` (built once per backend)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import World
from tests.portal.bulletins.conftest import Desk
from tests.portal.conftest import People


@pytest.fixture
def desk(app: Flask, people: People, desk_world: World[dict[str, int]]) -> Desk:
    return Desk.loaded(app, people, desk_world)
