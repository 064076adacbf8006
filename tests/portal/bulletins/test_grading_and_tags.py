"""Evaluation and handling codes and taxonomy tags: part of the signed content, required for a
new bulletin, kept or changed by an amendment, absent ("not graded") in older bulletins, and
an inbox filter by tag that never reaches another organisation's bulletins."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import func, select

from crypto import Envelope
from crypto.primitives import Aes256Gcm
from crypto.sealing import _body_key, keyring_of, unwrap_content_key
from portal.extensions import db
from portal.models import AuditRecord, Bulletin, BulletinToken
from portal.services.bulletins import amendments, inbox, reading, saved_filters, sealing
from portal.services.bulletins.content import BulletinContent
from portal.services.bulletins.grading import Grading, Handling, Information, Source
from portal.services.bulletins.inbox import InboxQuery
from portal.services.bulletins.store import envelope_of
from portal.services.errors import InvalidInput
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor
from tests.portal.bulletins.conftest import document

ROUTE = "travel-route:balkan"
GROUP = 'group:jihadist="islamic-state"'


def _open(app, who_org: str, bulletin_id: str) -> reading.OpenedBulletin | reading.Unopened:
    with app.app_context():
        bulletin = db.session.get(Bulletin, bulletin_id)
        return reading.open_bulletin(db.session(), who_org, bulletin)


def test_grading_and_tags_are_sealed_and_read_back(app, desk):
    grading = {"source": "C", "information": "3", "handling": "H3", "conditions": "Not to CY."}
    bulletin_id = desk.post(grading=grading, tags=[GROUP, ROUTE, GROUP])
    opened = _open(app, "FR-MININT", bulletin_id)
    assert isinstance(opened, reading.OpenedBulletin)
    content = opened.content
    assert content.grading == Grading(Source.C, Information.THREE, Handling.H3, "Not to CY.")
    assert content.grading.code == "C3 · H3"
    assert content.tags == (GROUP, ROUTE)  # a repeated tag once
    assert "Not to CY." in (content.grading.passing_on or "")
    with app.app_context():
        row = db.session.get(Bulletin, bulletin_id)
        assert b"islamic-state" not in row.header and b"Not to CY" not in row.header


def test_a_bulletin_sealed_before_gradings_opens_as_not_graded(app, desk):
    """Content of the same format without the keys, as every earlier bulletin has it."""
    old = BulletinContent.from_json(
        json.dumps({"format": "ischia.bulletin/1", "title": "Older", "body": ""}).encode()
    )
    assert old.grading is None and old.tags == ()
    # And a new bulletin's content still reads through the same parser.
    new = BulletinContent(
        title="t", summary="", body="", grading=Grading(Source.A, Information.ONE, Handling.H0)
    )
    assert BulletinContent.from_json(new.to_json()).grading == new.grading


def test_changing_a_grade_breaks_verification(app, desk):
    """A recipient holding the content key re-encrypts the content with a better grade: the
    ciphertext is valid AES-GCM under the right key, so only the signatures refuse it."""
    bulletin_id = desk.post(grading={"source": "C", "information": "4", "handling": "H2"})
    with app.app_context(), db.write() as session:
        bulletin = session.get(Bulletin, bulletin_id)
        envelope: Envelope = envelope_of(session, bulletin)
        ring = keyring_of(org_keys.keyring("FR-MININT"))
        _, content_key = unwrap_content_key(envelope, ring, org_keys.directory(), now=None)
        body = Aes256Gcm(_body_key(content_key, envelope.id))
        nonce = envelope.header.content_nonce
        plain = json.loads(body.decrypt(nonce, bulletin.content, bulletin.header))
        assert plain["grading"]["source"] == "C"
        plain["grading"] = {"source": "A", "information": "1", "handling": "H0", "conditions": None}
        forged = json.dumps(plain, sort_keys=True).encode()
        bulletin.content = body.encrypt(nonce, forged, bulletin.header)
        # The forgery itself decrypts: the AEAD alone would accept it.
        assert (
            json.loads(body.decrypt(nonce, bulletin.content, bulletin.header))["grading"]["source"]
            == "A"
        )
    assert _open(app, "FR-MININT", bulletin_id) is reading.Unopened.TAMPERED
    assert _open(app, "IT-MININT", bulletin_id) is reading.Unopened.TAMPERED


def _counts():
    session = db.session()
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Bulletin, BulletinToken, AuditRecord)
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"grading": None}, "grading", "Grade the bulletin"),
        (
            {"grading": {"source": "D", "information": "1", "handling": "H0"}},
            "grading.source",
            "A (completely reliable",
        ),
        (
            {"grading": {"source": "A", "information": "5", "handling": "H0"}},
            "grading.information",
            "Choose one of",
        ),
        (
            {"grading": {"source": "A", "information": "1", "handling": "H4"}},
            "grading.handling",
            "H2 (not to be disseminated",
        ),
        (
            {"grading": {"source": "A", "information": "1", "handling": "H3"}},
            "grading.conditions",
            "H3 needs",
        ),
        (
            {"grading": {"source": "A", "information": "1", "handling": "H0", "conditions": "x"}},
            "grading.conditions",
            "Only H3",
        ),
        ({"grading": "B2"}, "grading", "An object"),
        ({"tags": ["tlp:amber"]}, "tags[0]", "'tlp:amber': unknown namespace 'tlp'"),
        ({"tags": [ROUTE, 'group:jihadist="hamas-x"']}, "tags[1]", "has no value 'hamas-x'"),
        ({"tags": ["platform:nowhere"]}, "tags[0]", "platform has no 'nowhere'"),
        ({"tags": ["Group Jihadist"]}, "tags[0]", "is not a machine tag"),
        ({"tags": "group:jihadist"}, None, None),  # one per line is accepted
    ],
)
def test_bad_grading_or_tags_are_refused_naming_the_field(app, desk, change, field, words):
    with app.app_context():
        reader = desk.reader("it.officer")
        before = _counts()
        draft = sealing.Draft(
            document=document(**change),
            category="recruitment",
            marking="TLP:AMBER",
            recipients=["FR-MININT"],
        )
        if field is None:
            sealing.post_bulletin(reader, Actor(reader.user_id), draft)
            return
        with pytest.raises(InvalidInput) as raised:
            sealing.post_bulletin(reader, Actor(reader.user_id), draft)
        assert raised.value.field == field and words in raised.value.message
        assert _counts() == before
        # The form's list of every problem names the same field.
        assert field in {p.field for p in sealing.problems(reader, draft)}


def test_an_amendment_keeps_or_changes_the_grading_and_tags(app, desk):
    first = desk.post(grading={"source": "B", "information": "3", "handling": "H2"}, tags=[ROUTE])
    with app.app_context():
        reader = desk.reader("it.officer")
        kept_document = {
            k: v for k, v in document(title="Kept").items() if k not in ("grading", "tags")
        }
        draft = sealing.Draft(
            document=kept_document,
            category="recruitment",
            marking="TLP:AMBER",
            recipients=["FR-MININT"],
        )
        second = amendments.amend(reader, Actor(reader.user_id), first, draft).id
    opened = _open(app, "FR-MININT", second)
    assert opened.content.grading.code == "B3 · H2" and opened.content.tags == (ROUTE,)
    with app.app_context():
        reader = desk.reader("it.officer")
        changed = sealing.Draft(
            document=document(
                title="Changed",
                grading={"source": "A", "information": "1", "handling": "H0"},
                tags=[],
            ),
            category="recruitment",
            marking="TLP:AMBER",
            recipients=["FR-MININT"],
        )
        third = amendments.amend(reader, Actor(reader.user_id), second, changed).id
    opened = _open(app, "FR-MININT", third)
    assert opened.content.grading.code == "A1 · H0" and opened.content.tags == ()


def _tagged(app, desk, who: str, tag: str) -> set[str]:
    with app.app_context():
        page = inbox.inbox_page(desk.reader(who), InboxQuery(tag=tag))
        return {row.id for row in page.rows}


def test_the_inbox_filters_by_tag_within_what_the_organisation_reads(app, desk):
    to_fr = desk.post(recipients=["FR-MININT"], tags=[GROUP])
    to_de = desk.post(recipients=["DE-BMI"], tags=[GROUP, ROUTE])
    untagged = desk.post(recipients=["FR-MININT", "DE-BMI"])
    assert _tagged(app, desk, "fr.analyst", GROUP) == {to_fr}
    assert _tagged(app, desk, "de.analyst", GROUP) == {to_de}
    assert _tagged(app, desk, "de.analyst", ROUTE) == {to_de}
    assert _tagged(app, desk, "fr.analyst", ROUTE) == set()  # DE's bulletin is not FR's
    assert _tagged(app, desk, "uk.analyst", GROUP) == set()
    assert _tagged(app, desk, "it.officer", GROUP) == {to_fr, to_de}  # the sender's own
    assert untagged not in _tagged(app, desk, "it.officer", ROUTE)
    with app.app_context():
        # No tag in clear: the token is keyed, and apart from the identifiers' index.
        tokens = set(
            db.session.scalars(
                select(BulletinToken.token).where(BulletinToken.bulletin_id == to_de)
            )
        )
        assert org_keys.tag_index().token("tag:" + ROUTE) in tokens
        assert org_keys.blind_index().token("tag:" + ROUTE) not in tokens
        with pytest.raises(InvalidInput) as raised:
            inbox.inbox_page(desk.reader("fr.analyst"), InboxQuery(tag="nation:fr"))
        assert raised.value.field == "tag" and "unknown namespace 'nation'" in raised.value.message
        with pytest.raises(InvalidInput) as raised:
            saved_filters.save_filter(desk.reader("fr.analyst"), "Tagged", InboxQuery(tag=GROUP))
        assert raised.value.field == "tag"


def test_the_inbox_tag_filter_takes_a_namespace_or_a_predicate_alone(app, desk):
    group = desk.post(recipients=["FR-MININT"], tags=[GROUP])
    route = desk.post(recipients=["FR-MININT"], tags=[ROUTE])
    assert _tagged(app, desk, "fr.analyst", "group") == {group}
    assert _tagged(app, desk, "fr.analyst", " travel-route ") == {route}
    assert _tagged(app, desk, "fr.analyst", "group:jihadist") == {group}
    assert _tagged(app, desk, "fr.analyst", "platform") == set()
    assert _tagged(app, desk, "de.analyst", "group") == set()  # FR's bulletins, not DE's
    with app.app_context(), pytest.raises(InvalidInput) as raised:
        inbox.inbox_page(desk.reader("fr.analyst"), InboxQuery(tag="nation"))
    assert raised.value.field == "tag" and "unknown namespace" in raised.value.message


def test_inbox_rows_carry_the_compact_code(app, desk):
    graded = desk.post(grading={"source": "B", "information": "2", "handling": "H2"})
    with app.app_context():
        rows = {r.id: r for r in inbox.inbox_page(desk.reader("fr.analyst"), InboxQuery()).rows}
        assert rows[graded].title.grading == "B2 · H2"
        # Served again from the cache of verified titles, with its code.
        rows = {r.id: r for r in inbox.inbox_page(desk.reader("fr.analyst"), InboxQuery()).rows}
        assert rows[graded].title.grading == "B2 · H2"


def test_a_stix_bundle_posted_over_taxii_needs_no_grading(app, desk):
    with app.app_context():
        reader = desk.reader("it.officer")
        draft = sealing.Draft(
            document=document(grading=None),
            category="recruitment",
            marking="TLP:AMBER",
            recipients=["FR-MININT"],
            require_grading=False,
        )
        bulletin_id = sealing.post_bulletin(reader, Actor(reader.user_id), draft).id
    assert _open(app, "FR-MININT", bulletin_id).content.grading is None


def test_grading_dataclass_round_trip():
    grading = Grading(Source.X, Information.FOUR, Handling.H1)
    assert dataclasses.asdict(grading)["source"] == "X"
    assert grading.passing_on is None and grading.code == "X4 · H1"


def test_every_problem_is_listed_and_grading_only_when_required(app, desk):
    with app.app_context():
        reader = desk.reader("it.officer")
        draft = sealing.Draft(
            document=document("", grading=None, tags=["nation:fr"]),
            category="recruitment",
            marking="TLP:AMBER",
            recipients=["FR-MININT"],
        )
        assert [p.field for p in sealing.problems(reader, draft)] == ["title", "grading", "tags[0]"]
        ungraded = dataclasses.replace(draft, require_grading=False)
        assert [p.field for p in sealing.problems(reader, ungraded)] == ["title", "tags[0]"]


def test_every_wrong_grading_field_and_tag_is_listed_at_once(app, desk):
    """An officer learns everything wrong with one submit: each code, H3's missing
    conditions, and every bad tag, each naming its own field."""
    with app.app_context():
        reader = desk.reader("it.officer")
        grading = {"source": "", "information": "9", "handling": "H3"}
        tags = ["nation:fr", ROUTE, "platform:nowhere", "group:"]
        draft = sealing.Draft(
            document=document(grading=grading, tags=tags),
            category="recruitment",
            marking="TLP:AMBER",
            recipients=["FR-MININT"],
        )
        assert [p.field for p in sealing.problems(reader, draft)] == [
            "grading.source",
            "grading.information",
            "grading.conditions",
            "tags[0]",
            "tags[2]",
            "tags[3]",
        ]
        wrong_handling = {"source": "A", "information": "1", "handling": "H9", "conditions": "x"}
        draft = dataclasses.replace(draft, document=document(grading=wrong_handling))
        assert [p.field for p in sealing.problems(reader, draft)] == ["grading.handling"]
