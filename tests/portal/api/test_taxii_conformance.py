"""TAXII 2.1 conformance: the MUST clauses of the OASIS TAXII 2.1 specification (Committee
Specification 01), one test each, named by its section; and pushing what stock tools send
(a MISP bundle made by misp-stix, with no Ischia property) to a sharing group's collection."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Bulletin, BulletinRecipient, Organisation, User
from portal.services.organisations import sharing_groups
from portal.services.principals import Actor, Reader
from tests.portal.api.conftest import bearer

TAXII = "application/taxii+json;version=2.1"
MISP_BUNDLE = Path(__file__).parents[2] / "data" / "stix" / "misp-generated-recruitment.json"


def _entities(handle: str) -> dict:
    return {
        "entities": [
            {"ref": "p1", "type": "person", "value": f"Person {handle}", "role": "recruiter"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": f"@{handle}"},
        ],
        "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
    }


@pytest.fixture
def world(client, desk, token):
    """Two IT bulletins to FR, FR's analyst's headers and the IT collection's objects URL."""
    for i in range(2):
        desk.post(title=f"Bulletin {i}", recipients=("FR-MININT",), **_entities(f"c{i}"))
    headers = {**bearer(token("fr.analyst")), "Accept": TAXII}
    found = client.get("/taxii2/api/collections/", headers=headers).json["collections"]
    it = next(c for c in found if c["title"] == "Bulletins from IT-MININT")
    return headers, f"/taxii2/api/collections/{it['id']}/objects/"


def _report(client, world) -> dict:
    headers, url = world
    page = client.get(url, query_string={"match[type]": "report"}, headers=headers).json
    return page["objects"][0]


def test_1_6_9_collection_ids_are_uuidv4(client, world):
    headers, _ = world
    for collection in client.get("/taxii2/api/collections/", headers=headers).json["collections"]:
        assert uuid.UUID(collection["id"]).version == 4


def test_3_2_date_added_headers_on_get_objects_manifest_object_and_versions(client, world):
    headers, url = world
    report = _report(client, world)
    manifest_url = url.replace("/objects/", "/manifest/")
    for path in (url, manifest_url, f"{url}{report['id']}/", f"{url}{report['id']}/versions/"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        first = response.headers["X-TAXII-Date-Added-First"]
        last = response.headers["X-TAXII-Date-Added-Last"]
        assert first <= last and first.endswith("Z"), path


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"added_after": "yesterday"},
        {"next": "not-a-cursor"},
    ],
)
def test_3_4_1_malformed_url_parameters_are_400(client, world, query):
    headers, url = world
    response = client.get(url, query_string=query, headers=headers)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == TAXII
    assert response.json["http_status"] == "400" and response.json["title"]


def test_3_4_1_match_spec_version(client, world):
    headers, url = world
    everything = client.get(url, headers=headers).json["objects"]
    same = client.get(url, query_string={"match[spec_version]": "2.1"}, headers=headers).json
    assert same["objects"] == everything
    older = client.get(url, query_string={"match[spec_version]": "2.0"}, headers=headers).json
    assert "objects" not in older


def test_3_4_1_match_version_first_last_all_and_a_timestamp(client, world):
    headers, url = world
    report = _report(client, world)
    one = f"{url}{report['id']}/"
    version = report["modified"]
    for value in ("last", "first", "all", version, f"first,{version}"):
        got = client.get(one, query_string={"match[version]": value}, headers=headers).json
        assert [o["modified"] for o in got["objects"]] == [version], value
    missing = client.get(
        one, query_string={"match[version]": "2000-01-01T00:00:00.000Z"}, headers=headers
    )
    assert missing.status_code == 404 and missing.headers["Content-Type"] == TAXII


def test_3_6_1_errors_404_and_405_are_taxii_error_messages(client, world):
    headers, url = world
    for response in (
        client.get("/taxii2/api/no-such-resource/", headers=headers),
        client.delete("/taxii2/api/collections/", headers=headers),
        client.get(f"{url}indicator--{uuid.uuid4()}/", headers=headers),
    ):
        assert response.status_code in (404, 405)
        assert response.headers["Content-Type"] == TAXII
        assert response.json["http_status"] == str(response.status_code)


def test_3_7_envelopes_leave_out_empty_lists(client, world):
    headers, url = world
    for path in (url, url.replace("/objects/", "/manifest/")):
        later = client.get(
            path, query_string={"added_after": "2999-01-01T00:00:00Z"}, headers=headers
        )
        assert later.json == {"more": False}


def test_4_1_api_root_advertises_the_limit_it_applies_and_5_4_refuses_larger(client, world, token):
    headers, _ = world
    root = client.get("/taxii2/api/", headers=headers).json
    assert root["max_content_length"] == 10 * 2**20
    writer = {**bearer(token("fr.officer", write=True)), "Accept": TAXII}
    outbox = next(
        c
        for c in client.get("/taxii2/api/collections/", headers=writer).json["collections"]
        if c["can_write"]
    )
    big = b'{"objects": [' + b'"x",' * (11 * 2**20 // 4) + b'"x"]}'
    response = client.post(
        f"/taxii2/api/collections/{outbox['id']}/objects/",
        data=big,
        headers={**writer, "Content-Type": TAXII},
    )
    assert response.status_code == 413 and response.headers["Content-Type"] == TAXII


@pytest.fixture
def group_collection(app, client, desk, people, token):
    """A sharing group of FR's (DE and UK), and its collection as FR's officer sees it."""
    admin_id = people.user("admin@fr.example", "org_admin", org="FR-MININT")
    with app.app_context():
        admin = Reader.of(db.session.get_one(User, admin_id))
        sharing_groups.create_group(admin, Actor(admin.user_id), "Partners", ["DE-BMI", "UK-HO"])
    writer = {**bearer(token("fr.officer", write=True)), "Accept": TAXII}
    found = client.get("/taxii2/api/collections/", headers=writer).json["collections"]
    collection = next(c for c in found if c["title"] == "Send to sharing group Partners")
    return writer, collection


def test_5_a_collection_that_cannot_be_read_answers_403(client, group_collection):
    writer, collection = group_collection
    assert (collection["can_read"], collection["can_write"]) == (False, True)
    response = client.get(f"/taxii2/api/collections/{collection['id']}/objects/", headers=writer)
    assert response.status_code == 403 and response.headers["Content-Type"] == TAXII


def test_5_5_a_stock_misp_bundle_posts_without_ischia_properties_once(
    app, client, group_collection
):
    writer, collection = group_collection
    objects = json.loads(MISP_BUNDLE.read_text())["objects"]
    assert not any(k.startswith("x_ischia") for o in objects for k in o)
    url = f"/taxii2/api/collections/{collection['id']}/objects/"
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Bulletin))
    first = client.post(url, json={"objects": objects}, headers={**writer, "Content-Type": TAXII})
    assert first.status_code == 202 and first.headers["Content-Type"] == TAXII
    status = first.json
    # 4.3.1: successes are the objects the bulletin holds; the rest are failures with a reason.
    assert status["total_count"] == len(objects)
    assert status["success_count"] + status["failure_count"] == len(objects)
    assert status["success_count"] == len(status["successes"]) > 0
    failed = {f["id"]: f["message"] for f in status.get("failures", [])}
    assert all(
        i.startswith("indicator--") or "no Ischia equivalent" in m for i, m in failed.items()
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == before + 1
        posted = db.session.scalars(select(Bulletin).order_by(Bulletin.created_at.desc())).first()
        assert posted.marking == "TLP:AMBER"  # the bundle's own TLP marking
        codes = db.session.scalars(
            select(Organisation.code)
            .join(BulletinRecipient, BulletinRecipient.org_id == Organisation.id)
            .where(BulletinRecipient.bulletin_id == posted.id)
        )
        assert sorted(codes) == ["DE-BMI", "FR-MININT", "UK-HO"]  # and the sender's own
    again = client.post(url, json={"objects": objects}, headers={**writer, "Content-Type": TAXII})
    assert again.status_code == 202 and again.json["id"] == status["id"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == before + 1
    fetched = client.get(f"/taxii2/api/status/{status['id']}/", headers=writer).json
    assert fetched["success_count"] == status["success_count"]


def test_5_5_a_newer_version_of_a_posted_report_amends_its_bulletin(app, client, group_collection):
    writer, collection = group_collection
    objects = json.loads(MISP_BUNDLE.read_text())["objects"]
    url = f"/taxii2/api/collections/{collection['id']}/objects/"

    def post(modified: str, name: str, **extra: object) -> dict:
        changed = [
            {**o, "modified": modified, "name": name, **extra} if o["type"] == "grouping" else o
            for o in objects
        ]
        answer = client.post(
            url, json={"objects": changed}, headers={**writer, "Content-Type": TAXII}
        )
        assert answer.status_code == 202
        return answer.json

    def rows() -> list[tuple[int, str, str]]:
        with app.app_context():
            return [
                (b.version, b.state, b.series_id)
                for b in db.session.scalars(
                    select(Bulletin)
                    .where(Bulletin.stix_report_id.is_not(None))
                    .order_by(Bulletin.version)
                )
            ]

    first = post("2026-12-03T16:54:43.946Z", "First version")
    ((_, _, series),) = rows()
    amended = post("2026-12-04T09:00:00.000Z", "Second version")
    assert amended["success_count"] > 0 and amended["id"] != first["id"]
    assert rows() == [(1, "superseded", series), (2, "active", series)]
    # The same version again (whatever else changed), or an older one: nothing sealed.
    for modified, said, extra in [
        ("2026-12-04T09:00:00Z", "already", {}),
        ("2026-12-01T00:00:00.000Z", "newer version", {}),
        ("2026-12-05T00:00:00.000Z", "retract it in Ischia", {"revoked": True}),
    ]:
        refused = post(modified, "Another name", **extra)
        assert refused["success_count"] == 0
        assert all(said in f["message"] for f in refused["failures"]), refused["failures"]
        assert rows() == [(1, "superseded", series), (2, "active", series)]
