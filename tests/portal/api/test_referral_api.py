"""The referral API: refer, list (each side its own), read, decide, bulk upload; errors as the
API's others, naming the field, with nothing stored; token scopes; every other party's id a
404; the OpenAPI document."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Referral,
    ReferralBulkJob,
    ReferralBulkRow,
    ReferralCase,
    ReferralItem,
    ReferralLedgerEntry,
    User,
)
from portal.services.accounts import api_tokens
from portal.services.principals import CLI
from portal.services.referrals.vocabulary import ORDER_RULE
from tests.conftest import World as Built
from tests.conftest import Worlds
from tests.portal.api.conftest import bearer
from tests.portal.conftest import People
from tests.portal.referrals.conftest import World

WRITERS = ("de", "fr", "uk", "x", "y")
HEADER = "url,category,content_type,account,language,attributed_group,reason,hashes\n"
TABLES = (
    Referral,
    ReferralItem,
    ReferralCase,
    ReferralLedgerEntry,
    ReferralBulkJob,
    ReferralBulkRow,
)


def _build(app: Flask) -> dict[str, Any]:
    users = World(app, People(app)).setup().users
    tokens: dict[str, str] = {}
    with app.app_context():
        for who in (*WRITERS, "de.analyst"):
            user = db.session.get_one(User, users[who])
            tokens[who] = api_tokens.create(user, CLI, f"{who} writes", write=True).token
        user = db.session.get_one(User, users["de"])
        tokens["de.read"] = api_tokens.create(user, CLI, "de reads").token
    return {"users": users, "tokens": tokens}


@pytest.fixture(scope="session")
def api_parties_world(worlds: Worlds) -> Built[dict[str, Any]]:
    return worlds.build("referral-api-parties", _build)


@pytest.fixture
def api(app, client, api_parties_world):
    api_parties_world.load(app)
    tokens = api_parties_world.value["tokens"]

    class Api:
        def call(self, method: str, path: str, who: str, **kw: Any) -> Any:
            return client.open(f"/api/v1{path}", method=method, headers=bearer(tokens[who]), **kw)

        def refer(self, who: str = "de", **body: Any) -> Any:
            body.setdefault("platform", "PLATFORM-X")
            body.setdefault("kind", "referral")
            body.setdefault("items", [item()])
            return self.call("POST", "/referrals", who, json=body)

        def stored(self) -> tuple[int, ...]:
            with app.app_context():
                return tuple(
                    db.session.scalar(select(func.count()).select_from(model)) for model in TABLES
                )

    return Api()


def item(url: str = "https://video.example/watch?v=1", **extra: Any) -> dict[str, Any]:
    fields = {
        "url": url,
        "category": "recruitment",
        "content_type": "video",
        "reason": "Recruitment video.",
        "language": "ar",
        "hashes": ["a" * 64],
    }
    fields.update(extra)
    return fields


def test_a_referral_is_made_read_by_both_parties_and_decided(api):
    made = api.refer(items=[item(), item("https://video.example/watch?v=2")])
    assert made.status_code == 201, made.json
    referral_id = made.json["id"]
    assert [i["url"] for i in made.json["items"]] == [
        "https://video.example/watch?v=1",
        "https://video.example/watch?v=2",
    ]
    for who in ("de", "x"):
        read = api.call("GET", f"/referrals/{referral_id}", who)
        assert read.status_code == 200
        assert read.json["verification"]["valid"] and read.json["referrer"] == "DE-BMI"
        assert [i["state"] for i in read.json["items"]] == ["received", "received"]
    for who in ("fr", "y"):
        assert api.call("GET", f"/referrals/{referral_id}", who).status_code == 404
    assert api.call("GET", f"/referrals/{'0' * 32}", "de").status_code == 404
    assert api.call("GET", "/referrals/not-an-id", "x").status_code == 404

    first = made.json["items"][0]["id"]
    decided = api.call(
        "POST",
        f"/referrals/{referral_id}/decision",
        "x",
        json={"outcome": "access_disabled", "countries": ["DE", "FR"], "items": [first]},
    )
    assert decided.status_code == 200 and decided.json["decided"] == [first]
    rest = api.call("POST", f"/referrals/{referral_id}/decision", "x", json={"outcome": "removed"})
    assert rest.json["decided"] == [made.json["items"][1]["id"]]
    listed = api.call("GET", "/referrals", "de").json
    assert listed["side"] == "referrer"
    assert {(i["outcome"], tuple(i["countries"])) for i in listed["items"]} == {
        ("access_disabled", ("DE", "FR")),
        ("removed", ()),
    }
    again = api.call("POST", f"/referrals/{referral_id}/decision", "x", json={"outcome": "removed"})
    assert again.status_code == 409


def test_decisions_only_by_the_platform_and_from_the_vocabulary(api):
    referral_id = api.refer().json["id"]
    path = f"/referrals/{referral_id}/decision"
    before = api.stored()
    bad = api.call("POST", path, "x", json={"outcome": "deleted-it"})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "outcome"
    assert api.call("POST", path, "de", json={"outcome": "removed"}).status_code == 403
    assert api.call("POST", path, "y", json={"outcome": "removed"}).status_code == 404
    exit_ = api.call("POST", path, "x", json={"outcome": "force_majeure", "note": "Outage"})
    assert exit_.status_code == 400 and "regulation" in exit_.json["error"]["message"]
    assert api.stored() == before


def test_a_removal_order_from_an_authority_that_is_not_competent_is_refused(api):
    before = api.stored()
    refused = api.refer("uk", kind="removal_order", legal_basis="Terrorism Act 2006, s. 3")
    assert refused.status_code == 403
    assert refused.json["error"] == {"code": 403, "message": ORDER_RULE, "field": "kind"}
    assert api.stored() == before
    allowed = api.refer("de", kind="removal_order", legal_basis="Regulation (EU) 2021/784")
    assert allowed.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "NO-SUCH"}, "platform"),
        ({"platform": "FR-MININT"}, "platform"),
        ({"items": [item(category="gore")]}, "items[0].category"),
        ({"items": [item("not a url")]}, "items[0].url"),
        ({"items": [item("ftp://files.example/x")]}, "items[0].url"),
        ({"items": [item(colour="red")]}, "items[0].colour"),
        ({"items": []}, "items"),
        ({"kind": "warning"}, "kind"),
    ],
)
def test_bad_referrals_are_400_naming_the_field_and_store_nothing(api, body, field):
    before = api.stored()
    refused = api.refer(**body)
    assert refused.status_code == 400, refused.json
    assert refused.json["error"]["field"] == field
    assert api.stored() == before


def test_scopes_and_sides(api):
    before = api.stored()
    assert api.refer("de.read").status_code == 403  # a read-only token writes nothing
    assert api.refer("x").status_code == 403  # a platform refers nothing
    assert api.refer("de.analyst").status_code == 403
    assert api.stored() == before


def test_each_side_lists_its_own_with_filters_and_pages(api):
    for n in range(3):
        assert api.refer(items=[item(f"https://video.example/de{n}")]).status_code == 201
    api.refer("fr", items=[item("https://video.example/fr")])
    api.refer("fr", platform="PLATFORM-Y", items=[item("https://video.example/y")])
    fr = api.call("GET", "/referrals", "fr").json
    assert {i["url"] for i in fr["items"]} == {
        "https://video.example/fr",
        "https://video.example/y",
    }
    page = api.call("GET", "/referrals?size=2", "de").json
    assert len(page["items"]) == 2 and page["next_page"] == 2
    last = api.call("GET", "/referrals?size=2&page=2", "de").json
    assert len(last["items"]) == 1 and last["next_page"] is None
    queue = api.call("GET", "/referrals", "x").json
    assert queue["side"] == "platform" and len(queue["items"]) == 4
    assert {i["referrer"] for i in queue["items"]} == {"DE-BMI", "FR-MININT"}
    y = api.call("GET", "/referrals", "y").json
    assert [i["url"] for i in y["items"]] == ["https://video.example/y"]
    filtered = api.call("GET", "/referrals?category=propaganda", "x").json
    assert filtered["items"] == []
    assert api.call("GET", "/referrals?state=late", "x").json["error"]["field"] == "state"
    assert api.call("GET", "/referrals?size=999", "x").json["error"]["field"] == "size"
    assert api.call("GET", "/referrals?state=late", "de").json["error"]["field"] == "state"
    only_y = api.call("GET", "/referrals?platform=platform-y", "fr").json["items"]
    assert [i["url"] for i in only_y] == ["https://video.example/y"]
    assert len(api.call("GET", "/referrals?state=received&kind=referral", "de").json["items"]) == 3
    assert api.call("GET", "/referrals?state=decided", "de").json["items"] == []
    assert api.call("GET", "/referrals?overdue=true", "de").json["items"] == []
    assert api.call("GET", "/referrals?overdue=maybe", "de").json["error"]["field"] == "overdue"
    assert api.call("GET", "/referrals", "de.analyst").status_code == 403


def test_a_bulk_csv_is_stored_with_a_report_per_row(api):
    data = HEADER + (
        "https://video.example/b1,recruitment,video,,,,Call to travel,\n"
        "https://video.example/b2,gore,video,,,,R,\n"
        "=1+1,propaganda,video,,,,R,\n"
        "https://video.example/b1,recruitment,video,,,,Again,\n"
    )
    made = api.call(
        "POST",
        "/referrals/bulk?platform=PLATFORM-X&label=Action+day",
        "de",
        data=data,
        content_type="text/csv",
    )
    assert made.status_code == 201, made.json
    assert made.json["state"] == "done" and made.json["label"] == "Action day"
    assert [(r["row"], r["status"], r["column"]) for r in made.json["rows"]] == [
        (2, "accepted", None),
        (3, "refused", "category"),
        (4, "refused", "url"),
        (5, "duplicate", None),
    ]
    job_id = made.json["id"]
    status = api.call("GET", f"/referrals/bulk/{job_id}", "de").json
    assert (status["rows_done"], status["rows_total"]) == (4, 4)
    report = api.call("GET", f"/referrals/bulk/{job_id}/report.csv", "de")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(report.text)))
    assert rows[3][1] == "'=1+1"
    for who in ("fr", "x"):
        assert api.call("GET", f"/referrals/bulk/{job_id}", who).status_code == 404
        assert api.call("GET", f"/referrals/bulk/{job_id}/report.csv", who).status_code == 404


def test_a_bulk_upload_as_a_multipart_file_or_a_stix_bundle(api):
    data = HEADER + "https://video.example/m1,propaganda,image,,,,R,\n"
    made = api.call(
        "POST",
        "/referrals/bulk",
        "de",
        data={"file": (io.BytesIO(data.encode()), "day.csv"), "platform": "PLATFORM-Y"},
        content_type="multipart/form-data",
    )
    assert made.status_code == 201, made.json
    assert made.json["platform"] == "PLATFORM-Y" and made.json["accepted"] == 1
    bundle = {
        "type": "bundle",
        "id": "bundle--1",
        "objects": [{"type": "url", "id": "url--1", "value": "https://video.example/s"}],
    }
    stix = api.call(
        "POST",
        "/referrals/bulk?platform=PLATFORM-X&category=propaganda&content_type=video&reason=R",
        "de",
        json=bundle,
    )
    assert stix.status_code == 201 and stix.json["format"] == "stix"
    assert stix.json["rows"][0]["status"] == "accepted"


def test_bulk_uploads_refused_whole(api):
    before = api.stored()
    big = HEADER.encode() + b"x" * (50 * 1024 * 1024)
    too_large = api.call(
        "POST",
        "/referrals/bulk?platform=PLATFORM-X",
        "de",
        data=big,
        content_type="text/csv",
    )
    assert too_large.status_code == 413
    assert "at most 10 MiB" in too_large.json["error"]["message"]
    assert too_large.json["error"]["field"] == "file"
    del big
    line = HEADER + "https://video.example/a,recruitment,video,,,,R,\n"
    for who, query, status, field in (
        ("uk", "platform=PLATFORM-X&kind=removal_order&legal_basis=x", 403, "kind"),
        ("de", "platform=NOPE", 400, "platform"),
        ("x", "platform=PLATFORM-X", 403, None),
        ("de.read", "platform=PLATFORM-X", 403, None),
    ):
        refused = api.call(
            "POST", f"/referrals/bulk?{query}", who, data=line, content_type="text/csv"
        )
        assert refused.status_code == status, (who, refused.json)
        assert refused.json["error"]["field"] == field
    latin = api.call(
        "POST",
        "/referrals/bulk?platform=PLATFORM-X",
        "de",
        data=HEADER.encode() + "https://v.example/é,other,video,,,,R,\n".encode("latin-1"),
        content_type="text/csv",
    )
    assert latin.status_code == 400 and "line 2" in latin.json["error"]["message"]
    assert api.stored() == before


def test_the_referral_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/referrals"])
    assert "get" in paths["/api/v1/referrals/{referral_id}"]
    assert "post" in paths["/api/v1/referrals/{referral_id}/decision"]
    assert "post" in paths["/api/v1/referrals/bulk"]
    assert "get" in paths["/api/v1/referrals/bulk/{job_id}"]
    assert "get" in paths["/api/v1/referrals/bulk/{job_id}/report.csv"]


def test_json_nested_deeper_than_the_parser_goes_is_a_400_and_stores_nothing(api):
    before = api.stored()
    deep = b'{"platform": "PLATFORM-X", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = api.call("POST", "/referrals", "de", data=deep, content_type="application/json")
    assert (
        answer.status_code == 400 and "nests deeper than" in answer.get_json()["error"]["message"]
    )
    bundle = b'{"type": "bundle", "objects": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    bulk = api.call(
        "POST",
        "/referrals/bulk?platform=PLATFORM-X&kind=referral",
        "de",
        data=bundle,
        content_type="application/json",
    )
    assert bulk.status_code == 400 and "nests deeper than" in bulk.get_json()["error"]["message"]
    assert api.stored() == before
