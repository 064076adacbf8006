"""The per-organisation graph cache: expiry, bulletins the graph cannot take, merges and
saved persons, requests reading while bulletins arrive, and ids too large for a row."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import Bulletin, Investigation, utcnow
from portal.services.briefings.selection import BriefingRequest, Source, chosen_bulletins
from portal.services.bulletins import content as bulletin_content
from portal.services.errors import NotFound
from portal.services.principals import Reader


def _account(handle: str) -> dict:
    return {
        "entities": [{"ref": "a1", "type": "account", "platform": "telegram", "value": handle}],
        "relations": [],
    }


def _hits(client, q: str) -> list[str]:
    return [h["node"] for h in client.get("/analysis/search", query_string={"q": q}).json["hits"]]


def test_a_bulletin_leaves_the_graph_when_its_retention_ends_before_the_expiry_job(
    app, desk, clients
):
    bid = desk.post(title="Short-lived", **_account("@short_lived"))
    fr = clients["fr.analyst"]
    assert _hits(fr, "@short_lived") == ["account:telegram:short_lived"]
    with app.app_context():
        db.session.execute(
            update(Bulletin)
            .where(Bulletin.id == bid)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert _hits(fr, "@short_lived") == []


def test_a_bulletin_the_graph_cannot_take_is_left_out_not_a_500(app, desk, clients, monkeypatch):
    """Sealed before intake refused such bulletins: a travel by an account."""
    monkeypatch.setattr(bulletin_content, "check_links", lambda content: None)
    desk.post(
        title="Odd travel",
        entities=[
            {"ref": "a1", "type": "account", "platform": "telegram", "value": "@odd_traveller"},
            {"ref": "t1", "type": "travel", "traveller": "a1", "destination": "Raqqa"},
        ],
        relations=[],
    )
    desk.post(title="Fine", **_account("@fine_account"))
    fr = clients["fr.analyst"]
    assert _hits(fr, "@fine_account") == ["account:telegram:fine_account"]
    assert _hits(fr, "@odd_traveller") == []


def test_intake_refuses_a_travel_by_a_non_person_and_relations_to_a_travel(desk):
    with pytest.raises(Exception, match="must be a person"):
        desk.post(
            entities=[
                {"ref": "a1", "type": "account", "platform": "telegram", "value": "@x"},
                {"ref": "t1", "type": "travel", "traveller": "a1", "destination": "Raqqa"},
            ],
            relations=[],
        )
    with pytest.raises(Exception, match="not the travel event"):
        desk.post(
            entities=[
                {"ref": "p1", "type": "person", "value": "Someone"},
                {"ref": "t1", "type": "travel", "traveller": "p1", "destination": "Raqqa"},
            ],
            relations=[{"source": "p1", "type": "contacted", "target": "t1"}],
        )


def test_a_saved_person_is_found_again_after_a_merge(app, desk, clients):
    def person(name: str, handle: str) -> dict:
        return {
            "entities": [
                {"ref": "p1", "type": "person", "value": name, "date_of_birth": "1990-04-02"},
                {"ref": "a1", "type": "account", "platform": "telegram", "value": handle},
            ],
            "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
        }

    desk.post(title="One", **person("Abu Muhammad al-Shami", "@one_acc"))
    desk.post(title="Two", **person("Abou Mohamed Al Chami", "@two_acc"))
    fr = clients["fr.analyst"]
    headers = {"X-CSRFToken": clients.token("fr.analyst")}
    hits = fr.get("/analysis/search", query_string={"q": "Abu Muhammad al-Shami"}).json["hits"]
    one = next(h["node"] for h in hits if h["label"] == "Abu Muhammad al-Shami")
    two = next(h["node"] for h in hits if h["label"] == "Abou Mohamed Al Chami")
    keep = max(one, two)  # the one whose id a merge will not keep
    saved = fr.post(
        "/analysis/investigations", json={"name": "Person", "nodes": [keep]}, headers=headers
    ).json
    decided = fr.post(
        "/analysis/persons/decide",
        json={"first": one, "second": two, "same": True},
        headers=headers,
    )
    assert decided.status_code == 201
    reopened = fr.get(f"/analysis/investigations/{saved['id']}").json
    assert [n["data"]["id"] for n in reopened["elements"]["nodes"]] == [min(one, two)]


def test_requests_read_while_bulletins_arrive(app, desk, clients):
    fr = clients["fr.analyst"]
    desk.post(title="First", **_account("@busy_0"))
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                response = fr.get("/analysis/search", query_string={"q": "@busy_0"})
                assert response.status_code == 200, response.text
        except BaseException as error:
            errors.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(1, 8):
            desk.post(title=f"Busy {i}", **_account(f"@busy_{i}"))
    finally:
        done.set()
        reader.join(timeout=30)
    assert errors == []
    assert _hits(fr, "@busy_7") == ["account:telegram:busy_7"]


def test_ids_too_large_for_a_row_are_404(desk, clients):
    fr = clients["fr.analyst"]
    assert fr.get("/analysis/investigations/99999999999999999999").status_code == 404
    token = {"X-CSRFToken": clients.token("fr.analyst")}
    revoke = fr.post("/analysis/persons/decisions/99999999999999999999/revoke", headers=token)
    assert revoke.status_code == 404


def test_another_organisations_investigation_is_not_found_by_the_briefing_service(
    app, desk, clients
):
    desk.post(title="About it", **_account("@cell_account"))
    fr = clients["fr.analyst"]
    saved = fr.post(
        "/analysis/investigations",
        json={"name": "Cell", "nodes": ["account:telegram:cell_account"]},
        headers={"X-CSRFToken": clients.token("fr.analyst")},
    ).json
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Investigation)) == 1
        de = desk.reader("de.analyst")
        request = BriefingRequest(
            title="Probe", source=Source.INVESTIGATION, investigation_id=saved["id"]
        )
        with pytest.raises(NotFound):
            chosen_bulletins(de, request)
        assert isinstance(de, Reader)
