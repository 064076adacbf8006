"""The services behind the ministry's referral pages: every problem of a draft at once (nothing
stored), the referral as sent with its signature check, attributed-group suggestions from the
organisation's own referrals only, the filtered and paged list, and the dashboard summaries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.referrals import overview, queue, referrer, referring, suggestions
from portal.services.referrals.intake import ItemDraft, ReferralDraft
from portal.services.referrals.overview import PlatformSummary, ReferrerSummary
from portal.services.referrals.queue import Decision
from portal.services.referrals.referrer import OwnFilter
from portal.services.referrals.referring import DraftProblems
from portal.services.referrals.vocabulary import ORDER_RULE
from tests.portal.referrals.conftest import NOW, item
from tests.portal.service_checks import actor_of, unchanged


def as_(world, who):
    reader = world.reader(who)
    return reader, actor_of(reader)


def _bad_draft() -> ReferralDraft:
    return ReferralDraft(
        platform="PLATFORM-X",
        kind="removal_order",
        legal_basis="",
        items=[
            item("https://ok.example/1"),
            ItemDraft(url="not a url", content_type="hologram", category="", reason=""),
            item("https://ok.example/2", language="arabic", hashes=["abc"]),
            item("ok.example/1"),  # the first item's address again
        ],
    )


def test_every_problem_of_a_draft_is_named_at_once_and_nothing_is_stored(app, world):
    with app.app_context():
        it = world.reader("it")  # a member ministry, not a competent authority
        found = referring.problems(it, _bad_draft())
        fields = [(p.field, type(p).__name__) for p in found]
        assert fields == [
            ("kind", "Forbidden"),
            ("legal_basis", "InvalidInput"),
            ("items[1].url", "InvalidInput"),
            ("items[1].content_type", "InvalidInput"),
            ("items[1].category", "InvalidInput"),
            ("items[1].reason", "InvalidInput"),
            ("items[2].language", "InvalidInput"),
            ("items[2].hashes", "InvalidInput"),
            ("items[3].url", "InvalidInput"),
        ]
        assert found[0].message == ORDER_RULE
        assert found[-1].message == "This is the same address as item 1."
        with unchanged(), pytest.raises(DraftProblems) as refused:
            referring.refer(it, actor_of(it), _bad_draft())
        assert refused.value.status == 403  # one of them is a refusal
        assert len(refused.value.problems) == len(found)
        # A competent authority's same draft has the same problems but the refusal.
        de = world.reader("de")
        assert [p.field for p in referring.problems(de, _bad_draft())] == [f for f, _ in fields[1:]]
        with unchanged(), pytest.raises(DraftProblems) as invalid:
            referring.refer(de, actor_of(de), _bad_draft())
        assert invalid.value.status == 400


def test_top_level_problems_and_who_may_refer(app, world):
    with app.app_context():
        de = world.reader("de")
        empty = ReferralDraft(platform="NOPE", kind="warning", items=[])
        assert [p.field for p in referring.problems(de, empty)] == ["kind", "platform", "items"]
        to_ministry = ReferralDraft(platform="FR-MININT", kind="referral", items=[item()])
        assert [p.field for p in referring.problems(de, to_ministry)] == ["platform"]
        for who in ("x", "de.analyst"):
            with pytest.raises(Forbidden):
                referring.problems(world.reader(who), to_ministry)
            with pytest.raises(Forbidden):
                referring.choices(world.reader(who))


def test_a_good_draft_is_referred_and_shown_as_sent_with_its_signature(app, world):
    with app.app_context():
        de, de_actor = as_(world, "de")
        choices = referring.choices(de)
        assert [p.code for p in choices.platforms] == ["PLATFORM-X", "PLATFORM-Y"]
        assert choices.may_order and not referring.choices(world.reader("it")).may_order
        draft = ReferralDraft(
            platform="platform-x",
            kind="removal_order",
            legal_basis="Regulation (EU) 2021/784, Art. 3",
            items=[item("https://s.example/1"), item("https://s.example/2")],
        )
        assert referring.problems(de, draft) == []
        referred = referring.refer(de, de_actor, draft, now=NOW)
        sent = referring.sent(de, referred.referral.id, now=NOW)
        assert sent.verification.valid and sent.verification.org == "DE-BMI"
        assert (sent.platform, sent.kind) == ("PLATFORM-X", "removal_order")
        assert [i.url for i in sent.items] == ["https://s.example/1", "https://s.example/2"]
        assert sent.deadline_at == NOW + timedelta(hours=1)
        detail = referring.detail(de, sent.items[0].id, now=NOW)
        assert [e.event for e in detail.history] == ["received"]
        assert detail.verification.valid
        # Another ministry, and the platform itself, get nothing through these.
        for who in ("fr", "x"):
            with pytest.raises((NotFound, Forbidden)):
                referring.sent(world.reader(who), referred.referral.id)
            with pytest.raises((NotFound, Forbidden)):
                referring.detail(world.reader(who), sent.items[0].id)


def test_group_suggestions_come_from_ones_own_referrals_latest_first(app, world):
    with app.app_context():
        world.refer("de", [item("https://g.example/1", attributed_group="Example Front")])
        world.refer(
            "de",
            [
                item("https://g.example/2", attributed_group="Northern Cell"),
                item("https://g.example/3", attributed_group=None),
            ],
            now=NOW + timedelta(hours=1),
        )
        world.refer("fr", [item("https://g.example/4", attributed_group="Secret Other Group")])
        de = world.reader("de")
        assert suggestions.attributed_groups(de) == ["Northern Cell", "Example Front"]
        assert suggestions.attributed_groups(de, limit=1) == ["Northern Cell"]
        assert suggestions.attributed_groups(world.reader("uk")) == []
        assert "Secret Other Group" not in referring.choices(de).groups
        with pytest.raises(Forbidden):
            suggestions.attributed_groups(world.reader("x"))


def test_the_own_list_filters_and_pages(app, world):
    with app.app_context():
        world.refer("de", [item(f"https://l.example/{n}") for n in range(3)])
        world.order("de", [item("https://l.example/order")], now=NOW + timedelta(minutes=5))
        world.refer("de", [item("https://l.example/y")], platform="PLATFORM-Y")
        de = world.reader("de")
        everything = referrer.own_page(de, now=NOW)
        assert len(everything.items) == 5 and not everything.has_more
        first = referrer.own_page(de, page=1, size=2, now=NOW)
        second = referrer.own_page(de, page=2, size=2, now=NOW)
        third = referrer.own_page(de, page=3, size=2, now=NOW)
        assert (first.has_more, second.has_more, third.has_more) == (True, True, False)
        paged = [i.id for i in first.items + second.items + third.items]
        assert paged == [i.id for i in everything.items]
        orders = referrer.own_page(de, OwnFilter(kind="removal_order"), now=NOW).items
        assert [i.url for i in orders] == ["https://l.example/order"]
        on_y = referrer.own_page(de, OwnFilter(platform="platform-y"), now=NOW).items
        assert [i.url for i in on_y] == ["https://l.example/y"]
        assert referrer.own_page(de, OwnFilter(platform="NOWHERE"), now=NOW).items == []
        one = referrer.own_page(de, OwnFilter(referral=orders[0].referral_id), now=NOW).items
        assert [i.id for i in one] == [orders[0].id]
        assert referrer.own_page(de, OwnFilter(state="decided"), now=NOW).items == []
        for bad in (OwnFilter(state="lost"), OwnFilter(kind="warning")):
            with pytest.raises(InvalidInput) as refused:
                referrer.own_page(de, bad)
            assert refused.value.field in ("state", "kind")
        with pytest.raises(InvalidInput):
            referrer.own_page(de, size=201)
        assert referrer.own_page(world.reader("fr"), now=NOW).items == []


def test_dashboard_summaries(app, world):
    with app.app_context():
        asked, decided, old, waiting = world.refer(
            "de", [item(f"https://d.example/{n}") for n in range(4)]
        ).items
        x, x_actor = as_(world, "x")
        later = NOW + timedelta(days=10)
        queue.decide(x, x_actor, old.id, Decision("removed"), now=NOW + timedelta(hours=1))
        queue.decide(
            x, x_actor, asked.id, Decision("more_information", question="Which minute?"), now=later
        )
        queue.decide(x, x_actor, decided.id, Decision("removed"), now=later)
        mine = overview.summary(world.reader("de"), now=later + timedelta(minutes=1))
        assert isinstance(mine, ReferrerSummary)
        assert [(i.id, i.question) for i in mine.questions] == [(asked.id, "Which minute?")]
        assert [i.id for i in mine.decided] == [decided.id]  # not the one decided 10 days ago
        # The platform: one open item (the other is asked about), due a day after receipt.
        world.order("fr", [item("https://d.example/order")], now=later)
        world.order("fr", [item("https://d.example/late")], now=later - timedelta(hours=2))
        summary = overview.summary(x, now=later + timedelta(minutes=10))
        assert summary == PlatformSummary(open=3, due_soon=1, overdue=2)
        assert overview.summary(world.reader("y"), now=later) == PlatformSummary(0, 0, 0)
        for nobody in ("de.analyst", "x.admin"):
            assert overview.summary(world.reader(nobody)) is None
        assert waiting.id not in {i.id for i in mine.questions + mine.decided}
