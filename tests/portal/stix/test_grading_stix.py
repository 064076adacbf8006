"""Grading and tags in STIX: the export writes the grading into the report's Ischia extension
and the tags as labels (strictly valid), the import reads both back, and a MISP bundle's labels
become tags only when they are tags of a known taxonomy (TLP still comes from markings)."""

from __future__ import annotations

import copy

from stix2validator import ValidationOptions, validate_instance

from portal.extensions import db
from portal.models import Bulletin
from portal.services.bulletins import reading, sealing
from portal.services.principals import Actor
from portal.services.stix import export, intake
from portal.services.stix import vocabulary as vocab
from tests.portal.bulletins.conftest import document
from tests.portal.service_checks import records
from tests.portal.stix.test_intake_service import ACTOR, T0, bundle_with
from tests.portal.stix.test_taxii_service import envelope, post, titled

STRICT = ValidationOptions(version="2.1", strict=True)
GROUP = 'group:jihadist="islamic-state"'
GRADING = {"source": "C", "information": "3", "handling": "H3", "conditions": "Not to CY."}


def _report(bundle: dict) -> dict:
    return next(o for o in bundle["objects"] if o["type"] == "report")


def _errors(bundle: dict) -> list[str]:
    result = validate_instance(bundle, STRICT)
    return [str(e) for e in result.errors] + [
        str(e) for r in getattr(result, "object_results", []) for e in r.errors
    ]


def test_export_and_import_round_trip_grading_and_tags(app, desk):
    bulletin_id = desk.post(grading=GRADING, tags=[GROUP, "travel-route:balkan"])
    with app.app_context():
        exported = export.bundle(desk.reader("fr.analyst"), [bulletin_id])
    report = _report(exported)
    extension = report["extensions"][vocab.ISCHIA_EXTENSION]
    assert extension["grading"] == GRADING
    assert report["labels"] == ["recruitment", GROUP, "travel-route:balkan"]
    definition = next(o for o in exported["objects"] if o["type"] == "extension-definition")
    assert "grading" in definition["description"]
    assert _errors(exported) == []

    draft = intake.draft_from_bundle(exported)
    assert draft.document["grading"] == GRADING
    assert draft.document["tags"] == [GROUP, "travel-route:balkan"]
    assert any(o.outcome == "used" and "C3 · H3" in o.detail for o in draft.report)
    with app.app_context():
        reader = desk.reader("de.officer")
        again = sealing.post_bulletin(
            reader,
            Actor(reader.user_id),
            sealing.Draft(draft.document, "recruitment", "TLP:AMBER", ["FR-MININT"]),
        )
        second = export.bundle(desk.reader("fr.analyst"), [again.id])
    assert _report(second)["extensions"][vocab.ISCHIA_EXTENSION]["grading"] == GRADING
    assert _report(second)["labels"][1:] == [GROUP, "travel-route:balkan"]


def test_an_ungraded_bulletin_exports_no_grading_and_imports_none(app, desk):
    with app.app_context():
        reader = desk.reader("it.officer")
        ungraded = sealing.post_bulletin(
            reader,
            Actor(reader.user_id),
            sealing.Draft(
                document(grading=None),
                "recruitment",
                "TLP:AMBER",
                ["FR-MININT"],
                require_grading=False,
            ),
        ).id
        exported = export.bundle(desk.reader("fr.analyst"), [ungraded])
    report = _report(exported)
    assert "grading" not in report.get("extensions", {}).get(vocab.ISCHIA_EXTENSION, {})
    assert report["labels"] == ["recruitment"]
    assert _errors(exported) == []
    draft = intake.draft_from_bundle(exported)
    # Nothing said of them: an amendment over TAXII keeps the current version's.
    assert "grading" not in draft.document and "tags" not in draft.document


def _misp_report(labels: list[str]) -> dict:
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": "report--1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "created": T0,
        "modified": T0,
        "published": T0,
        "name": "From MISP",
        "labels": labels,
        "object_refs": [ACTOR],
        "object_marking_refs": [vocab.TLP_IDS["TLP:AMBER"]],
    }


def test_misp_labels_that_are_known_tags_become_tags_and_tlp_stays_a_marking():
    labels = [
        'misp:tool="MISP-STIX-Converter"',
        "tlp:red",
        "modus-operandi:incitement",
        "nation:fr",
        "Propaganda",
        "platform:messaging",
        "modus-operandi:incitement",
    ]
    draft = intake.draft_from_bundle(bundle_with(_misp_report(labels)))
    assert draft.document["tags"] == ["modus-operandi:incitement", "platform:messaging"]
    assert draft.marking == "TLP:AMBER"  # from the marking, not from the "tlp:red" label
    assert draft.labels == list(dict.fromkeys(labels))  # all still shown as suggestions
    assert "grading" not in draft.document


def test_a_bad_grading_in_the_extension_is_reported_and_left_out():
    report = _misp_report([])
    report["extensions"] = {
        vocab.ISCHIA_EXTENSION: {
            "extension_type": "property-extension",
            "grading": {"source": "Z", "information": "1", "handling": "H0"},
        }
    }
    draft = intake.draft_from_bundle(bundle_with(copy.deepcopy(report)))
    assert "grading" not in draft.document
    assert any(
        o.outcome == "dropped" and o.detail.startswith("its grading: Choose one of")
        for o in draft.report
    )


def _without_grading(sent: dict) -> dict:
    for obj in sent["objects"]:
        if obj["type"] == "report":
            obj["extensions"][vocab.ISCHIA_EXTENSION].pop("grading", None)
            obj["labels"] = obj["labels"][:1]
    return sent


def test_taxii_posts_keep_a_bundles_grading_and_an_amendment_keeps_the_current_one(app, desk):
    source = desk.post(recipients=["FR-MININT"], grading=GRADING, tags=[GROUP])
    plain = desk.post(recipients=["FR-MININT"])
    with app.app_context():
        officer = desk.reader("fr.officer")
        outbox = titled(officer)["Bulletins from FR-MININT (your outbox)"]
        sent = envelope(desk, source, name="Graded over TAXII", x_ischia_recipients=["DE-BMI"])
        assert post(desk, "fr.officer", outbox, sent).failures == []
        posted = records("bulletin.posted")[-1].details["bulletin"]
        content = _opened(posted, "DE-BMI")
        assert content.grading is not None and content.grading.code == "C3 · H3"
        assert content.tags == (GROUP,)
        # A newer version of the same report that says nothing of grading or tags amends it
        # and keeps them; a stock bundle with neither seals a bulletin that is "not graded".
        newer = _without_grading(copy.deepcopy(sent))
        for obj in newer["objects"]:
            if obj["type"] == "report":
                obj["modified"] = "2099-01-01T00:00:00.000Z"
                obj["name"] = "Amended over TAXII"
        assert post(desk, "fr.officer", outbox, newer).failures == []
        amended = records("bulletin.amended")[-1].details["bulletin"]
        kept = _opened(amended, "DE-BMI")
        assert kept.title == "Amended over TAXII" and kept.grading == content.grading
        assert kept.tags == (GROUP,)
        stock = _without_grading(envelope(desk, plain, x_ischia_recipients=["DE-BMI"]))
        for obj in stock["objects"]:
            if obj["type"] == "report":
                obj["id"] = "report--" + "1" * 8 + "-1111-4111-8111-" + "1" * 12
        assert post(desk, "fr.officer", outbox, stock).failures == []
        ungraded = _opened(records("bulletin.posted")[-1].details["bulletin"], "DE-BMI")
        assert ungraded.grading is None and ungraded.tags == ()


def _opened(bulletin_id: str, org: str):
    opened = reading.open_bulletin(db.session(), org, db.session.get(Bulletin, bulletin_id))
    assert isinstance(opened, reading.OpenedBulletin)
    return opened.content
