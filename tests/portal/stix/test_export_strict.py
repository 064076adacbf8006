"""Strict export: the demo bulletins, one by one and as one bundle, pass
``stix2-validator --strict`` with no error, parse with the stix2 library without custom
content, keep their ids across a round trip, carry the strictest marking on shared
observables, and are read by misp-stix's STIX-to-MISP importer (phone numbers included)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import stix2
from sqlalchemy import select
from stix2validator import ValidationOptions, validate_instance

from portal.demo import seeding as demo
from portal.extensions import db
from portal.models import BulletinRecipient, Role
from portal.services.accounts import directory as accounts
from portal.services.principals import Reader
from portal.services.stix import export, intake
from portal.services.stix import vocabulary as vocab

STRICT = ValidationOptions(version="2.1", strict=True)


@pytest.fixture
def demo_bundle(app, demo_bulletins_world):
    demo_bulletins_world.load(app)  # seed-demo --bulletins 30, built once per backend
    with app.app_context():
        reader = Reader.of(accounts.user_by_email(demo.demo_email(Role.ANALYST, "FR-MININT")))
        ids = list(
            db.session.scalars(
                select(BulletinRecipient.bulletin_id).where(
                    BulletinRecipient.org_id == reader.org_id
                )
            )
        )
        assert len(ids) >= 5
        return reader, ids, export.bundle(reader, ids)


def _errors(bundle: dict) -> list[str]:
    result = validate_instance(bundle, STRICT)
    return [str(e) for e in result.errors] + [
        str(e) for r in getattr(result, "object_results", []) for e in r.errors
    ]


def test_the_demo_bulletins_pass_the_strict_validator_alone_and_together(app, demo_bundle):
    reader, ids, together = demo_bundle
    assert _errors(together) == []
    with app.app_context():
        for bulletin_id in ids[:8]:
            assert _errors(export.bundle(reader, [bulletin_id])) == [], bulletin_id
    assert not any(k.startswith("x_") for o in together["objects"] for k in o)
    assert any(o["id"] == vocab.ISCHIA_EXTENSION for o in together["objects"])


def test_the_stix2_library_reads_the_export_without_custom_content(demo_bundle):
    _, _, together = demo_bundle
    for obj in together["objects"]:
        stix2.parse(obj, allow_custom=False, version="2.1")


def test_ids_are_stable_across_exports_and_a_round_trip(app, demo_bundle):
    reader, ids, together = demo_bundle
    with app.app_context():
        again = export.bundle(reader, ids)
    assert [o["id"] for o in again["objects"]] == [o["id"] for o in together["objects"]]
    assert again["id"] == together["id"]
    with app.app_context():
        single = export.bundle(reader, ids[:1])
    draft = intake.draft_from_bundle(single)
    assert [o for o in draft.report if o.outcome == "dropped"] == []  # it comes back whole


def test_a_shared_observable_carries_the_strictest_marking(app, desk):
    account = {"ref": "a1", "type": "account", "platform": "telegram", "value": "@shared_one"}
    green = desk.post(title="Green", marking="TLP:GREEN", entities=[account], relations=[])
    strict = desk.post(title="Strict", marking="TLP:AMBER+STRICT", entities=[account], relations=[])
    with app.app_context():
        reader = desk.reader("fr.analyst")
        for order in ([green, strict], [strict, green]):
            bundle = export.bundle(reader, order)
            (shared,) = [o for o in bundle["objects"] if o["type"] == "user-account"]
            assert shared["object_marking_refs"] == [vocab.TLP_IDS["TLP:AMBER+STRICT"]]


# misp-stix runs in its own interpreter: its STIX 1 dependencies (mixbox) install an import
# hook that the test session's warnings-as-errors would trip over later. A bundle of several
# reports is one MISP event per report (``misp_events``; ``misp_event`` is only the last one).
MISP_IMPORT = """
import json, sys
import stix2
from misp_stix_converter import ExternalSTIX2toMISPParser
parser = ExternalSTIX2toMISPParser()
parser.load_stix_bundle(stix2.parse(sys.stdin.read(), allow_custom=True))
parser.parse_stix_bundle()
events = parser.misp_events if isinstance(parser.misp_events, list) else [parser.misp_events]
print(json.dumps({
    "events": [
        {
            "info": event.info,
            "attributes": sorted({(a.type, a.value) for a in event.attributes}),
            "objects": sorted(
                [o.name, sorted((a.object_relation, a.value) for a in o.attributes)]
                for o in event.objects
            ),
        }
        for event in events
    ],
    "errors": [e for messages in parser.errors.values() for e in messages],
}))
"""


def _through_misp(bundle: dict) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MISP_IMPORT],
        input=json.dumps(bundle),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_misp_stix_imports_the_export_phones_and_urls_included(demo_bundle):
    _, _, together = demo_bundle
    misp = _through_misp(together)
    assert misp["errors"] == []
    reports = [o for o in together["objects"] if o["type"] == "report"]
    # Two versions of an amended bulletin are one report id: one MISP event.
    assert len(misp["events"]) == len({r["id"] for r in reports}) < len(reports)
    by_id = {o["id"]: o for o in together["objects"]}
    events = {e["info"]: e for e in misp["events"]}
    phones_seen = 0
    for report in reports:
        if sum(r["id"] == report["id"] for r in reports) > 1:
            continue
        event = events[report["name"]]
        named = [by_id[ref] for ref in report["object_refs"]]
        # Every URL and e-mail address the report names is an attribute of its event...
        expected = {("url", o["value"]) for o in named if o["type"] == "url"}
        expected |= {("email", o["value"]) for o in named if o["type"] == "email-addr"}
        assert {tuple(a) for a in event["attributes"]} == expected, event["info"]
        # ... every account a user-account object, every phone number an identity object
        # whose contact information names it.
        accounts = [o for o in event["objects"] if o[0] == "user-account"]
        assert len(accounts) == sum(o["type"] == "user-account" for o in named)
        phones = {
            dict(attributes)["contact_information"]
            for name, attributes in event["objects"]
            if name == "identity" and "contact_information" in dict(attributes)
        }
        assert phones == {
            f"phone-number: {o['name']}"
            for o in named
            if o["type"] == "identity" and o.get("identity_class") == "unknown"
        }
        phones_seen += len(phones)
    assert phones_seen and any(e["attributes"] for e in misp["events"])


def test_a_place_with_no_country_is_no_location_and_comes_back(app, desk):
    entities = [
        {"ref": "p1", "type": "person", "value": "Abu Example", "role": "recruiter"},
        {"ref": "l1", "type": "location", "value": "Al-Hol"},
        {"ref": "l2", "type": "location", "value": "Kilis", "country": "TR"},
    ]
    relations = [
        {"source": "p1", "type": "travelled_to", "target": "l1", "on": "2026-03-01"},
        {"source": "p1", "type": "travelled_to", "target": "l2"},
    ]
    bulletin_id = desk.post(entities=entities, relations=relations)
    with app.app_context():
        bundle = export.bundle(desk.reader("fr.analyst"), [bulletin_id])
    assert _errors(bundle) == []
    (location,) = [o for o in bundle["objects"] if o["type"] == "location"]
    assert (location["name"], location["country"]) == ("Kilis", "TR")
    (report,) = [o for o in bundle["objects"] if o["type"] == "report"]
    own = report["extensions"][vocab.ISCHIA_EXTENSION]
    assert own["places"] == [{"ref": "l1", "value": "Al-Hol"}]
    assert own["place_relations"] == [
        {"source": "p1", "relation": "travelled_to", "target": "l1", "on": "2026-03-01"}
    ]
    draft = intake.draft_from_bundle(bundle)
    assert {"ref": "l1", "type": "location", "value": "Al-Hol"} in draft.document["entities"]
    assert {"source": "p1", "type": "travelled_to", "target": "l1", "on": "2026-03-01"} in (
        draft.document["relations"]
    )
    assert not [o for o in draft.report if o.outcome == "dropped"]
