"""Sightings in the organisations' link graphs: on the node of the entity sighted, in the
timeline, kept current as sightings arrive and bulletins are amended, and only in the graphs
of organisations whose key opens the bulletin version the sighting was sealed to."""

from __future__ import annotations

from portal.services.analysis import workspace
from portal.services.bulletins import comments
from tests.portal.bulletins.sessions import amend, retract
from tests.portal.service_checks import actor_of

PHONE = "phone:+33612345678"


def sight(app, desk, who, bulletin_id, place="Lyon", ref="t1"):
    with app.app_context():
        reader = desk.reader(who)
        document = {"kind": "sighting", "entity": ref, "place": place, "seen_on": "2026-05-02"}
        comments.post_comment(reader, actor_of(reader), bulletin_id, document)


def seen(app, desk, who, node=PHONE):
    with app.app_context():
        details = workspace.node_details(desk.reader(who), node)
        return [(s["place"], s["organisation"]) for s in details["sightings"]]


def test_a_sighting_reaches_only_the_graphs_of_the_bulletins_readers(app, desk):
    shared = desk.post(recipients=("FR-MININT", "DE-BMI"))
    desk.post(recipients=("UK-HO",), title="Same phone, to the UK only")
    assert seen(app, desk, "fr.analyst") == []  # the graph is cached before the sighting
    sight(app, desk, "de.analyst", shared)
    for who in ("fr.analyst", "de.analyst", "it.analyst"):
        assert seen(app, desk, who) == [("Lyon", "DE-BMI")], who
    # The UK's graph has the same phone node, from its own bulletin, but no sighting of it.
    assert seen(app, desk, "uk.analyst") == []
    with app.app_context():
        events = workspace.timeline(desk.reader("fr.analyst"), [PHONE])
        uk_events = workspace.timeline(desk.reader("uk.analyst"), [PHONE])
    sightings = [e for e in events if e["kind"] == "sighting"]
    assert [(e["on"], e["detail"], e["organisation"]) for e in sightings] == [
        ("2026-05-02", "Lyon", "DE-BMI")
    ]
    # The timeline says where and when, not only "sighting · +33 …".
    assert sightings[0]["text"].endswith(" seen in Lyon by DE-BMI on 2 May 2026")
    assert sightings[0]["text"].startswith(sightings[0]["labels"][0])
    assert [e for e in uk_events if e["kind"] == "sighting"] == []


def test_a_sighting_follows_the_series_to_its_current_version_and_ends_with_it(app, desk):
    first = desk.post(recipients=("FR-MININT", "DE-BMI"))
    sight(app, desk, "fr.analyst", first, place="Calais", ref="p1")
    person = f"person:{first}:p1"
    assert seen(app, desk, "de.analyst", person) == [("Calais", "FR-MININT")]
    second = amend(desk, first)
    assert seen(app, desk, "de.analyst", f"person:{second}:p1") == [("Calais", "FR-MININT")]
    retract(desk, second)
    with app.app_context():
        events = workspace.timeline(desk.reader("de.analyst"), [f"person:{second}:p1"])
    assert events == []
