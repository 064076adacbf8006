"""Evidence images join cases by PDQ: two ministries' captures of one picture (re-encoded,
brightened, resized) make one case at the platform; another picture, a non-image or another
platform's item do not."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from portal.extensions import db
from portal.models import ReferralCaseKey, ReferralItem
from portal.services.referrals import evidence
from portal.services.referrals.evidence import EvidenceUpload
from tests.portal.referrals.conftest import NOW, item
from tests.portal.referrals.test_queue_pages import client_of
from tests.portal.service_checks import actor_of


def picture(seed: int, *, brighter: int = 0, side: int = 256, fmt: str = "PNG") -> bytes:
    blocks = np.random.default_rng(seed).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    pixels = np.kron(blocks, np.ones((32, 32, 1), dtype=np.uint8)).astype(np.int16) + brighter
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).resize((side, side))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def attach(world, who: str, item_id: str, data: bytes, name: str) -> None:
    reader = world.reader(who)
    evidence.attach(
        reader, actor_of(reader), item_id, EvidenceUpload(name, io.BytesIO(data)), now=NOW
    )


def case_of(item_id: str) -> str:
    return db.session.get_one(ReferralItem, item_id).case_id


def test_near_copies_of_one_picture_make_one_case_at_one_platform(app, world):
    with app.app_context():
        (de_item,) = world.refer("de", [item("https://img.example/a")]).items
        (fr_item,) = world.refer("fr", [item("https://mirror.example/b")]).items
        (it_item,) = world.refer("it", [item("https://img.example/c")]).items
        (uk_item,) = world.refer("uk", [item("https://img.example/d")]).items
        (y_item,) = world.refer("fr", [item("https://img.example/e")], platform="PLATFORM-Y").items
        assert len({case_of(i.id) for i in (de_item, fr_item, it_item, uk_item)}) == 4

        attach(world, "de", de_item.id, picture(1), "capture.png")
        attach(world, "fr", fr_item.id, picture(1, brighter=12, side=512, fmt="JPEG"), "b.jpg")
        attach(world, "it", it_item.id, picture(2), "other.png")
        attach(world, "uk", uk_item.id, b"%PDF-1.4 not a picture", "page.pdf")
        attach(world, "fr", y_item.id, picture(1), "same-picture-other-platform.png")

        assert case_of(de_item.id) == case_of(fr_item.id)
        assert case_of(it_item.id) != case_of(de_item.id)
        assert case_of(uk_item.id) not in {case_of(de_item.id), case_of(it_item.id)}
        keys = {
            (k.case_id, k.key[:4])
            for k in db.session.query(ReferralCaseKey).filter(ReferralCaseKey.key.like("pdq:%"))
        }
        # Each image's PDQ is a key of its case; the PDF has none.
        assert (case_of(de_item.id), "pdq:") in keys and (case_of(uk_item.id), "pdq:") not in keys
        # The other platform's case stays its own.
        assert case_of(y_item.id) != case_of(de_item.id)


def blank(side: int, fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (255, 255, 255)).save(out, format=fmt)
    return out.getvalue()


def test_flat_pictures_have_no_trustworthy_pdq_and_join_nothing(app, world):
    with app.app_context():
        (de_item,) = world.refer("de", [item("https://img.example/white-1")]).items
        (fr_item,) = world.refer("fr", [item("https://img.example/white-2")]).items
        attach(world, "de", de_item.id, blank(400, "PNG"), "white.png")
        attach(world, "fr", fr_item.id, blank(1024, "JPEG"), "white.jpg")
        assert case_of(de_item.id) != case_of(fr_item.id)


def test_the_platform_reads_the_evidence_on_its_item_page(app, world):
    with app.app_context():
        (referred,) = world.refer("de", [item("https://img.example/seen")]).items
        attach(world, "de", referred.id, picture(3), "capture-for-x.png")
    page = client_of(world, "x").get(f"/referrals/queue/{referred.id}")
    assert page.status_code == 200
    assert "capture-for-x.png" in page.text and "Attach a captured copy" not in page.text
    assert f"/referrals/items/{referred.id}/evidence/" in page.text
