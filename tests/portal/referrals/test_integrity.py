"""What the signature and the ledger make tamper-evident: every stored column that decides
who sees an item and when it is due, and every ledger entry against its audit record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crypto.statement import SignedStatement
from portal.extensions import db
from portal.models import Referral, ReferralItem
from portal.services.referrals import intake
from tests.portal.referrals.conftest import NOW, item


def _platform_y(world):
    return world.reader("y").org_id


@pytest.mark.parametrize(
    "change",
    [
        "kind",
        "deadline_at",
        "platform_org_id",
        "referrer_org_id",
        "received_at",
        "referrer_user_id",
        "position",
    ],
)
def test_changing_what_decides_access_or_deadlines_breaks_the_signature(app, world, change):
    with app.app_context():
        referred = world.refer("de", [item("https://a.example/1"), item("https://a.example/2")])
        referral_id = referred.referral.id
        with db.write() as session:
            row = session.scalars(select(ReferralItem).where(ReferralItem.position == 0)).one()
            if change == "kind":
                row.kind = "removal_order"
            elif change == "deadline_at":
                row.deadline_at = row.deadline_at + timedelta(days=30)
            elif change == "platform_org_id":
                row.platform_org_id = _platform_y(world)
            elif change == "referrer_org_id":
                row.referrer_org_id = world.reader("fr").org_id
            elif change == "received_at":
                row.received_at = row.received_at + timedelta(hours=1)
            elif change == "referrer_user_id":
                session.get_one(Referral, referral_id).referrer_user_id = world.users["de.analyst"]
            else:
                other = session.scalars(
                    select(ReferralItem).where(ReferralItem.position == 1)
                ).one()
                row.position = 2  # the two items swap places
                session.flush()
                other.position = 0
                session.flush()
                row.position = 1
        check = intake.verify(world.reader("de"), referral_id)
        assert not check.valid
        assert check.problem == "The stored referral differs from what was signed."


def test_an_order_signs_its_deadline_and_the_referring_user(app, world):
    with app.app_context():
        referred = world.order("de")
        claims = SignedStatement.from_json(referred.referral.statement).claims
        assert claims["deadline_at"] == (NOW + timedelta(hours=1)).isoformat(
            timespec="microseconds"
        )
        assert claims["referrer_user"] == world.users["de"]
        assert [i["id"] for i in claims["items"]] == [referred.items[0].id]
        assert intake.verify(world.reader("x"), referred.referral.id).valid
