"""Grading and tags in STIX: the export writes the grading into the report's Ischia extension
and the tags as labels (strictly valid), the import reads both back, and a MISP bundle's labels
become tags only when they are tags of a known taxonomy (TLP still comes from markings)."""

from __future__ import annotations

import copy

from stix2validator import ValidationOptions, validate_instance

from portal.services.bulletins import sealing
from portal.services.principals import Actor
from portal.services.stix import export, intake
from portal.services.stix import vocabulary as vocab
from tests.portal.bulletins.conftest import document
from tests.portal.stix.test_intake_service import ACTOR, T0, bundle_with

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
