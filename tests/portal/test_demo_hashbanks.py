"""``seed-demo --hashes N``: two shared hash banks of PDQ hashes from generated images, and a
sample image that matches one of them."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.demo import hashbanks as demo_hashbanks
from portal.extensions import db
from portal.models import HashBank, HashEntry
from portal.services.accounts import directory as accounts
from portal.services.hashbanks import matching
from portal.services.principals import Reader


def reader_of(email: str) -> Reader:
    return Reader.of(accounts.user_by_email(email))


def test_two_banks_and_a_sample_image_that_matches_near_not_equal(app, runner, demo_people_world):
    demo_people_world.load(app)
    result = runner.invoke(
        args=["seed-demo", "--bulletins", "0", "--referrals", "20", "--hashes", "40"]
    )
    assert result.exit_code == 0, result.output
    assert "demo hash banks: 2 with 80 PDQ hashes" in result.output
    with app.app_context():
        session = db.session()
        assert session.scalar(select(func.count()).select_from(HashBank)) == 2
        assert session.scalar(select(func.count()).select_from(HashEntry)) == 80
        # META's bank is not shared with Italy; EU-HOME's is shared with everyone.
        italy = reader_of("liaison@it-minint.demo")
        results = matching.match_image(italy, demo_hashbanks.sample_image())
        found = next(result for result in results if result.kind == "pdq")
        assert {m.bank_name for m in found.matches} == {"Attack propaganda imagery"}
        best = min(found.matches, key=lambda m: m.distance)
        assert best.entry.label == "propaganda still 0008" and 0 < best.distance <= 31
    again = runner.invoke(args=["seed-demo", "--bulletins", "0", "--referrals", "0"])
    assert "demo hash banks: they exist already, none added" in again.output
