"""Cross-organisation: a canary account in a bulletin for DE only never reaches FR's graph,
search, details, paths, timeline or exports; FR learns only the hit/no-hit count. Each test runs
with the graphs in the web process and again through a graph server on a Unix socket."""

from __future__ import annotations

import json

import pytest

from portal.extensions import db
from portal.services.bulletins import lifecycle
from portal.services.principals import Actor

CANARY = "@canary_7f3a9c"
CANARY_NODE = "account:telegram:canary_7f3a9c"


@pytest.fixture
def canary(desk):
    shared = {
        "entities": [
            {"ref": "p1", "type": "person", "value": "Shared Person"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": "@shared_acc"},
        ],
        "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
    }
    desk.post(title="Shared with FR and DE", **shared)
    secret = {
        "entities": [
            {"ref": "p1", "type": "person", "value": "Shared Person"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": "@shared_acc"},
            {"ref": "a2", "type": "account", "platform": "telegram", "value": CANARY},
        ],
        "relations": [
            {"source": "p1", "type": "uses_account", "target": "a1"},
            {"source": "a1", "type": "contacted", "target": "a2"},
        ],
    }
    return desk.post(title="For DE only", recipients=("DE-BMI",), **secret)


def _no_canary(payload) -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    assert "canary_7f3a9c" not in text and "For DE only" not in text


def test_fr_never_sees_the_canary(boundary, canary, clients):
    fr = clients["fr.analyst"]
    assert fr.get("/analysis/search", query_string={"q": CANARY}).json["hits"] == []
    for radius in (1, 2, 3):
        view = fr.get(f"/analysis/neighbourhood?node=account:telegram:shared_acc&radius={radius}")
        _no_canary(view.json)
    assert fr.get("/analysis/node", query_string={"node": CANARY_NODE}).status_code == 404
    paths = fr.get(
        "/analysis/paths",
        query_string={"source": "account:telegram:shared_acc", "target": CANARY_NODE},
    )
    assert paths.status_code == 404
    _no_canary(paths.json)
    nodes = [
        n["data"]["id"]
        for n in fr.get("/analysis/neighbourhood?node=account:telegram:shared_acc&radius=3").json[
            "elements"
        ]["nodes"]
    ]
    token = clients.token("fr.analyst")
    for fmt in ("graphml", "gexf", "csv", "svg"):
        response = fr.post(
            f"/analysis/export.{fmt}", data={"csrf_token": token, "nodes": [*nodes, CANARY_NODE]}
        )
        assert response.status_code == 200
        _no_canary(response.data.decode("utf-8"))
    timeline = fr.post(
        "/analysis/timeline", json={"nodes": [*nodes, CANARY_NODE]}, headers={"X-CSRFToken": token}
    )
    _no_canary(timeline.json)
    saved = fr.post(
        "/analysis/investigations",
        json={"name": "probe", "nodes": [CANARY_NODE]},
        headers={"X-CSRFToken": token},
    )
    assert saved.status_code == 400
    _no_canary(saved.json)


def test_fr_learns_only_how_many_and_from_whom(boundary, canary, clients):
    details = clients["fr.analyst"].get("/analysis/node?node=account:telegram:shared_acc").json
    assert [(h["org"], h["count"], h["pending"]) for h in details["hidden"]] == [
        ("IT-MININT", 1, 0)
    ]
    assert set(details["hidden"][0]) == {"org", "name", "count", "pending"}
    _no_canary(details)


def test_de_sees_it_and_loses_it_when_retracted(boundary, app, desk, canary, clients):
    de = clients["de.analyst"]
    assert de.get("/analysis/search", query_string={"q": CANARY}).json["hits"][0]["node"] == (
        CANARY_NODE
    )
    with app.app_context():
        reader = desk.reader("it.officer")
        lifecycle.retract(reader, Actor(reader.user_id), canary, confirmed=True)
        db.session.remove()
    assert de.get("/analysis/search", query_string={"q": CANARY}).json["hits"] == []
    assert de.get("/analysis/node", query_string={"node": CANARY_NODE}).status_code == 404


def test_a_new_bulletin_enters_the_graph_without_a_restart(boundary, desk, canary, clients):
    fr = clients["fr.analyst"]
    assert fr.get("/analysis/search", query_string={"q": "@late_arrival"}).json["hits"] == []
    desk.post(
        title="Late",
        entities=[
            {"ref": "a1", "type": "account", "platform": "telegram", "value": "@late_arrival"}
        ],
        relations=[],
    )
    hits = fr.get("/analysis/search", query_string={"q": "@late_arrival"}).json["hits"]
    assert hits and hits[0]["node"] == "account:telegram:late_arrival"


def test_same_person_suggestions_never_name_a_person_only_de_can_read(boundary, desk, clients):
    desk.post(
        title="Shared",
        entities=[{"ref": "p1", "type": "person", "value": "Abu Muhammad al-Shami"}],
        relations=[],
    )
    desk.post(
        title="DE only person",
        recipients=("DE-BMI",),
        entities=[{"ref": "p1", "type": "person", "value": "Abou Mohamed Al Chami"}],
        relations=[],
    )
    fr = clients["fr.analyst"]
    node = fr.get("/analysis/search", query_string={"q": "Abu Muhammad al-Shami"}).json["hits"][0]
    data = fr.get("/analysis/persons", query_string={"node": node["node"]}).json
    assert data["suggestions"] == []
    assert "Chami" not in json.dumps(data)
    de = clients["de.analyst"]
    de_node = de.get("/analysis/search", query_string={"q": "Abu Muhammad al-Shami"}).json
    de_hit = next(h for h in de_node["hits"] if h["label"] == "Abu Muhammad al-Shami")
    suggested = de.get("/analysis/persons", query_string={"node": de_hit["node"]}).json
    assert [s["label"] for s in suggested["suggestions"]] == ["Abou Mohamed Al Chami"]
