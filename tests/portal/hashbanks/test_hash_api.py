"""The hash API: match by PDQ, MD5, SHA-256 or image upload; a bank's incremental download;
bad input named by field; banks the token's organisation may not read are 404."""

from __future__ import annotations

import io

from portal.services.hashbanks import banks
from portal.services.hashbanks.banks import EntryDraft
from portal.services.hashbanks.hashing import hash_image
from tests.portal.hashbanks.conftest import picture
from tests.portal.service_checks import actor_of


def seed(app, bw):
    with app.app_context():
        reader = bw.reader("de")
        hashed = hash_image(picture(seed=11))
        return hashed, banks.add_entries(
            reader,
            actor_of(reader),
            bw.de_bank,
            [
                EntryDraft("pdq", hashed.pdq, hashed.quality, "planted", item_id=bw.item_id),
                EntryDraft("md5", hashed.md5, None, "planted file"),
            ],
        )


def test_match_by_pdq_and_by_image(app, client, bw, token):
    hashed, ids = seed(app, bw)
    answer = client.post("/api/v1/hashes/match", json={"pdq": hashed.pdq}, headers=token("x"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["distance"] == 31
    (match,) = body["results"][0]["matches"]
    assert (match["id"], match["distance"], match["case"], match["item"]) == (
        ids[0],
        0,
        bw.case_id,
        bw.item_id,
    )
    assert match["bank_name"] == "DE images" and match["added_by"] == "DE-BMI"
    upload = {"image": (io.BytesIO(picture(seed=11, fmt="JPEG", quality=70)), "x.jpg")}
    answer = client.post(
        "/api/v1/hashes/match", data=upload, headers=token("fr"), content_type="multipart/form-data"
    )
    assert answer.status_code == 200
    pdq, md5, sha = answer.get_json()["results"]
    assert [m["label"] for m in pdq["matches"]] == ["planted"]
    assert pdq["matches"][0]["case"] is None  # FR reads the bank, but the case is not FR's
    assert pdq["quality"] > 50 and not pdq["low_quality"]
    assert md5["matches"] == [] and sha["matches"] == []
    # PLATFORM-Y reads no bank with it: nothing matches.
    answer = client.post("/api/v1/hashes/match", json={"pdq": [hashed.pdq]}, headers=token("y"))
    assert answer.get_json()["results"][0]["matches"] == []


def test_bad_input_is_a_400_naming_the_field(app, client, bw, token):
    headers = token("x")
    for body, field in (
        ({"pdq": "abc"}, "pdq"),
        ({"pdq": "x" * 64}, "pdq"),
        ({"pdq": 5}, "pdq"),
        ({"md5": "0" * 64}, "md5"),
        ({"sha256": ["0" * 63]}, "sha256"),
        ({}, "pdq"),
    ):
        answer = client.post("/api/v1/hashes/match", json=body, headers=headers)
        assert answer.status_code == 400, body
        assert answer.get_json()["error"]["field"] == field
    for upload in (
        {"image": (io.BytesIO(b"just text"), "a.png")},
        {"other": (io.BytesIO(picture()), "a.png")},
    ):
        answer = client.post(
            "/api/v1/hashes/match",
            data=upload,
            headers=headers,
            content_type="multipart/form-data",
        )
        assert answer.status_code == 400
        assert answer.get_json()["error"]["field"] == "image"


def test_incremental_download_through_the_api(app, client, bw, token):
    _, ids = seed(app, bw)
    headers = token("x")
    listed = client.get("/api/v1/hash-banks", headers=headers).get_json()["banks"]
    assert [(b["name"], b["entries"]) for b in listed] == [("DE images", 2), ("X own", 0)]
    page = client.get(f"/api/v1/hash-banks/{bw.de_bank}/changes?limit=1", headers=headers)
    body = page.get_json()
    assert [c["id"] for c in body["changes"]] == ids[:1] and body["more"]
    rest = client.get(
        f"/api/v1/hash-banks/{bw.de_bank}/changes",
        query_string={"since": body["next_cursor"]},
        headers=headers,
    ).get_json()
    assert [(c["id"], c["change"]) for c in rest["changes"]] == [(ids[1], "added")]
    with app.app_context():
        reader = bw.reader("de")
        banks.remove_entry(reader, actor_of(reader), bw.de_bank, ids[0])
    later = client.get(
        f"/api/v1/hash-banks/{bw.de_bank}/changes",
        query_string={"since": rest["next_cursor"]},
        headers=headers,
    ).get_json()
    assert [(c["id"], c["change"]) for c in later["changes"]] == [(ids[0], "removed")]
    assert later["changes"][0]["removed_at"] is not None
    for query, field in (({"since": "nonsense"}, "since"), ({"limit": "-1"}, "limit")):
        answer = client.get(
            f"/api/v1/hash-banks/{bw.de_bank}/changes", query_string=query, headers=headers
        )
        assert answer.status_code == 400 and answer.get_json()["error"]["field"] == field
    for bank in (bw.y_bank, 99999, "abc"):
        answer = client.get(f"/api/v1/hash-banks/{bank}/changes", headers=headers)
        assert answer.status_code == 404
    assert client.get(f"/api/v1/hash-banks/{bw.de_bank}/changes").status_code == 401


def test_the_openapi_document_describes_the_hash_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/hashes/match"]
    assert "get" in paths["/api/v1/hash-banks/{bank_id}/changes"]
