"""Hash bank fixtures: the referral world (ministries, two platforms and their liaison
officers), one referral with its case, and three banks, built once per backend."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from flask import Flask
from PIL import Image

from portal.extensions import db
from portal.models import User
from portal.services.accounts import api_tokens
from portal.services.hashbanks import banks
from portal.services.principals import CLI, Reader
from tests.conftest import World as Built
from tests.portal.conftest import People
from tests.portal.referrals.conftest import World, item


def picture(seed: int = 7, size: int = 256, fmt: str = "PNG", **save: Any) -> bytes:
    """A textured image (blocks of random grey levels, smoothed): PDQ quality is high."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(16, 16), dtype=np.uint8)
    image = Image.fromarray(blocks, "L").resize((size, size), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.convert("RGB").save(out, fmt, **save)
    return out.getvalue()


@dataclass
class BankWorld:
    world: World
    de_bank: int  # DE-BMI's, read by PLATFORM-X and FR-MININT
    x_bank: int  # PLATFORM-X's own, read by no one else
    y_bank: int  # PLATFORM-Y's, read by no one else
    case_id: str
    item_id: str

    def reader(self, who: str) -> Reader:
        return self.world.reader(who)


def _build(app: Flask) -> dict[str, Any]:
    world = World(app, People(app)).setup()
    with app.app_context():
        referred = world.refer("de", [item("https://video.example/watch?v=bank1")])
        de_bank = banks.create_bank(CLI, "DE-BMI", "DE images", readers=["PLATFORM-X", "FR-MININT"])
        x_bank = banks.create_bank(CLI, "PLATFORM-X", "X own")
        y_bank = banks.create_bank(CLI, "PLATFORM-Y", "Y own")
        return {
            "users": dict(world.users),
            "de_bank": de_bank.id,
            "x_bank": x_bank.id,
            "y_bank": y_bank.id,
            "case_id": referred.items[0].case_id,
            "item_id": referred.items[0].id,
        }


@pytest.fixture(scope="session")
def bank_world_built(worlds):  # type: ignore[no-untyped-def]
    return worlds.build("hashbanks", _build)


@pytest.fixture
def bw(app: Flask, people: People, bank_world_built: Built[dict[str, Any]]) -> BankWorld:
    bank_world_built.load(app)
    value = bank_world_built.value
    world = World(app, people, dict(value["users"]))
    return BankWorld(
        world,
        value["de_bank"],
        value["x_bank"],
        value["y_bank"],
        value["case_id"],
        value["item_id"],
    )


@pytest.fixture
def token(app: Flask, bw: BankWorld):  # type: ignore[no-untyped-def]
    def make(who: str) -> dict[str, str]:
        with app.app_context():
            user = db.session.get_one(User, bw.world.users[who])
            secret = api_tokens.create(user, CLI, f"test {who}", days=30, write=True).token
        return {"Authorization": f"Bearer {secret}"}

    return make
