"""STIX fixtures: the bulletins desk (ministries with keys, officers, analysts, a platform)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.portal.bulletins.conftest import Desk
from tests.portal.conftest import People


@pytest.fixture
def desk(app: Flask, people: People) -> Desk:
    return Desk(app, people).setup()
