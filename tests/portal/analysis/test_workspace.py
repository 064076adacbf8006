"""The analyst workspace's JSON endpoints: search, neighbourhoods, details, paths, timeline,
exports and saved investigations, from the organisation's own graph only."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Investigation

ARABIC = "أبو محمد الشامي"


def person_and_account(name: str, handle: str, extra=(), relations=()):
    return {
        "entities": [
            {"ref": "p1", "type": "person", "value": name, "role": "recruiter"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": handle},
            *extra,
        ],
        "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}, *relations],
    }


@pytest.fixture
def network(desk):
    """Two bulletins to FR sharing an account; a chain recruiter → account → contact."""
    first = desk.post(title="Recruiter", **person_and_account(ARABIC, "@shami_media"))
    second = desk.post(
        who="de.officer",
        recipients=("FR-MININT",),
        title="Contact",
        **person_and_account(
            "Karim Example",
            "@shami_media",
            extra=[{"ref": "t1", "type": "phone", "value": "+33 6 12 34 56 78"}],
            relations=[{"source": "p1", "type": "contacted", "target": "t1", "on": "2026-03-02"}],
        ),
    )
    return first, second


def search(client, q):
    response = client.get("/analysis/search", query_string={"q": q})
    assert response.status_code == 200, response.json
    return response.json["hits"]


def test_search_finds_an_account_and_a_name_in_arabic_script(network, clients):
    fr = clients["fr.analyst"]
    assert search(fr, "https://t.me/shami_media")[0]["node"] == "account:telegram:shami_media"
    hits = search(fr, "ابو محمد الشامي")  # without the hamza: still the same person
    assert hits and hits[0]["label"] == ARABIC and hits[0]["type"] == "person"


def test_neighbourhood_has_cells_scores_and_both_bulletins(network, clients):
    fr = clients["fr.analyst"]
    data = fr.get("/analysis/neighbourhood?node=account:telegram:shami_media&radius=2").json
    nodes = {n["data"]["id"]: n["data"] for n in data["elements"]["nodes"]}
    assert "phone:+33612345678" in nodes and len(nodes) == 4
    account = nodes["account:telegram:shami_media"]
    assert account["bulletin_count"] == 2 and account["organisations"] == ["DE-BMI", "IT-MININT"]
    assert all("community" in n and "score" in n for n in nodes.values())
    only_phones = fr.get(
        "/analysis/neighbourhood?node=account:telegram:shami_media&types=phone,account"
    ).json["elements"]["nodes"]
    assert {n["data"]["type"] for n in only_phones} <= {"account", "phone"}


def test_node_details_list_readable_bulletins_with_titles(network, clients):
    data = clients["fr.analyst"].get("/analysis/node?node=account:telegram:shami_media").json
    assert sorted(b["title"] for b in data["bulletins"]) == ["Contact", "Recruiter"]
    assert data["hidden"] == []


def test_paths_between_two_actors(network, clients):
    fr = clients["fr.analyst"]
    shami = search(fr, ARABIC)[0]["node"]
    data = fr.get("/analysis/paths", query_string={"source": shami, "target": "phone:+33612345678"})
    paths = data.json["paths"]
    assert len(paths) == 1 and paths[0][0] == shami and paths[0][-1] == "phone:+33612345678"
    assert len(paths[0]) == 4  # person → account ← person → phone
    k = fr.get("/analysis/paths", query_string={"source": shami, "target": paths[0][-1], "k": 3})
    assert k.json["paths"][0] == paths[0]


def test_timeline_lists_dated_relations(network, clients):
    fr = clients["fr.analyst"]
    csrf = clients.token("fr.analyst")
    nodes = [
        n["data"]["id"]
        for n in fr.get("/analysis/neighbourhood?node=account:telegram:shami_media").json[
            "elements"
        ]["nodes"]
    ]
    response = fr.post("/analysis/timeline", json={"nodes": nodes}, headers={"X-CSRFToken": csrf})
    events = response.json["events"]
    assert any(e["kind"] == "contacted" and e["on"] == "2026-03-02" for e in events)


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "csv", "svg"])
def test_exports_hold_exactly_the_view(network, clients, fmt):
    fr = clients["fr.analyst"]
    view = fr.get("/analysis/neighbourhood?node=account:telegram:shami_media").json["elements"]
    nodes = [n["data"]["id"] for n in view["nodes"]]
    response = fr.post(
        f"/analysis/export.{fmt}",
        data={"csrf_token": clients.token("fr.analyst"), "nodes": nodes},
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    if fmt == "graphml":
        assert nx.read_graphml(io.BytesIO(response.data)).number_of_nodes() == len(nodes)
    assert b"shami_media" in response.data


def test_the_drawing_is_in_the_analysts_language(network, clients):
    fr = clients["fr.analyst"]
    view = fr.get("/analysis/neighbourhood?node=account:telegram:shami_media").json["elements"]
    nodes = [n["data"]["id"] for n in view["nodes"]]
    svg = fr.post(
        "/analysis/export.svg",
        data={"csrf_token": clients.token("fr.analyst"), "nodes": nodes},
        headers={"Accept-Language": "fr"},
    ).text
    for words in ("Graphe de liens Ischia", "Types d&#x27;entités", "Cellules", "Compte en ligne"):
        assert words.replace("&#x27;", "'") in svg.replace("&#x27;", "'"), words
    assert "cellule 1 (" in svg and " nœuds)" in svg
    for english in ("Node types", "Cells", "Ischia link graph", ">account<", "nodes)"):
        assert english not in svg, english


def test_investigations_are_saved_reopened_and_kept_per_organisation(network, clients):
    fr = clients["fr.analyst"]
    headers = {"X-CSRFToken": clients.token("fr.analyst")}
    nodes = ["account:telegram:shami_media", "phone:+33612345678"]
    saved = fr.post(
        "/analysis/investigations",
        json={"name": "Shami cell", "notes": "Check the phone.", "nodes": nodes},
        headers=headers,
    )
    assert saved.status_code == 201
    opened = fr.get(f"/analysis/investigations/{saved.json['id']}").json
    assert opened["notes"] == "Check the phone."
    assert {n["data"]["id"] for n in opened["elements"]["nodes"]} == set(nodes)
    assert "Shami cell" in fr.get("/analysis/").text
    de = clients["de.analyst"]
    assert de.get(f"/analysis/investigations/{saved.json['id']}").status_code == 404
    assert "Shami cell" not in de.get("/analysis/").text
    again = fr.post(
        "/analysis/investigations",
        json={"name": "Shami cell", "notes": "Updated.", "nodes": nodes[:1]},
        headers=headers,
    )
    assert again.status_code == 201, again.json
    assert again.json["id"] == saved.json["id"] and again.json["nodes"] == 1


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/analysis/search?q=", "q"),
        ("/analysis/neighbourhood?node=account:telegram:shami_media&radius=9", "radius"),
        ("/analysis/neighbourhood?node=account:telegram:shami_media&types=ghost", "types"),
        ("/analysis/neighbourhood?node=account:telegram:shami_media&since=2026-13-01", "since"),
        ("/analysis/neighbourhood?node=account:telegram:shami_media&markings=RED", "markings"),
        ("/analysis/neighbourhood", "node"),
        (
            "/analysis/paths?source=account:telegram:shami_media&target=account:telegram:shami_media",
            "target",
        ),
    ],
)
def test_bad_parameters_are_400_json_naming_the_field(network, clients, url, field):
    response = clients["fr.analyst"].get(url)
    assert response.status_code == 400
    assert response.json["error"]["field"] == field and response.json["error"]["message"]


def test_bad_investigations_are_refused_and_nothing_saved(network, clients):
    fr = clients["fr.analyst"]
    headers = {"X-CSRFToken": clients.token("fr.analyst")}
    for body, field in [
        ({"name": "", "nodes": ["phone:+33612345678"]}, "name"),
        ({"name": "x", "nodes": []}, "nodes"),
        ({"name": "x", "nodes": ["phone:+49000"]}, "nodes"),
        ({"name": "x", "nodes": "phone:+33612345678"}, "nodes"),
    ]:
        response = fr.post("/analysis/investigations", json=body, headers=headers)
        assert response.status_code == 400 and response.json["error"]["field"] == field
    with clients.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Investigation)) == 0
    assert fr.post("/analysis/investigations", data="[", headers=headers).status_code == 400


def test_unknown_entities_are_404(network, clients):
    fr = clients["fr.analyst"]
    assert fr.get("/analysis/node?node=phone:+10000000000").status_code == 404
    assert fr.get("/analysis/paths?source=nope&target=phone:+33612345678").status_code == 404


def test_only_analysts_reach_the_workspace(network, clients):
    assert clients["fr.officer"].get("/analysis/").status_code in (403, 404)
    assert clients["platform"].get("/analysis/search?q=x").status_code in (403, 404)


def test_the_workspace_forms_wait_for_their_script(network, clients):
    # Sent before analysis.js listens, a search would reload the page with the identifier in
    # the address (and the browser's history) and do nothing: the buttons come disabled and
    # the script enables them.
    page = clients["fr.analyst"].get("/analysis/").text
    workspace = page[page.index('id="workspace"') : page.index("</main>")]
    buttons = re.findall(r"<button type=\"submit\"[^>]*>", workspace)
    assert len(buttons) == 3  # search, the view's filters, save the investigation
    assert all("disabled" in b and "data-needs-script" in b for b in buttons)
    script = (Path(__file__).parents[3] / "portal/static/js/analysis.js").read_text()
    assert '[data-needs-script]").forEach((button) => { button.disabled = false; })' in script


def test_edge_details_list_the_bulletins_stating_it(network, clients):
    fr = clients["fr.analyst"]
    shami = search(fr, ARABIC)[0]["node"]
    query = {"source": shami, "target": "account:telegram:shami_media", "type": "uses_account"}
    data = fr.get("/analysis/edge", query_string=query).json
    assert [b["title"] for b in data["bulletins"]] == ["Recruiter"]
    missing = fr.get("/analysis/edge", query_string=query | {"type": "financed"})
    assert missing.status_code == 404 and missing.json["error"]["field"] == "type"


def test_large_graphs_get_their_measures_in_the_background(network, clients, monkeypatch):
    from portal.services.analysis import graph_queries

    monkeypatch.setattr(graph_queries, "BACKGROUND_ABOVE", 0)
    fr = clients["fr.analyst"]
    first = fr.get("/analysis/neighbourhood?node=account:telegram:shami_media").json
    assert first["elements"]["nodes"]  # the view comes at once, measures or not
    # The thread may wait for a core on a loaded machine: poll the page's own flag, with a
    # deadline far above any real computation of this small graph (it takes milliseconds).
    deadline = time.monotonic() + 120
    while not fr.get("/analysis/measures").json["ready"]:
        if time.monotonic() > deadline:
            pytest.fail("the measures were not ready after 120 s")
        time.sleep(0.1)
    again = fr.get("/analysis/neighbourhood?node=account:telegram:shami_media").json
    assert again["measures"] is True
    assert all("community" in n["data"] for n in again["elements"]["nodes"])


def test_same_person_is_suggested_decided_on_record_and_revocable(boundary, app, desk, clients):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import AuditRecord, PersonDecision

    def person(name, handle):
        return {
            "entities": [
                {"ref": "p1", "type": "person", "value": name, "date_of_birth": "1990-04-02"},
                {"ref": "a1", "type": "account", "platform": "telegram", "value": handle},
            ],
            "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
        }

    desk.post(title="Arabic spelling", **person(ARABIC, "@first_acc"))
    desk.post(title="Latin spelling", **person("Abu Muhammad al-Shami", "@second_acc"))
    fr = clients["fr.analyst"]
    headers = {"X-CSRFToken": clients.token("fr.analyst")}
    arabic = next(h["node"] for h in search(fr, ARABIC) if h["label"] == ARABIC)
    data = fr.get("/analysis/persons", query_string={"node": arabic}).json
    assert data["suggestions"] and data["suggestions"][0]["label"] == "Abu Muhammad al-Shami"
    latin = data["suggestions"][0]["node"]
    # Names alone never merge: two person nodes until someone decides.
    assert (
        fr.get("/analysis/paths", query_string={"source": arabic, "target": latin}).json["paths"]
        == []
    )
    made = fr.post(
        "/analysis/persons/decide",
        json={"first": arabic, "second": latin, "same": True, "note": "same DOB"},
        headers=headers,
    )
    assert made.status_code == 201
    merged = min(arabic, latin)  # a merged person takes the smallest mention id
    view = fr.get("/analysis/neighbourhood", query_string={"node": merged, "radius": 1}).json
    ids = {n["data"]["id"] for n in view["elements"]["nodes"]}
    assert {"account:telegram:first_acc", "account:telegram:second_acc"} <= ids
    record = fr.get("/analysis/persons", query_string={"node": merged}).json["decisions"]
    assert record[0]["same"] is True and record[0]["note"] == "same DOB"
    again = fr.post(
        "/analysis/persons/decide",
        json={"first": merged, "second": merged, "same": True},
        headers=headers,
    )
    assert again.status_code == 400
    # DE's graph does not follow FR's decision: its Latin-spelled person stays apart.
    de = clients["de.analyst"]
    de_hits = search(de, "Abu Muhammad al-Shami")
    de_latin = next(h["node"] for h in de_hits if h["label"] == "Abu Muhammad al-Shami")
    de_view = de.get("/analysis/neighbourhood", query_string={"node": de_latin, "radius": 1})
    assert "account:telegram:first_acc" not in {
        n["data"]["id"] for n in de_view.json["elements"]["nodes"]
    }
    revoked = fr.post(
        f"/analysis/persons/decisions/{record[0]['id']}/revoke", json={}, headers=headers
    )
    assert revoked.status_code == 200
    split = fr.get("/analysis/neighbourhood", query_string={"node": arabic, "radius": 1}).json
    assert "account:telegram:second_acc" not in {
        n["data"]["id"] for n in split["elements"]["nodes"]
    }
    with app.app_context():
        row = db.session.scalars(select(PersonDecision)).one()
        assert row.revoked_at is not None and row.decided_by == desk.users["fr.analyst"]
        events = [r.event for r in db.session.scalars(select(AuditRecord))]
    assert "person.same" in events and "person.decision_revoked" in events


def test_after_an_amendment_rejections_hold_and_merges_are_asked_again(app, desk, clients):
    from tests.portal.bulletins.sessions import amend

    def person(name, handle, born="1990-04-02"):
        return {
            "entities": [
                {"ref": "p1", "type": "person", "value": name, "date_of_birth": born},
                {"ref": "a1", "type": "account", "platform": "telegram", "value": handle},
            ],
            "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
        }

    first = desk.post(title="Arabic spelling", **person(ARABIC, "@first_acc"))
    desk.post(title="Latin spelling", **person("Abu Muhammad al-Shami", "@second_acc"))
    desk.post(title="Another Latin", **person("Abou Mohamed al Shami", "@third_acc"))
    fr = clients["fr.analyst"]
    headers = {"X-CSRFToken": clients.token("fr.analyst")}

    def node_of(label):
        return next(h["node"] for h in search(fr, label) if h["label"] == label)

    def accounts_around(node):
        view = fr.get("/analysis/neighbourhood", query_string={"node": node, "radius": 1}).json
        return {
            n["data"]["id"] for n in view["elements"]["nodes"] if n["data"]["type"] == "account"
        }

    def decide(first, second, same):
        return fr.post(
            "/analysis/persons/decide",
            json={"first": first, "second": second, "same": same},
            headers=headers,
        ).status_code

    arabic, latin, other = (
        node_of(ARABIC),
        node_of("Abu Muhammad al-Shami"),
        node_of("Abou Mohamed al Shami"),
    )
    assert decide(arabic, other, False) == 201
    assert decide(arabic, latin, True) == 201
    assert "account:telegram:second_acc" in accounts_around(min(arabic, latin))

    # The sender amends the Arabic-spelling bulletin: a new version, a new id, the same refs.
    amended = amend(desk, first, title="Corrected", **person(ARABIC, "@first_acc_new"))
    now = f"person:{amended}:p1"
    assert now in {h["node"] for h in search(fr, ARABIC)}
    # The merge was about the version the analyst saw: the new one stands apart until
    # someone confirms it again, and is suggested for that.
    assert accounts_around(now) == {"account:telegram:first_acc_new"}
    record = fr.get("/analysis/persons", query_string={"node": now}).json
    suggested = {s["node"] for s in record["suggestions"]}
    assert latin in suggested
    # The rejection holds: the other spelling is not suggested again, and is listed.
    assert other not in suggested
    assert [d["same"] for d in record["decisions"]] == [False]
    assert decide(now, other, True) == 409
    # Confirming again joins them.
    assert decide(now, latin, True) == 201
    assert {"account:telegram:first_acc_new", "account:telegram:second_acc"} <= accounts_around(
        min(now, latin)
    )
    # DE's graph follows none of FR's decisions.
    de = clients["de.analyst"]
    de_arabic = next(h["node"] for h in search(de, ARABIC) if h["label"] == ARABIC)
    de_view = de.get("/analysis/neighbourhood", query_string={"node": de_arabic, "radius": 1})
    assert {n["data"]["id"] for n in de_view.json["elements"]["nodes"]} >= {
        "account:telegram:first_acc_new"
    }
    assert "account:telegram:second_acc" not in {
        n["data"]["id"] for n in de_view.json["elements"]["nodes"]
    }


def test_records_of_one_name_say_where_they_come_from_and_the_score_is_explained(desk, clients):
    name = "Hasan al-Ghatufi"
    desk.post(title="Italian report", recipients=("FR-MININT",), **person_and_account(name, "@hg1"))
    desk.post(
        who="de.officer",
        recipients=("FR-MININT",),
        title="German report",
        **person_and_account(name, "@hg2"),
    )
    fr = clients["fr.analyst"]
    (group,) = fr.get("/analysis/search", query_string={"q": name}).json["groups"]
    records = [member["record"] for member in group["nodes"]]
    assert len(records) == 2 and len(set(records)) == 2  # no longer the same label twice
    assert {r.split(" (")[1].split(",")[0] for r in records} == {"IT-MININT", "DE-BMI"}
    data = fr.get("/analysis/persons", query_string={"node": group["nodes"][0]["node"]}).json
    (suggestion,) = data["suggestions"]
    assert suggestion["name_reason"] == f"same name as written: {name}"
    assert suggestion["record"] in records and suggestion["record"].startswith(f"{name} (")
    assert "0.6" in data["score_explained"] and "lowers" in data["score_explained"]
    # DE reads only its own report: one record, nothing of IT's.
    de_groups = clients["de.analyst"].get("/analysis/search", query_string={"q": name}).json
    assert [len(g["nodes"]) for g in de_groups["groups"]] == [1]
    assert "IT-MININT" not in str(de_groups)
