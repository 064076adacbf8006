"""Briefings through HTTP: the PDF's marks on every page, its signature, access, bad input, and
the audit trail."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.briefings.__main__ import main as verify_main
from portal.extensions import db
from portal.models import AuditRecord, BriefingCopy
from portal.services.accounts import directory as accounts
from tests.conftest import World, Worlds
from tests.portal.briefings.pdf_text import inked_share, page_count, page_texts
from tests.portal.bulletins.conftest import Desk
from tests.portal.bulletins.sessions import Clients
from tests.portal.conftest import People

ARABIC = "أبو محمد الشامي"
H3 = "Not for use in court."


def _make(clients, who: str, **fields):
    data = {"csrf_token": clients.token(who), "title": "Weekly brief", "source": "selection"}
    data.update(fields)
    return clients[who].post("/briefings/", data=data)


def _copies(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(BriefingCopy))


@pytest.fixture(scope="module")
def briefing_world(worlds: Worlds, desk_world: World[dict[str, int]]):
    """A briefing of three bulletins (one TLP:RED) made by the FR analyst through the page,
    rendered once per backend: the database it leaves, the response and the bulletins' ids."""

    def make(app: Flask):
        people = People(app)
        desk = Desk(app, people, dict(desk_world.value))
        ids = [
            desk.post(title=f"{ARABIC} recruits in Lyon", marking="TLP:GREEN"),
            desk.post(
                title="Facilitator moved funds",
                category="financing",
                marking="TLP:RED",
                grading={"source": "C", "information": "3", "handling": "H3", "conditions": H3},
                tags=["modus-operandi:crowdfunding"],
            ),
            desk.post(who="de.officer", recipients=("FR-MININT",), title="Channel relaunched"),
        ]
        response = _make(
            Clients(app, people),
            "fr.analyst",
            bulletin_ids=ids,
            cover_note="For the Tuesday meeting.",
        )
        assert response.status_code == 200, response.text
        return response, ids

    return worlds.build("briefing", make, on=desk_world)


@pytest.fixture
def briefing(app, briefing_world, tmp_path):
    """The briefing world loaded into this test's database, and its PDF saved to a file."""
    briefing_world.load(app)
    response, ids = briefing_world.value
    path = tmp_path / "briefing.pdf"
    path.write_bytes(response.data)
    return response, path, ids


def test_download_is_an_attachment_never_cached(briefing):
    response, _, _ = briefing
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-")


def test_every_page_has_marking_watermark_and_page_x_of_y(app, briefing):
    _, path, _ = briefing
    with app.app_context():
        copy = db.session.scalars(select(BriefingCopy)).one()
    texts = page_texts(path)
    pages = page_count(path)
    assert pages == len(texts) >= 6  # cover, contents, summary, graph, 3 bulletins, appendix
    assert copy.page_count == pages
    for number, text in enumerate(texts, start=1):
        # The highest marking of the three bulletins, in the header and the footer.
        assert text.count("TLP:RED") >= 2, f"page {number}"
        assert f"Page {number} of {pages}" in text
        assert f"Copy {copy.id}" in text and "analyst@fr.example" in text, f"page {number}"
        assert "FR-MININT" in text
    assert ARABIC in "".join(texts)
    assert "For the Tuesday meeting." in texts[0]


def _in_order(phrase: str, text: str) -> bool:
    """Every character of ``phrase`` (spaces aside) in ``text`` in its order: the watermark
    crosses the cover and its letters fall between the text's, never in place of them."""
    found = iter("".join(text.split()))
    return all(char in found for char in "".join(phrase.split()))


def test_gradings_tags_and_handling_restrictions_are_printed(briefing):
    _, path, _ = briefing
    texts = page_texts(path)
    flat = " ".join(" ".join(texts).split())
    # The cover names what restricts passing on, with the provider's words (the watermark
    # crosses the cover's text, so only unbroken parts of it are looked for).
    cover = texts[0]
    for phrase in ("Handling 1 bulletin restricts passing on", "Facilitator moved funds", H3):
        assert _in_order(phrase, cover), phrase
    # Each bulletin: its compact code, the meanings and its tags.
    assert "C3 · H3" in flat and "B2 · H0" in flat
    assert "not usually reliable" in flat and "modus-operandi:crowdfunding" in flat
    assert f"stated by the provider: {H3}" in flat


def test_contents_list_page_numbers_that_exist(briefing):
    _, path, _ = briefing
    texts = page_texts(path)
    contents = texts[1]
    assert "Contents" in contents
    for line in contents.splitlines():
        if "Facilitator moved funds" in line:
            target = int(line.rstrip().rsplit(" ", 1)[1].strip("."))
            assert "Facilitator moved funds" in texts[target - 1]
            break
    else:
        pytest.fail("the contents do not list the bulletin")


def test_pages_are_not_blank(briefing, tmp_path):
    _, path, _ = briefing
    shares = inked_share(path, tmp_path)
    assert len(shares) == page_count(path)
    assert all(share > 0.005 for share in shares), shares


def test_signature_verifies_offline_and_any_edit_fails(briefing, clients, tmp_path, capsys):
    _, path, _ = briefing
    keys = tmp_path / "keys.json"
    keys_response = clients["fr.analyst"].get("/bulletins/keys.json")
    assert keys_response.status_code == 200
    keys.write_bytes(keys_response.data)
    assert verify_main(["verify", str(path), "--keys", str(keys)]) == 0
    report = capsys.readouterr().out
    assert "VERIFIED" in report and "analyst@fr.example" in report and "FR-MININT" in report

    data = path.read_bytes()
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(data[:200] + bytes([data[200] ^ 1]) + data[201:])
    assert verify_main(["verify", str(edited), "--keys", str(keys)]) == 1
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(data + b"\n% an incremental update\n")
    assert verify_main(["verify", str(appended), "--keys", str(keys)]) == 1
    assert capsys.readouterr().out.count("NOT VERIFIED") == 2


def test_verification_page_says_for_whom(app, briefing, clients):
    _, path, _ = briefing
    client = clients["de.analyst"]

    def upload(data: bytes):
        return client.post(
            "/briefings/verify",
            data={"csrf_token": clients.token("de.analyst"), "pdf": (io.BytesIO(data), "b.pdf")},
            content_type="multipart/form-data",
        )

    page = upload(path.read_bytes())
    assert page.status_code == 200
    assert "unaltered briefing" in page.text and "analyst@fr.example" in page.text
    forged_pdf = path.read_bytes().replace(b"Weekly brief", b"Weekly BRIEF")
    forged = upload(forged_pdf)
    assert forged.status_code == 422 and "Not verified" in forged.text
    assert upload(b"%PDF-1.7 not really").status_code == 422
    # Every check is on record: who, which file, and what the portal answered.
    with app.app_context():
        checks = [
            r
            for r in db.session.scalars(select(AuditRecord).order_by(AuditRecord.seq))
            if r.event == "briefing.verified"
        ]
        copy = db.session.scalars(select(BriefingCopy)).one()
    assert [r.outcome for r in checks] == ["success", "failure", "failure"]
    assert checks[0].details["copy"] == copy.id
    assert checks[0].details["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert checks[1].details["file_sha256"] == hashlib.sha256(forged_pdf).hexdigest()
    assert "copy" not in checks[1].details and checks[1].details["problem"]
    assert {r.actor_email for r in checks} == {"analyst@de.example"}
    # In the checking user's organisation's trail, not in the one that made the briefing.
    with app.app_context():
        de = accounts.organisation_by_code("DE-BMI").id
    assert {r.subject_org_id for r in checks} == {de}


def test_verification_is_rate_limited(app, briefing, clients):
    app.config["BRIEFING_VERIFY_LIMIT"] = "2 per minute"
    client = clients["de.analyst"]
    answers = [
        client.post(
            "/briefings/verify",
            data={"csrf_token": clients.token("de.analyst"), "pdf": (io.BytesIO(b"x"), "b.pdf")},
            content_type="multipart/form-data",
        ).status_code
        for _ in range(3)
    ]
    assert answers == [422, 422, 429]
    assert client.get("/briefings/verify").status_code == 200  # the page itself stays open
    other = clients["fr.analyst"]  # the limit is per user, not per address
    answer = other.post(
        "/briefings/verify",
        data={"csrf_token": clients.token("fr.analyst"), "pdf": (io.BytesIO(b"x"), "b.pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422


def test_request_render_and_download_are_audited(app, briefing):
    _, _, ids = briefing
    with app.app_context():
        events = {r.event: r for r in db.session.scalars(select(AuditRecord))}
        copy = db.session.scalars(select(BriefingCopy)).one()
    assert {"briefing.requested", "briefing.rendered", "briefing.downloaded"} <= set(events)
    requested = events["briefing.requested"].details
    assert requested["copy"] == copy.id and sorted(requested["bulletins"]) == sorted(ids)
    assert events["briefing.downloaded"].details["pdf_sha256"] == copy.pdf_sha256
    assert copy.state == "delivered" and copy.marking == "TLP:RED"


def test_a_bulletin_the_organisation_cannot_read_is_404_and_reveals_nothing(app, desk, clients):
    readable = desk.post(title="Shared with FR")
    hidden = desk.post(title="Secret Italian lead", recipients=("DE-BMI",))
    before = _copies(app)
    response = _make(clients, "fr.analyst", bulletin_ids=[readable, hidden])
    assert response.status_code == 404
    assert "Secret Italian lead" not in response.text and hidden not in response.text
    missing = _make(clients, "fr.analyst", bulletin_ids=["0" * 32])
    # The same page either way, but for the form token, which is signed with the second it
    # was made in.
    assert missing.status_code == 404
    assert _without_token(missing.text) == _without_token(response.text)
    assert _copies(app) == before


def _without_token(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page)


def test_liaison_and_platform_users_cannot_make_briefings(desk, clients):
    bid = desk.post()
    for who in ("fr.officer", "platform"):
        data = {"csrf_token": clients.token(who), "title": "x", "bulletin_ids": [bid]}
        response = clients[who].post("/briefings/", data=data)
        assert response.status_code in (403, 404)
        assert clients[who].get("/briefings/").status_code in (403, 404)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"title": "x" * 201}, "200"),
        ({"source": "everything"}, "Not a valid choice"),
        ({"bulletin_ids": []}, "Select at least one bulletin."),
        ({"source": "entity", "entity": ""}, "Name the account"),
        ({"since": "2026-13-45"}, "Not a valid date value"),
        ({"source": "filter", "since": "2026-05-01", "until": "2026-04-01"}, "before the start"),
        ({"bulletin_ids": ["not-an-id"]}, None),
    ],
)
def test_bad_input_gets_a_clear_error_and_writes_nothing(app, desk, clients, fields, message):
    bid = desk.post()
    before = _copies(app)
    response = _make(clients, "fr.analyst", **({"bulletin_ids": [bid]} | fields))
    if message is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 400, response.text
        assert message in response.text
    assert _copies(app) == before


def test_briefing_by_entity_takes_every_bulletin_naming_it(desk, clients, tmp_path):
    desk.post(title="First mention")
    desk.post(title="Second mention", recipients=("FR-MININT",))
    desk.post(title="Not about it", recipients=("FR-MININT",), entities=[], relations=[])
    response = _make(clients, "fr.analyst", source="entity", entity="t.me/example_media")
    assert response.status_code == 200, response.text
    path = tmp_path / "entity.pdf"
    path.write_bytes(response.data)
    text = "".join(page_texts(path))
    assert "First mention" in text and "Second mention" in text
    assert "Not about it" not in text


def test_compose_page_lists_readable_bulletins_with_titles(desk, clients):
    bid = desk.post(title="Listed for the analyst")
    desk.post(title="Not for France", recipients=("DE-BMI",))
    page = clients["fr.analyst"].get(f"/briefings/?bulletin={bid}")
    assert page.status_code == 200
    assert "Listed for the analyst" in page.text and "Not for France" not in page.text
    assert f'value="{bid}" id="b-{bid}" checked' in page.text


def test_copies_are_shown_to_their_own_user_only(app, briefing, clients):
    with app.app_context():
        copy_id = db.session.scalars(select(BriefingCopy.id)).one()
    assert clients["fr.analyst"].get(f"/briefings/{copy_id}").status_code == 200
    assert clients["de.analyst"].get(f"/briefings/{copy_id}").status_code == 404
    assert clients["de.analyst"].get(f"/briefings/{copy_id}/download").status_code == 404


def test_manifest_lists_what_was_briefed(app, briefing):
    _, path, ids = briefing
    with app.app_context():
        copy = db.session.scalars(select(BriefingCopy)).one()
    assert copy.bulletin_ids and sorted(copy.bulletin_ids) == sorted(ids)
    assert copy.content_sha256 in "".join(page_texts(path)).replace("\n", "").replace(" ", "")
    json.dumps(copy.bulletin_ids)  # stored as JSON on both databases


def test_a_filter_value_not_on_offer_is_a_400_naming_it(desk, clients):
    """An unknown box, category or marking in the compose page's address (as a hand-edited
    link sends it) is the page again with the field's error, not a 500."""
    analyst = clients["fr.analyst"]
    for field in ("box", "category", "marking"):
        response = analyst.get(f"/briefings/?{field}='")
        assert response.status_code == 400, field
        assert "Choose one of the values offered." in response.text
    assert analyst.get("/briefings/?box=received&category=recruitment").status_code == 200


def test_the_page_confirms_the_download_and_says_what_it_contains(app, briefing, clients):
    response, _, _ = briefing
    with app.app_context():
        copy = db.session.scalars(select(BriefingCopy)).one()
    # The PDF's response names the copy for the page's script, which then shows the copy's page.
    cookie = response.headers["Set-Cookie"]
    assert f"ischia-briefing-made={copy.id}" in cookie and "Path=/briefings/" in cookie
    assert "SameSite=Strict" in cookie and "Max-Age=120" in cookie
    page = clients["fr.analyst"].get(f"/briefings/{copy.id}?made=1")
    assert page.status_code == 200
    assert "Your briefing was downloaded: 3 bulletins" in page.text
    assert f"{copy.page_count} pages, marked TLP:RED" in page.text
    assert "What the briefing contains" in page.text and "executive summary in words" in page.text
    compose = clients["fr.analyst"].get("/briefings/")
    assert "What the briefing contains" in compose.text and "js/briefing.js" in compose.text
    assert 'id="briefing-progress"' in compose.text
