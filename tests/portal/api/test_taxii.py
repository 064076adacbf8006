"""TAXII 2.1: a round trip with the OASIS client library against the portal served on
127.0.0.1, pagination with the date headers, matching, and the web's access rules."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from taxii2client.v21 import ApiRoot, Collection, Server, Status, as_pages
from werkzeug.serving import make_server

from tests.portal.api.conftest import bearer

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def served(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def _entities(handle: str) -> dict:
    return {
        "entities": [
            {"ref": "p1", "type": "person", "value": f"Person {handle}", "role": "recruiter"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": f"@{handle}"},
        ],
        "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
    }


def test_round_trip_with_the_oasis_client(served, desk, token):
    for i in range(4):
        desk.post(title=f"IT bulletin {i}", recipients=("FR-MININT",), **_entities(f"it_{i}"))
    desk.post(title="DE only", recipients=("UK-HO",), **_entities("de_only"))
    secret = token("fr.officer", write=True)
    server = Server(f"{served}/taxii2/", user="fr.officer", password=secret)
    assert server.title == "Ischia TAXII server"
    root = server.api_roots[0]
    assert isinstance(root, ApiRoot) and TAXII in root.versions
    titles = {c.title: c for c in root.collections}
    assert set(titles) == {"Bulletins from FR-MININT (your outbox)", "Bulletins from IT-MININT"}
    from_it = titles["Bulletins from IT-MININT"]
    objects = []
    for page in as_pages(from_it.get_objects, per_request=7):
        objects += page.get("objects", [])
    reports = [o for o in objects if o["type"] == "report"]
    assert sorted(r["name"] for r in reports) == [f"IT bulletin {i}" for i in range(4)]
    assert not any("de_only" in str(o) for o in objects)

    outbox = titles["Bulletins from FR-MININT (your outbox)"]
    assert outbox.can_write and not from_it.can_write
    envelope = {
        "objects": [
            {**reports[0], "x_ischia_recipients": ["DE-BMI"], "name": "Posted over TAXII"},
            *[o for o in objects if o["id"] in reports[0]["object_refs"]],
        ]
    }
    status = outbox.add_objects(envelope, wait_for_completion=False)
    assert isinstance(status, Status)
    assert status.status == "complete" and status.failure_count == 0 and status.success_count > 0
    status.refresh()
    assert status.success_count == len(envelope["objects"])
    mine = Collection(outbox.url, user="fr.officer", password=secret)
    names = [o["name"] for o in mine.get_objects(type="report").get("objects", [])]
    assert names == ["Posted over TAXII"]


def test_pages_carry_date_headers_and_match_filters(client, desk, token):
    for i in range(3):
        desk.post(title=f"Page {i}", recipients=("FR-MININT",), **_entities(f"page_{i}"))
    headers = {**bearer(token("fr.analyst")), "Accept": TAXII}
    collections = client.get("/taxii2/api/collections/", headers=headers).json["collections"]
    it = next(c for c in collections if c["title"] == "Bulletins from IT-MININT")
    url = f"/taxii2/api/collections/{it['id']}/objects/"
    first = client.get(url, query_string={"limit": 5}, headers=headers)
    assert first.headers["Content-Type"] == TAXII
    assert first.json["more"] is True and len(first.json["objects"]) == 5
    assert first.headers["X-TAXII-Date-Added-First"] <= first.headers["X-TAXII-Date-Added-Last"]
    seen = [o["id"] for o in first.json["objects"]]
    nxt = first.json["next"]
    while nxt:
        page = client.get(url, query_string={"limit": 5, "next": nxt}, headers=headers).json
        seen += [o["id"] for o in page["objects"]]
        nxt = page.get("next")
    everything = client.get(url, query_string={"limit": 1000}, headers=headers).json["objects"]
    # Pages repeat what they share (markings, the sender): each page stands on its own.
    assert list(dict.fromkeys(seen)) == [o["id"] for o in everything]
    reports = client.get(url, query_string={"match[type]": "report"}, headers=headers).json
    assert {o["type"] for o in reports["objects"]} == {"report"} and len(reports["objects"]) == 3
    one = reports["objects"][0]["id"]
    by_id = client.get(url, query_string={"match[id]": one}, headers=headers).json["objects"]
    assert [o["id"] for o in by_id] == [one]
    single = client.get(f"{url}{one}/", headers=headers).json["objects"]
    assert single[0]["id"] == one
    versions = client.get(f"{url}{one}/versions/", headers=headers).json["versions"]
    assert len(versions) == 1
    manifest = client.get(
        f"/taxii2/api/collections/{it['id']}/manifest/", query_string={"limit": 2}, headers=headers
    ).json
    assert len(manifest["objects"]) == 2 and manifest["more"] is True
    assert manifest["objects"][0]["media_type"].startswith("application/stix+json")
    later = client.get(
        url, query_string={"added_after": "2999-01-01T00:00:00Z"}, headers=headers
    ).json
    # TAXII 2.1 section 3.7: "objects" is left out rather than empty.
    assert later == {"more": False}


def test_access_rules_and_errors(client, desk, token):
    desk.post(title="DE only", recipients=("DE-BMI",))
    fr = {**bearer(token("fr.analyst")), "Accept": TAXII}
    assert client.get("/taxii2/").status_code == 401
    assert client.get("/taxii2/", headers={"Accept": TAXII}).status_code == 401
    collections = client.get("/taxii2/api/collections/", headers=fr).json["collections"]
    assert [c["title"] for c in collections] == ["Bulletins from FR-MININT (your outbox)"]
    de = {**bearer(token("de.analyst")), "Accept": TAXII}
    de_ids = [
        c["id"] for c in client.get("/taxii2/api/collections/", headers=de).json["collections"]
    ]
    it_collection = next(i for i in de_ids if i not in {c["id"] for c in collections})
    refused = client.get(f"/taxii2/api/collections/{it_collection}/objects/", headers=fr)
    assert refused.status_code == 404 and refused.headers["Content-Type"] == TAXII
    assert client.get("/taxii2/", headers={**fr, "Accept": "text/html"}).status_code == 406
    bad = client.get(
        f"/taxii2/api/collections/{de_ids[0]}/objects/", query_string={"next": "zzz"}, headers=de
    )
    assert bad.status_code == 400 and bad.json["details"]["field"] == "next"
    read_only = client.post(
        f"/taxii2/api/collections/{collections[0]['id']}/objects/", json={"objects": []}, headers=fr
    )
    assert read_only.status_code == 403


def test_odd_query_parameters_never_fail(client, desk, token):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    desk.post(title="Fuzz", recipients=("FR-MININT",), **_entities("fuzz"))
    headers = {**bearer(token("fr.analyst")), "Accept": TAXII}
    collection_id = next(
        c["id"]
        for c in client.get("/taxii2/api/collections/", headers=headers).json["collections"]
        if c["title"] == "Bulletins from IT-MININT"
    )
    text = st.text(max_size=40)
    params = st.fixed_dictionaries(
        {},
        optional={
            "added_after": text,
            "limit": st.one_of(text, st.integers(-5, 5000).map(str)),
            "next": text,
            "match[type]": text,
            "match[id]": text,
            "match[version]": text,
        },
    )

    @given(query=params, where=st.sampled_from(["objects/", "manifest/", "objects/x--1/", "zz/"]))
    @settings(
        max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(query, where):
        response = client.get(
            f"/taxii2/api/collections/{collection_id}/{where}", query_string=query, headers=headers
        )
        assert response.status_code in (200, 400, 404), (where, query, response.text[:200])

    check()


def test_odd_dates_and_cursors_are_answered(client, desk, token):
    import base64

    desk.post(title="Odd", recipients=("FR-MININT",), **_entities("odd"))
    headers = {**bearer(token("fr.analyst")), "Accept": TAXII}
    collection_id = next(
        c["id"]
        for c in client.get("/taxii2/api/collections/", headers=headers).json["collections"]
        if c["title"] == "Bulletins from IT-MININT"
    )
    url = f"/taxii2/api/collections/{collection_id}/objects/"
    naive = client.get(url, query_string={"added_after": "2020-01-01"}, headers=headers)
    assert naive.status_code == 200 and naive.json["objects"]
    for cursor in ("2026-01-01T00:00:00|x|-300", "2026-01-01T00:00:00|x|0"):
        encoded = base64.urlsafe_b64encode(cursor.encode()).decode()
        response = client.get(url, query_string={"next": encoded}, headers=headers)
        assert response.status_code in (200, 400)
    assert client.get(url, query_string={"limit": "²"}, headers=headers).status_code == 400


def test_a_bulletin_released_later_is_added_when_it_is_released(app, client, desk, token):
    from datetime import UTC, datetime

    from portal.services.bulletins import lifecycle
    from portal.services.principals import Actor

    bid = desk.post(title="Released later", recipients=("DE-BMI",), **_entities("later"))
    headers = {**bearer(token("fr.analyst")), "Accept": TAXII}
    cut = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with app.app_context():
        officer = desk.reader("it.officer")
        lifecycle.release_to(officer, Actor(officer.user_id), bid, "FR-MININT")
    collection_id = next(
        c["id"]
        for c in client.get("/taxii2/api/collections/", headers=headers).json["collections"]
        if c["title"] == "Bulletins from IT-MININT"
    )
    page = client.get(
        f"/taxii2/api/collections/{collection_id}/objects/",
        query_string={"added_after": cut, "match[type]": "report"},
        headers=headers,
    ).json
    assert [o["name"] for o in page["objects"]] == ["Released later"]


def test_taxii_requests_are_limited_per_token(app, client, desk, token):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    fr = {**bearer(token("fr.analyst")), "Accept": TAXII}
    de = {**bearer(token("de.analyst")), "Accept": TAXII}
    answers = [client.get("/taxii2/", headers=fr).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert client.get("/taxii2/", headers=de).status_code == 200
