"""Composing bulletins through the real form, with CSRF, on both backends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal.extensions import db
from portal.models import BulletinRecipient, Organisation, User, utcnow
from tests.portal.bulletins.compose_posts import (
    ENTITIES,
    counts,
    fields,
    latest,
    no_inline_code,
    page_token,
    post,
    read_as,
)
from tests.portal.bulletins.conftest import CANARY, PNG
from tests.portal.bulletins.form_state import FormState, structure
from tests.portal.bulletins.xss_corpus import XSS_CORPUS
from tests.portal.conftest import csrf_token


def test_officer_composes_with_entities_relations_and_attachment(app, client, auth, desk):
    auth.sign_in("officer@it.example")
    response = post(client, fields(page_token(client)), files=[("photo.png", PNG)])
    assert response.status_code == 302, response.text
    bulletin = latest(app)
    with app.app_context():
        recipients = db.session.execute(
            select(Organisation.code, BulletinRecipient.via)
            .join(BulletinRecipient, BulletinRecipient.org_id == Organisation.id)
            .where(BulletinRecipient.bulletin_id == bulletin.id)
            .order_by(Organisation.code)
        ).all()
    assert [tuple(r) for r in recipients] == [
        ("DE-BMI", "sealed"),
        ("FR-MININT", "sealed"),
        ("IT-MININT", "sender"),
    ]
    assert bulletin.marking == "TLP:AMBER" and bulletin.category == "recruitment"
    assert bulletin.attachment_count == 1 and bulletin.entity_count == 4

    result = read_as(app, desk, "fr.analyst", bulletin.id)
    assert result.problem is None and result.seal.sender_org == "IT-MININT"
    content = result.content
    assert content.title == f"Recruiter moved his channel {CANARY}"
    assert [(e.ref, e.type.value) for e in content.entities] == [
        ("e1", "person"),
        ("e2", "account"),
        ("e4", "phone"),
        ("e5", "travel"),
    ]
    person, account, phone, travel = content.entities
    assert person.aliases == ("Abu Ex", "A. Example") and person.nationality == "SY"
    assert person.transliterations == ("أبو مثال",) and person.role.value == "recruiter"
    assert str(person.date_of_birth) == "1990-02-03"
    assert person.platform is None  # fields of other types are never sent
    assert account.platform.value == "telegram" and account.value == "@example_media"
    assert phone.value == "+33612345678"
    assert travel.traveller == "e1" and travel.via == ("Istanbul", "Gaziantep")
    assert travel.destination == "Idlib" and str(travel.on) == "2024-03-01"
    assert content.grading.code == "B2 · H2"
    assert content.tags == ('group:jihadist="islamic-state"', "platform:messaging")
    assert [(r.source, r.type.value, r.target) for r in content.relations] == [
        ("e1", "uses_account", "e2"),
        ("e1", "contacted", "e4"),
    ]
    assert content.attachments[0].content_type == "image/png"
    assert str(bulletin.expires_at.date()) == fields("")["retain_until"]


def test_the_page_offers_ministries_and_observers_but_never_platforms_or_itself(
    app, client, auth, desk, people
):
    people.org("EU-COM", "observer")
    auth.sign_in("officer@it.example")
    page = client.get("/bulletins/new")
    assert page.status_code == 200
    html = page.text
    for code in ("FR-MININT", "DE-BMI", "UK-HO", "EU-COM"):
        assert f'value="{code}"' in html
    assert 'value="IT-MININT"' not in html and "PLATFORM-X" not in html
    state = FormState(html)
    assert state.first("marking") == "TLP:AMBER"
    assert state.first("retain_until") == (utcnow() + timedelta(days=730)).date().isoformat()
    assert state.first("entities-0-ref") == "e1"
    assert "js/compose.js" in html
    no_inline_code(html)


def test_the_platforms_are_written_as_everywhere_else(client, auth, desk):
    auth.sign_in("officer@it.example")
    html = client.get("/bulletins/new").text
    for name in ("YouTube", "TikTok", "WhatsApp", "VK", "Telegram"):
        assert f'">{name}</option>' in html, name
    for wrong in ("Youtube", "Tiktok", "Whatsapp", "Vk<"):
        assert wrong not in html


GRADING_FIELDS = ("grading_source", "grading_information", "grading_handling")


@pytest.mark.parametrize(
    ("change", "files", "anchor", "message"),
    [
        ({"title": ""}, (), "title", "This field is required."),
        ({"title": "x" * 201}, (), "title", "At most 200 characters."),
        ({"category": "gossip"}, (), "category", "Choose a category."),
        ({"category": None}, (), "category", "Choose a category."),
        ({"marking": "TLP:WHITE"}, (), "marking", "Choose a TLP marking."),
        ({"entities-0-role": "king"}, (), "entities-0-role", "Choose a role from the list."),
        ({"recipients": None}, (), "recipients", "Choose at least one recipient organisation."),
        ({"recipients": ["FR-MININT", "NOPE"]}, (), "recipients", "No organisation NOPE."),
        ({"recipients": ["PLATFORM-X"]}, (), "recipients", "PLATFORM-X is a platform partner"),
        ({"retain_until": "2020-01-01"}, (), "retain_until", "must be in the future"),
        ({"retain_until": "31/12/2030"}, (), "retain_until", "Not a valid date value."),
        ({"entities-3-value": "12ab"}, (), "entities-3-value", "phone number"),
        ({"entities-1-platform": ""}, (), "entities-1-platform", "Choose the platform"),
        ({"relations-2-target": "e9"}, (), "relations-2-target", "No entity 'e9'"),
        ({"entities-4-traveller": "e7"}, (), "entities-4-traveller", "No entity 'e7'"),
        ({"entities-0-nationality": "Syria"}, (), "entities-0-nationality", "two-letter"),
        (
            {"entities-0-date_of_birth": "2999-01-01"},
            (),
            "entities-0-date_of_birth",
            "A date of birth cannot be in the future.",
        ),
        (dict.fromkeys(GRADING_FIELDS), (), "grading_source", "Grade the bulletin"),
        ({"grading_source": "E"}, (), "grading_source", "Choose the source's reliability"),
        ({"grading_handling": "H3"}, (), "grading_conditions", "H3 needs the provider's"),
        ({"tags": "tlp:amber"}, (), "tags", "'tlp:amber': unknown namespace 'tlp'"),
        ({}, [("notes.png", b"just text")], "attachments", "notes.png is not an image"),
        ({}, [(f"p{i}.png", PNG) for i in range(11)], "attachments", "At most 10 attachments."),
    ],
)
def test_every_wrong_value_is_shown_at_its_field_and_writes_nothing(
    app, client, auth, desk, change, files, anchor, message
):
    auth.sign_in("officer@it.example")
    data = fields(page_token(client), **change)
    before = counts(app)
    response = post(client, data, files=files)
    assert response.status_code == 400, response.text
    html = response.text
    # The message sits next to the field, and the summary at the top links to it.
    assert f'id="{anchor}-error">{escape(message)}' in html or (
        f'id="{anchor}-error">' in html and str(escape(message)) in html
    ), html
    assert f'href="#{anchor}"' in html
    # What was typed is still in the form.
    state = FormState(html)
    for name in ("title", "summary", "body", "entities-0-value", "entities-4-origin"):
        assert state.first(name) == data[name], name
    assert state.first("relations-2-target") == data["relations-2-target"]
    assert state.first("entities-1-type") == "account"
    if "recipients" not in change:
        assert state.values["recipients"] == ["DE-BMI", "FR-MININT"]
    if files:
        assert "attach your files again" in html
    assert counts(app) == before


def test_sender_author_and_roles_in_the_request_are_ignored(app, client, auth, desk):
    auth.sign_in("officer@it.example")
    with app.app_context():
        de = db.session.scalar(select(Organisation).where(Organisation.code == "DE-BMI"))
        fr_officer = desk.users["fr.officer"]
        de_id = de.id
    data = fields(
        page_token(client),
        sender="DE-BMI",
        sender_org_id=str(de_id),
        author_id=str(fr_officer),
        org="DE-BMI",
        roles="sysadmin",
    )
    assert post(client, data).status_code == 302
    bulletin = latest(app)
    assert bulletin.sender_org_id != de_id
    assert bulletin.author_id == desk.users["it.officer"]
    assert read_as(app, desk, "fr.analyst", bulletin.id).seal.sender_org == "IT-MININT"
    with app.app_context():
        assert not db.session.get(User, desk.users["it.officer"]).has_role("sysadmin")


@pytest.mark.parametrize("who", ["analyst@it.example", "trust@platform.example"])
def test_analysts_and_platforms_cannot_compose(app, client, auth, desk, who):
    auth.sign_in(who)
    assert client.get("/bulletins/new").status_code in (403, 404)
    token = csrf_token(client.get("/").text)
    before = counts(app)
    assert post(client, fields(token)).status_code in (403, 404)
    assert counts(app) == before


def test_add_entity_and_relation_rows_keep_what_was_typed(app, client, auth, desk):
    auth.sign_in("officer@it.example")
    data = fields(page_token(client), add_entity="1", send=None)
    assert "send" not in data
    before = counts(app)
    response = post(client, data)
    assert response.status_code == 200
    state = FormState(response.text)
    assert state.first("title") == data["title"]
    assert state.first("entities-3-value") == data["entities-3-value"]
    assert state.values["entities-5-ref"] == ["e6"] and state.first("entities-5-value") == ""
    data.pop("add_entity")
    response = post(client, dict(data, add_relation="1"))
    state = FormState(response.text)
    assert "relations-3-source" in state.values and "entities-5-ref" not in state.values
    assert counts(app) == before


def test_preview_renders_the_body_safely(app, client, auth, desk):
    auth.sign_in("officer@it.example")
    data = fields(page_token(client), body="**bold** <script>alert(1)</script>", preview="1")
    response = post(client, data)
    assert response.status_code == 200
    assert "<strong>bold</strong>" in response.text
    assert "<script>alert" not in response.text


def test_an_oversized_request_gets_a_clear_413_page(app, client, auth, desk):
    auth.sign_in("officer@it.example")
    token = page_token(client)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # this test's own app
    before = counts(app)
    response = post(client, fields(token), files=[("big.png", PNG + b"\0" * 100_000)])
    assert response.status_code == 413
    assert "too large" in response.text
    assert counts(app) == before


@pytest.mark.parametrize("hostile", XSS_CORPUS)
def test_hostile_text_comes_back_inert_in_the_redisplayed_form(app, client, auth, desk, hostile):
    auth.sign_in("officer@it.example")
    token = page_token(client)

    def attempt(text: str) -> str:
        data = fields(
            token,
            recipients=None,  # the validation error that re-displays the form
            title=text,
            summary=text,
            body=text,
            **{"entities-0-value": text, "entities-0-aliases": text, "entities-3-value": ""},
            entities=ENTITIES[:3],
            relations=[],
        )
        response = post(client, data)
        assert response.status_code == 400
        state = FormState(response.text)
        for name in ("title", "summary", "body", "entities-0-value", "entities-0-aliases"):
            assert state.first(name) == text, name
        return response.text

    hostile_page = attempt(hostile)
    # The same elements and attributes as with harmless text: the payload added nothing.
    assert structure(hostile_page) == structure(attempt("harmless words"))
    assert "<script>alert" not in hostile_page and "onerror=alert(1)>" not in hostile_page


def test_every_error_is_shown_at_once_at_its_field(app, client, auth, desk):
    auth.sign_in("officer@it.example")
    data = fields(
        page_token(client),
        title="",
        category="",
        recipients=None,
        retain_until="not a date",
        **{
            "entities-0-nationality": "Syria",
            "relations-2-target": "e9",
            "entities-0-date_of_birth": "2999-01-01",
        },
    )
    data["entities-3-value"] = "not a phone"
    before = counts(app)
    response = post(client, data)
    assert response.status_code == 400
    html = response.text
    for anchor in (
        "title",
        "category",
        "recipients",
        "retain_until",
        "entities-0-nationality",
        "entities-0-date_of_birth",
        "entities-3-value",
        "relations-2-target",
    ):
        assert f'id="{anchor}-error"' in html, anchor
        assert f'href="#{anchor}"' in html, anchor
    # The summary names each field and lists them down the page, as the form has them.
    start = html.index('id="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert '<a href="#title">Title: This field is required.</a>' in summary
    anchors = re.findall(r'href="#([\w-]+)"', summary)
    assert (
        anchors.index("title")
        < anchors.index("category")
        < anchors.index("entities-0-nationality")
        < anchors.index("relations-2-target")
    )
    state = FormState(html)
    assert state.first("summary") == data["summary"]
    assert state.first("entities-0-nationality") == "Syria"
    assert counts(app) == before


def test_phones_and_emails_have_their_own_relations(app, client, auth, desk):
    auth.sign_in("officer@it.example")
    page = client.get("/bulletins/new")
    assert '<option value="uses_phone">Uses phone</option>' in page.text
    assert '<option value="uses_email">Uses e-mail</option>' in page.text
    relations = [
        {"source": "e1", "type": "uses_phone", "target": "e4"},
        {"source": "e1", "type": "contacted", "target": "e2"},
    ]
    response = post(client, fields(page_token(client), relations=relations))
    assert response.status_code == 302, response.text
    bulletin = latest(app)
    content = read_as(app, desk, "fr.analyst", bulletin.id).content
    assert [r.type.value for r in content.relations] == ["uses_phone", "contacted"]
    assert "uses phone" in client.get(f"/bulletins/{bulletin.id}").text
