"""Referred accounts and URLs in the referring ministry's own link graph: they meet the accounts
named in bulletins, carry what the platform did, follow every decision, and never reach another
organisation's graph (a canary URL referred by DE-BMI stays out of FR-MININT's)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, update

from portal.extensions import db
from portal.models import ReferralItem, ReferralLedgerEntry, User
from portal.services.analysis import org_graphs, referral_links, workspace
from portal.services.principals import Reader
from portal.services.referrals import intake, queue
from portal.services.referrals.intake import ItemDraft, ReferralDraft
from portal.services.referrals.queue import Decision
from tests.portal.service_checks import actor_of

ACCOUNT = "account:telegram:example_media"  # named by the desk's default bulletin
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
CANARY = "https://video.example/watch?v=canary_5e1d"
CANARY_NODE = "url:https://video.example/watch?v=canary_5e1d"


def reader_of(desk, who: str) -> Reader:
    return Reader.of(db.session.get_one(User, desk.users[who]))


def refer(desk, urls, who="de.officer", **extra):
    with desk.app.app_context():
        reader = reader_of(desk, who)
        items = [
            ItemDraft(
                url=url,
                content_type=extra.get("content_type", "video"),
                category="recruitment",
                reason="Recruitment video.",
                account=extra.get("account", "@Example_Media"),
            )
            for url in urls
        ]
        made = intake.refer(
            reader, actor_of(reader), ReferralDraft("PLATFORM-X", "referral", items)
        )
        return [i.id for i in made.items]


def decide(desk, item_id, outcome, **kw):
    with desk.app.app_context():
        reader = reader_of(desk, "platform")
        queue.decide(reader, actor_of(reader), item_id, Decision(outcome, **kw))


def details(desk, who, node):
    with desk.app.app_context():
        return workspace.node_details(reader_of(desk, who), node)


@pytest.fixture
def linked(desk):
    """IT's bulletin to FR and DE names the recruiter's account; DE refers three of his videos
    to the platform, which removes two and finds no violation in the third."""
    bulletin = desk.post(title="Recruiter active on Telegram")
    ids = refer(desk, [f"https://t.me/example_media/{n}" for n in (101, 102, 103)])
    return bulletin, ids


def test_the_recruiter_in_a_bulletin_shows_what_became_of_the_referred_videos(desk, linked):
    bulletin, ids = linked
    first = details(desk, "de.analyst", ACCOUNT)
    assert first["referrals"]["items"] == 3
    assert first["referrals"]["text"] == "3 items referred to PLATFORM-X: 3 awaiting a decision"
    decide(desk, ids[0], "removed")
    decide(desk, ids[1], "removed")
    decide(desk, ids[2], "no_violation")
    node = details(desk, "de.analyst", ACCOUNT)
    assert node["referrals"]["outcomes"] == {"removed": 2, "no_violation": 1}
    assert node["referrals"]["text"] == (
        "3 items referred to PLATFORM-X: 2 removed, 1 no violation found"
    )
    # The bulletins list stays the bulletins: no referral record in it or in the organisations.
    assert [b["id"] for b in node["bulletins"]] == [bulletin]
    assert node["organisations"] == ["IT-MININT"]
    # Each video is a node of its own with its own outcome.
    video = details(desk, "de.analyst", "url:https://t.me/example_media/101")
    assert video["referrals"]["text"] == "1 item referred to PLATFORM-X: 1 removed"


def test_the_cache_learns_of_new_referrals_and_reinstatements(desk, linked):
    _, ids = linked
    de = desk.reader("de.analyst")

    def outcomes():  # a request of its own, as the workspace's are
        with desk.app.app_context(), org_graphs.reading(de) as g:
            return g.graph["version"], g.nodes[ACCOUNT]["referrals"]["outcomes"]

    version, _ = outcomes()
    decide(desk, ids[0], "removed")
    # A decision changes the summaries, not the structure: the measures stay valid.
    assert outcomes() == (version, {"removed": 1, "open": 2})
    with desk.app.app_context():
        reader = reader_of(desk, "platform")
        queue.reinstate(reader, actor_of(reader), ids[0], "Appeal upheld.")
    assert outcomes() == (version, {"reinstated": 1, "open": 2})
    refer(desk, ["https://t.me/example_media/104"])
    with desk.app.app_context(), org_graphs.reading(de) as g:
        assert g.graph["version"] > version
        assert g.nodes[ACCOUNT]["referrals"]["items"] == 4
        assert "url:https://t.me/example_media/104" in g
        # Briefings by investigation take the node's bulletins, never a referral record.
        assert all(not bid.startswith("referral:") for bid in org_graphs.bulletin_ids(g, ACCOUNT))


def test_a_referred_account_not_in_any_bulletin_is_a_node_of_its_own(desk):
    refer(desk, ["https://x.com/lone_recruiter"], content_type="account", account=None)
    node = details(desk, "de.analyst", "account:x:lone_recruiter")
    assert node["type"] == "account" and node["bulletins"] == []
    assert node["referrals"]["text"] == "1 item referred to PLATFORM-X: 1 awaiting a decision"
    with desk.app.app_context():
        hits = workspace.search(reader_of(desk, "de.analyst"), "x.com/lone_recruiter")
    assert hits and hits[0]["node"] == "account:x:lone_recruiter"


def _no_canary(payload) -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    assert "canary_5e1d" not in text and "referral:" not in text and "PLATFORM-X" not in text


def test_another_ministrys_graph_never_gains_a_node_from_these_referrals(desk, linked, clients):
    fr = clients["fr.analyst"]
    # FR's graph is built before and after DE's referral of the canary, and by the same process.
    before = fr.get("/analysis/node", query_string={"node": ACCOUNT})
    assert before.status_code == 200
    refer(desk, [CANARY], account="@canary_5e1d")
    assert (
        clients["de.analyst"]
        .get("/analysis/node", query_string={"node": CANARY_NODE})
        .json["referrals"]["items"]
        == 1
    )
    node = fr.get("/analysis/node", query_string={"node": ACCOUNT})
    assert node.json["referrals"] is None
    _no_canary(node.json)
    assert fr.get("/analysis/node", query_string={"node": CANARY_NODE}).status_code == 404
    for query in (CANARY, "@canary_5e1d", "canary_5e1d"):
        assert fr.get("/analysis/search", query_string={"q": query}).json["hits"] == [], query
    assert clients["de.analyst"].get("/analysis/search", query_string={"q": CANARY}).json["hits"]
    for radius in (1, 2, 3):
        view = fr.get("/analysis/neighbourhood", query_string={"node": ACCOUNT, "radius": radius})
        _no_canary(view.json)
    nodes = [
        n["data"]["id"]
        for n in fr.get(
            "/analysis/neighbourhood", query_string={"node": ACCOUNT, "radius": 3}
        ).json["elements"]["nodes"]
    ]
    token = clients.token("fr.analyst")
    for fmt in ("graphml", "gexf", "csv", "svg"):
        response = fr.post(
            f"/analysis/export.{fmt}", data={"csrf_token": token, "nodes": [*nodes, CANARY_NODE]}
        )
        assert response.status_code == 200
        _no_canary(response.data.decode("utf-8"))
    with desk.app.app_context(), org_graphs.reading(desk.reader("fr.analyst")) as g:
        assert not any(bid.startswith("referral:") for bid in g.graph["bulletins"])
        assert all("referrals" not in data for _, data in g.nodes(data=True))
    # Nor does the platform, which sees no graph at all.
    platform = clients["platform"]
    assert platform.get("/analysis/node", query_string={"node": CANARY_NODE}).status_code in (
        403,
        404,
    )


def test_the_ledger_is_read_again_from_a_settled_mark():
    """Ids committed out of order (PostgreSQL) are still read: each reading starts from the
    highest id seen at least GRACE_S seconds earlier, or a margin below the first reading."""
    links = referral_links.Links(first=25_000)
    assert links.scan_from(now=0.0) == 25_000 - referral_links.LAG
    links.marks = [(0.0, 25_100), (50.0, 25_300)]
    grace = referral_links.GRACE_S
    assert links.scan_from(now=grace - 1) == 25_000 - referral_links.LAG
    assert links.scan_from(now=grace) == 25_100
    assert links.scan_from(now=50.0 + grace) == 25_300


def test_a_graph_in_step_with_the_ledger_is_not_read_again(desk, linked):
    de = desk.reader("de.analyst")
    with desk.app.app_context():
        with org_graphs.reading(de):
            pass
        links = org_graphs._entry(de).links
        assert links.watermark == referral_links.latest() and len(links.nodes) == 3
        links.since = float("-inf")  # as if the ledger last grew long ago
        assert not referral_links.due(links)


def test_a_ledger_entry_committed_below_the_highest_id_still_reaches_the_graph(desk, linked):
    """On PostgreSQL a transaction that drew a lower id may commit after one that drew a
    higher: the entry appears below the ledger's highest id. It is counted and read."""
    _, ids = linked
    de = desk.reader("de.analyst")

    def outcomes():
        with desk.app.app_context(), org_graphs.reading(de) as g:
            return g.nodes[ACCOUNT]["referrals"]["outcomes"]

    assert outcomes() == {"open": 3}
    with desk.app.app_context():
        top = referral_links.latest()
        platform = db.session.get_one(User, desk.users["platform"]).organisation_id

        def entry(ledger_id: int, item_id: str) -> dict[str, object]:
            return {
                "id": ledger_id,
                "item_id": item_id,
                "at": NOW,
                "event": "decided",
                "org_id": platform,
                "details": {},
            }

        with db.write() as session:  # the later transaction commits first
            session.execute(insert(ReferralLedgerEntry), [entry(top + 2, ids[1])])
            session.execute(
                update(ReferralItem)
                .where(ReferralItem.id == ids[1])
                .values(state="decided", outcome="removed", decided_at=NOW)
            )
    assert outcomes() == {"removed": 1, "open": 2}
    with desk.app.app_context():
        with db.write() as session:  # then the earlier one
            session.execute(insert(ReferralLedgerEntry), [entry(top + 1, ids[0])])
            session.execute(
                update(ReferralItem)
                .where(ReferralItem.id == ids[0])
                .values(state="decided", outcome="no_violation", decided_at=NOW)
            )
        assert referral_links.latest() == top + 2  # the highest id did not move
    assert outcomes() == {"removed": 1, "no_violation": 1, "open": 1}
