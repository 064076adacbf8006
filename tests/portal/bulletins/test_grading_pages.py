"""Grading and tags on the pages: the compose form shows every code's meaning, the amend form
keeps the current ones, a STIX import fills them, the inbox shows "B2 · H2" and filters by tag,
the read page gives code and meaning (or "not graded"), and H2/H3 are visible wherever the
bulletin can be passed on (read page, release page, briefing page)."""

from __future__ import annotations

import io
import json

import pytest
from markupsafe import escape

from portal.services.bulletins import sealing
from portal.services.principals import Actor
from portal.services.stix import export
from tests.portal.bulletins.conftest import document
from tests.portal.bulletins.form_state import FormState
from tests.portal.bulletins.sessions import Clients

GROUP = 'group:jihadist="islamic-state"'
H3 = {"source": "C", "information": "3", "handling": "H3", "conditions": "Never to CY-POL."}
NOTICE = "Before passing it on"


@pytest.fixture
def clients(app, people, desk):
    return Clients(app, people)


def test_the_compose_form_shows_every_meaning_and_the_taxonomies(clients):
    html = clients["it.officer"].get("/bulletins/new").text
    for words in (
        "completely reliable",
        "cannot be judged: the reliability of the source cannot be assessed",
        "known personally to the source but not to the officer passing it on",
        "not to be disseminated without the permission of the provider",
    ):
        assert words in html
    assert 'name="grading_source"' in html and 'name="grading_conditions"' in html
    assert str(escape(GROUP)) in html and "Through the Western Balkans" in html
    # Required, so nothing is chosen for the officer.
    assert FormState(html).first("grading_source") is None


def test_the_read_page_gives_codes_meanings_tags_and_the_passing_on_notice(clients, desk):
    bulletin_id = desk.post(grading=H3, tags=[GROUP])
    html = clients["fr.analyst"].get(f"/bulletins/{bulletin_id}").text
    assert "C3</strong>" in html and "not usually reliable" in html
    assert (
        "H3</strong>" in html and "Handling: H3, other restrictions, stated by the provider" in html
    )
    assert "Never to CY-POL." in html and NOTICE in html
    assert str(escape(GROUP)) in html and "/bulletins/?tag=group" in html


def test_an_ungraded_bulletin_reads_not_graded_everywhere(app, clients, desk):
    with app.app_context():
        reader = desk.reader("it.officer")
        draft = sealing.Draft(
            document(grading=None), "recruitment", "TLP:AMBER", ["FR-MININT"], require_grading=False
        )
        old = sealing.post_bulletin(reader, Actor(reader.user_id), draft).id
    fr = clients["fr.analyst"]
    page = fr.get(f"/bulletins/{old}").text
    assert page.count("not graded") == 1 and NOTICE not in page
    assert "not graded" in fr.get("/bulletins/").text


def test_the_inbox_shows_the_code_and_filters_by_tag(clients, desk):
    tagged = desk.post(
        title="Tagged one",
        grading={"source": "B", "information": "2", "handling": "H2"},
        tags=[GROUP],
    )
    desk.post(title="Untagged one")
    desk.post(title="Tagged for DE only", recipients=("DE-BMI",), tags=[GROUP])
    fr = clients["fr.analyst"]
    inbox = fr.get("/bulletins/").text
    assert "B2 · H2" in inbox and "B2 · H0" in inbox
    filtered = fr.get("/bulletins/", query_string={"tag": GROUP})
    assert filtered.status_code == 200
    assert "Tagged one" in filtered.text and "Untagged one" not in filtered.text
    assert "Tagged for DE only" not in filtered.text and tagged in filtered.text
    refused = fr.get("/bulletins/", query_string={"tag": "nation:fr"})
    assert refused.status_code == 400
    assert str(escape("'nation:fr': unknown namespace 'nation'")) in refused.text


def test_release_and_briefing_pages_show_h2_and_h3(clients, desk):
    h2 = desk.post(title="H2 one", grading={"source": "A", "information": "1", "handling": "H2"})
    h3 = desk.post(title="H3 one", grading=H3)
    release = clients["it.officer"].get(f"/bulletins/{h2}/release").text
    assert "H2: not to be disseminated without the permission of the provider." in release
    assert "Never to CY-POL." in clients["it.officer"].get(f"/bulletins/{h3}/release").text
    briefing = clients["fr.analyst"].get("/briefings/").text
    assert "A1 · H2" in briefing and "C3 · H3" in briefing
    assert "H2: not to be disseminated without the permission of the provider." in briefing
    assert "H3: other restrictions, stated by the provider: read them on the bulletin." in briefing


def test_the_amend_form_keeps_the_grading_and_tags(clients, desk):
    first = desk.post(grading=H3, tags=[GROUP, "travel-route:balkan"])
    state = FormState(clients["it.officer"].get(f"/bulletins/{first}/amend").text)
    assert [state.first(f"grading_{k}") for k in ("source", "information", "handling")] == [
        "C",
        "3",
        "H3",
    ]
    assert state.first("grading_conditions") == "Never to CY-POL."
    assert state.first("tags") == f"{GROUP}\ntravel-route:balkan"


def test_a_stix_import_fills_the_grading_and_tags(app, clients, desk):
    source = desk.post(grading=H3, tags=[GROUP])
    with app.app_context():
        bundle = export.bundle(desk.reader("it.officer"), [source])
    client = clients["it.officer"]
    data = {
        "csrf_token": clients.token("it.officer"),
        "bundle": (io.BytesIO(json.dumps(bundle).encode()), "bundle.json"),
    }
    page = client.post("/bulletins/new/import", data=data, content_type="multipart/form-data")
    assert page.status_code == 200, page.text
    state = FormState(page.text)
    assert [state.first(f"grading_{k}") for k in ("source", "information", "handling")] == [
        "C",
        "3",
        "H3",
    ]
    assert state.first("grading_conditions") == "Never to CY-POL." and state.first("tags") == GROUP
