"""A content provider's complaint (Regulation (EU) 2021/784, Art. 10): the platform records it
on the ledger for a takedown, the referrer sees it, the transparency figures count it apart
from the referrers' own complaints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ReferralLedgerEntry
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.referrals import queue
from portal.services.referrals.queue import Decision
from portal.services.transparency import figures as transparency
from tests.portal.conftest import csrf_token
from tests.portal.referrals.conftest import NOW, item
from tests.portal.referrals.test_queue_pages import client_of
from tests.portal.service_checks import actor_of, unchanged

HOUR = timedelta(hours=1)


def events(item_id: str) -> list[str]:
    query = select(ReferralLedgerEntry.event).where(ReferralLedgerEntry.item_id == item_id)
    return list(db.session.scalars(query.order_by(ReferralLedgerEntry.id)))


def test_the_platform_records_it_for_a_takedown_and_only_then(app, world):
    with app.app_context():
        removed, kept, open_one = world.refer(
            "de", [item(f"https://c.example/{n}") for n in range(3)]
        ).items
        x, y = world.reader("x"), world.reader("y")
        queue.decide(x, actor_of(x), removed.id, Decision("removed"), now=NOW)
        queue.decide(x, actor_of(x), kept.id, Decision("no_violation"), now=NOW)
        queue.record_provider_complaint(
            x, actor_of(x), removed.id, "The uploader says it is news reporting.", now=NOW
        )
        assert events(removed.id)[-1] == "provider_complaint"
        counted = transparency.figures(x, "platform", "PLATFORM-X", "90d", NOW + HOUR).events
        assert counted["provider_complaint"] == 1 and counted["complaint"] == 0
        with unchanged():
            with pytest.raises(Conflict, match="Only a takedown"):
                queue.record_provider_complaint(x, actor_of(x), kept.id, "Nothing taken down.")
            with pytest.raises(Conflict, match="Only a takedown"):
                queue.record_provider_complaint(x, actor_of(x), open_one.id, "Not decided.")
            with pytest.raises(InvalidInput) as error:
                queue.record_provider_complaint(x, actor_of(x), removed.id, "   ")
            assert error.value.field == "text"
            with pytest.raises(NotFound):
                queue.record_provider_complaint(y, actor_of(y), removed.id, "Not my item.")


def test_the_referrer_reads_it_on_the_item_page(app, world):
    with app.app_context():
        (removed,) = world.refer("de", [item("https://c.example/page")]).items
        x = world.reader("x")
        queue.decide(x, actor_of(x), removed.id, Decision("removed"), now=NOW)
    platform = client_of(world, "x")
    page = platform.get(f"/referrals/queue/{removed.id}")
    assert "Record the complaint" in page.text
    posted = platform.post(
        f"/referrals/queue/{removed.id}/provider-complaint",
        data={
            "csrf_token": csrf_token(page.text),
            "provider_complaint-text": "Uploader: <b>satire</b>, not propaganda.",
        },
    )
    assert posted.status_code == 302
    empty = platform.post(
        f"/referrals/queue/{removed.id}/provider-complaint",
        data={"csrf_token": csrf_token(page.text), "provider_complaint-text": ""},
    )
    assert empty.status_code == 400 and "Say what the content provider" in empty.text
    html = client_of(world, "de").get(f"/referrals/mine/{removed.id}").text
    assert "The content provider&#39;s complaint" in html
    assert "Uploader: &lt;b&gt;satire&lt;/b&gt;, not propaganda." in html
