"""The workspace's JSON reads as a person would write it, and says what its view leaves out."""

from __future__ import annotations

import csv
import io

import networkx as nx
import pytest

HUB = "account:facebook:meadowpillar36146"


@pytest.fixture
def hub(desk):
    """One person using a Facebook account and a dozen phones; DE's own bulletin names a
    thirteenth phone that FR cannot read."""
    phones = [
        {"ref": f"t{i}", "type": "phone", "value": f"+44 7700 9001{i:02d}"} for i in range(12)
    ]
    desk.post(
        recipients=("FR-MININT",),
        title="Meadow pillar",
        entities=[
            {"ref": "p1", "type": "person", "value": "Omar al-Bahhazi"},
            {"ref": "a1", "type": "account", "platform": "facebook", "value": "meadowpillar36146"},
            *phones,
        ],
        relations=[
            {"source": "p1", "type": "uses_account", "target": "a1"},
            *({"source": "p1", "type": "uses_phone", "target": f"t{i}"} for i in range(12)),
        ],
    )
    desk.post(
        who="de.officer",
        recipients=("IT-MININT",),
        title="German only",
        entities=[
            {"ref": "a1", "type": "account", "platform": "facebook", "value": "meadowpillar36146"},
            {"ref": "t1", "type": "phone", "value": "+44 7700 900199"},
        ],
        relations=[{"source": "a1", "type": "related_to", "target": "t1"}],
    )


def nodes_of(data):
    return {n["data"]["id"]: n["data"] for n in data["elements"]["nodes"]}


def test_nodes_and_search_hits_carry_readable_labels(hub, clients):
    fr = clients["fr.analyst"]
    data = fr.get("/analysis/neighbourhood", query_string={"node": HUB, "limit": 1000}).json
    nodes = nodes_of(data)
    assert nodes[HUB]["label"] == "@meadowpillar36146 (Facebook)"
    assert nodes["phone:+447700900100"]["label"] == "+44 7700 900100"
    assert not any(n["label"].startswith(("account:", "phone:")) for n in nodes.values())
    hits = fr.get("/analysis/search", query_string={"q": "@meadowpillar36146"}).json["hits"]
    assert hits[0]["node"] == HUB and hits[0]["label"] == "@meadowpillar36146 (Facebook)"


def test_the_view_starts_small_and_says_what_it_leaves_out(hub, clients):
    fr = clients["fr.analyst"]
    first = fr.get("/analysis/neighbourhood", query_string={"node": HUB, "limit": 5}).json
    # HUB, the person, and 12 phones two hops away: 14 reached; 5 shown, HUB first.
    assert (first["shown"], first["total"], first["limit"]) == (5, 14, 5)
    assert first["message"] == "showing 5 of 14: filter or expand"
    assert HUB in nodes_of(first) and len(nodes_of(first)) == 5
    everything = fr.get("/analysis/neighbourhood", query_string={"node": HUB, "limit": 50}).json
    assert (everything["shown"], everything["total"]) == (14, 14)
    assert everything["message"] == "showing all 14"
    default = fr.get("/analysis/neighbourhood", query_string={"node": HUB}).json
    assert default["limit"] == 40


def test_the_count_is_the_organisations_own(hub, clients):
    """DE reads its own bulletin and FR's is not addressed to it: DE's count is its own."""
    de = clients["de.analyst"]
    data = de.get("/analysis/neighbourhood", query_string={"node": HUB, "limit": 1000}).json
    assert set(nodes_of(data)) == {HUB, "phone:+447700900199"}
    assert data["total"] == 2
    fr = clients["fr.analyst"]
    fr_view = fr.get("/analysis/neighbourhood", query_string={"node": HUB, "limit": 1000}).json
    assert "phone:+447700900199" not in nodes_of(fr_view)


@pytest.mark.parametrize("limit", ["0", "1001", "many"])
def test_a_limit_beyond_the_hard_maximum_is_refused(hub, clients, limit):
    response = clients["fr.analyst"].get(
        "/analysis/neighbourhood", query_string={"node": HUB, "limit": limit}
    )
    assert response.status_code == 400
    assert response.json["error"]["field"] == "limit"


def test_timeline_rows_name_the_bulletin_by_title_and_sender(hub, clients):
    fr = clients["fr.analyst"]
    nodes = list(nodes_of(fr.get("/analysis/neighbourhood?node=" + HUB + "&limit=100").json))
    response = fr.post(
        "/analysis/timeline",
        json={"nodes": nodes},
        headers={"X-CSRFToken": clients.token("fr.analyst")},
    )
    events = response.json["events"]
    assert events and {e["title"] for e in events} == {"Meadow pillar"}
    assert {e["sender"] for e in events} == {"IT-MININT"}
    labels = {label for e in events for label in e["labels"]}
    assert "@meadowpillar36146 (Facebook)" in labels
    assert not any(label.startswith(("account:", "phone:", "bulletin:")) for label in labels)


def test_downloads_keep_the_key_and_add_the_readable_label(hub, clients):
    fr = clients["fr.analyst"]
    nodes = list(nodes_of(fr.get("/analysis/neighbourhood?node=" + HUB + "&limit=100").json))
    token = clients.token("fr.analyst")
    body = fr.post("/analysis/export.csv", data={"csrf_token": token, "nodes": nodes}).data
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    uses = next(r for r in rows if r["target"] == HUB)
    assert uses["target_label"] == "'@meadowpillar36146 (Facebook)"  # defused for spreadsheets
    phone = next(r for r in rows if r["target"] == "phone:+447700900100")
    assert phone["target_label"] == "'+44 7700 900100"
    graphml = fr.post("/analysis/export.graphml", data={"csrf_token": token, "nodes": nodes})
    g = nx.read_graphml(io.BytesIO(graphml.data))
    assert g.nodes[HUB]["key"] == HUB
    assert g.nodes[HUB]["label"] == "@meadowpillar36146 (Facebook)"


def test_search_groups_spellings_of_one_name(desk, clients):
    for title, name in (
        ("One", "Omar al-Bahhazi"),
        ("Two", "Umar al-Bahhazi"),
        ("Three", "Omar al-Bahhazi"),
    ):
        desk.post(
            recipients=("FR-MININT",),
            title=title,
            entities=[{"ref": "p1", "type": "person", "value": name}],
            relations=[],
        )
    data = clients["fr.analyst"].get("/analysis/search", query_string={"q": "Omar al-Bahhazi"}).json
    assert len(data["hits"]) == 3
    [group] = data["groups"]
    assert set(group["variants"]) == {"Omar al-Bahhazi", "Umar al-Bahhazi"}
    assert len(group["nodes"]) == 3 and group["node"] == group["nodes"][0]["node"]
    # DE reads none of these bulletins: nothing to group, nothing disclosed.
    assert clients["de.analyst"].get(
        "/analysis/search", query_string={"q": "Omar al-Bahhazi"}
    ).json == {
        "hits": [],
        "groups": [],
    }
