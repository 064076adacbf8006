"""Validation of what an officer writes: clear errors that name the field, and normalisation."""

from __future__ import annotations

from datetime import date

import pytest

from portal.services.bulletins.content import (
    BulletinContent,
    EntityType,
    Platform,
    RelationType,
    parse,
)
from portal.services.errors import InvalidInput


def document(**changes):
    base = {
        "title": "Recruiter active on Telegram",
        "summary": "A recruiter moved channels.",
        "body": "Details **here**.",
        "entities": [
            {
                "type": "person",
                "value": "أبو محمد العدناني",
                "aliases": "Abu Muhammad al-Adnani; Abou Mohamed Al Adnani",
                "role": "recruiter",
                "nationality": "sy",
            },
            {"type": "account", "platform": "telegram", "value": "https://t.me/example_channel"},
            {"type": "phone", "value": "+33 6 12 34 56 78"},
            {"type": "email", "value": "Recruiter@Example.ORG"},
            {
                "type": "travel",
                "traveller": "e1",
                "origin": "Paris",
                "via": ["Istanbul", "Gaziantep"],
                "destination": "Raqqa",
                "on": "2025-03-02",
            },
        ],
        "relations": [{"source": "e1", "type": "uses_account", "target": "e2", "on": "2025-01-05"}],
    }
    base.update(changes)
    return base


def test_a_full_bulletin_is_parsed_and_normalised():
    content = parse(document())
    person, account, phone, email, travel = content.entities
    assert person.aliases == ("Abu Muhammad al-Adnani", "Abou Mohamed Al Adnani")
    assert person.nationality == "SY"
    assert account.platform is Platform.TELEGRAM
    assert phone.value == "+33612345678"
    assert email.value == "Recruiter@example.org"
    assert travel.type is EntityType.TRAVEL and travel.via == ("Istanbul", "Gaziantep")
    assert travel.on == date(2025, 3, 2)
    assert content.relations[0].type is RelationType.USES_ACCOUNT


def test_json_round_trip_is_exact():
    content = parse(document())
    assert BulletinContent.from_json(content.to_json()) == content


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "required"),
        ({"title": "x" * 201}, "title", "At most 200"),
        ({"title": 42}, "title", "text"),
        ({"title": "bell\x07"}, "title", "Control characters"),
        ({"body": "x" * 100_001}, "body", "At most 100000"),
        ({"entities": [{"type": "weapon", "value": "x"}]}, "entities[0].type", "Choose one of"),
        ({"entities": [{"type": "person", "value": ""}]}, "entities[0].value", "required"),
        (
            {"entities": [{"type": "phone", "value": "call me"}]},
            "entities[0].value",
            "international",
        ),
        ({"entities": [{"type": "phone", "value": "+33 123"}]}, "entities[0].value", "possible"),
        ({"entities": [{"type": "email", "value": "nobody"}]}, "entities[0].value", "e-mail"),
        (
            {"entities": [{"type": "url", "value": "example.org"}]},
            "entities[0].value",
            "full address",
        ),
        ({"entities": [{"type": "account", "value": "@x"}]}, "entities[0].platform", "platform"),
        (
            {"entities": [{"type": "person", "value": "A", "nationality": "Syria"}]},
            "entities[0].nationality",
            "ISO 3166",
        ),
        (
            {"entities": [{"type": "person", "value": "A", "date_of_birth": "1990-13-01"}]},
            "entities[0].date_of_birth",
            "YYYY-MM-DD",
        ),
        (
            {"entities": [{"type": "person", "value": "A", "role": "wizard"}]},
            "entities[0].role",
            "Choose one of",
        ),
        (
            {"entities": [{"type": "travel", "value": "trip"}]},
            "entities[0].destination",
            "origin or destination",
        ),
        ({"entities": ["not an object"]}, "entities[0]", "object"),
        (
            {
                "entities": [
                    {"type": "person", "value": "A", "ref": "p"},
                    {"type": "group", "value": "B", "ref": "p"},
                ]
            },
            "entities",
            "used twice",
        ),
        (
            {"relations": [{"source": "e1", "type": "uses_account", "target": "e9"}]},
            "relations[0].target",
            "No entity",
        ),
        (
            {"relations": [{"source": "e1", "type": "uses_account", "target": "e1"}]},
            "relations[0].target",
            "different",
        ),
        (
            {"relations": [{"source": "e1", "type": "loves", "target": "e2"}]},
            "relations[0].type",
            "Choose one of",
        ),
        ({"entities": [{"type": "person", "value": "A"}] * 501}, "entities", "At most 500"),
    ],
)
def test_bad_input_names_the_field(changes, field, message):
    with pytest.raises(InvalidInput) as caught:
        parse(document(**changes))
    assert caught.value.field == field
    assert message in caught.value.message


def test_a_journey_named_by_its_places_lists_each_stop_once():
    content = parse(
        {
            "title": "Journey",
            "entities": [
                {"type": "travel", "origin": "Lyon", "via": "Istanbul; Gaziantep", "to": "x"},
                {"type": "travel", "origin": "Paris", "via": ["Sofia"], "destination": "Idlib"},
            ],
        }
    )
    assert content.entities[0].value == "Lyon → Istanbul → Gaziantep"
    assert content.entities[0].via == ("Istanbul", "Gaziantep")
    assert content.entities[1].value == "Paris → Sofia → Idlib"


def test_control_characters_are_every_one_below_space_but_tab_and_line_ends():
    for code in range(0x20):
        text = f"a{chr(code)}b"
        if chr(code) in "\t\n\r":
            assert parse(document(body=text)).body == text
            continue
        with pytest.raises(InvalidInput, match="Control characters") as caught:
            parse(document(body=text))
        assert caught.value.field == "body"
    assert parse(document(body="a\x7f\u200bb")).body == "a\x7f\u200bb"  # DEL and others: kept
