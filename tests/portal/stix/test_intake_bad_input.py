"""Hostile and broken bundles at the intake service: a clear answer naming the object (or the
bundle, when it is the bundle that is broken), an answer in good time, and nothing stored."""

from __future__ import annotations

import json

import pytest

from portal.services.errors import InvalidInput
from portal.services.stix import intake
from tests.portal.service_checks import unchanged

T0 = "2026-04-01T08:00:00.000Z"


def actor(n: int, **extra) -> dict:
    return {
        "type": "threat-actor",
        "spec_version": "2.1",
        "id": f"threat-actor--00000000-0000-4000-8000-{n:012d}",
        "created": T0,
        "modified": T0,
        "name": f"Actor {n}",
        **extra,
    }


def link(n: int, source: str, target: str, kind: str = "related-to") -> dict:
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": f"relationship--00000000-0000-4000-9000-{n:012d}",
        "created": T0,
        "modified": T0,
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target,
    }


def bundle(*objects: dict) -> dict:
    return {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-00000000000f",
        "objects": list(objects),
    }


def report_of(draft) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for o in draft.report:
        found.setdefault(o.id, []).append((o.outcome, o.detail))
    return found


def test_a_50_mb_bundle_is_refused_before_it_is_parsed():
    raw = b'{"type": "bundle", "objects": [' + b'"x",' * (50 * 2**20 // 4) + b'"x"]}'
    with pytest.raises(InvalidInput) as refused:
        intake.draft_from_bundle(raw)
    assert refused.value.message == "A bundle of at most 10 MB: this one has 50.0 MB."


def test_json_nested_too_deeply_is_refused_by_name():
    with pytest.raises(InvalidInput, match="cannot be read: The JSON nests deeper than 64 levels"):
        intake.draft_from_bundle(b"[" * 200_000 + b"]" * 200_000)
    deep: object = "x"
    for _ in range(30):
        deep = [deep]
    draft = intake.draft_from_bundle(bundle(actor(1), actor(2, x_deep=deep)))
    assert report_of(draft)[actor(2)["id"]] == [("dropped", "nested more than 20 levels")]
    assert [e["value"] for e in draft.document["entities"]] == ["Actor 1"]


def test_unknown_types_are_dropped_by_name():
    odd = {"type": "x-unheard-of", "id": "x-unheard-of--00000000-0000-4000-8000-000000000001"}
    draft = intake.draft_from_bundle(bundle(actor(1), odd))
    assert report_of(draft)[odd["id"]] == [("dropped", "no Ischia equivalent for x-unheard-of")]


def test_dangling_references_drop_the_relationship_only():
    missing = "threat-actor--00000000-0000-4000-8000-0000000000ff"
    draft = intake.draft_from_bundle(
        bundle(
            actor(1),
            actor(2),
            link(1, actor(1)["id"], missing),
            link(2, actor(1)["id"], actor(2)["id"]),
        )
    )
    found = report_of(draft)
    assert found[link(1, "", "")["id"]] == [
        ("dropped", f"its target {missing} is not in the bundle")
    ]
    assert draft.document["relations"] == [{"source": "e1", "type": "related_to", "target": "e2"}]


def test_cycles_of_relationships_import_each_link_once():
    a, b, c = (actor(n)["id"] for n in (1, 2, 3))
    draft = intake.draft_from_bundle(
        bundle(
            actor(1),
            actor(2),
            actor(3),
            link(1, a, b, "attributed-to"),
            link(2, b, c, "attributed-to"),
            link(3, c, a, "attributed-to"),
            link(4, a, a),
            link(5, a, b, "attributed-to"),
        )
    )
    assert [(r["source"], r["target"]) for r in draft.document["relations"]] == [
        ("e1", "e2"),
        ("e2", "e3"),
        ("e3", "e1"),
    ]
    found = report_of(draft)
    assert found[link(4, "", "")["id"]] == [("dropped", "it relates an object to itself")]
    assert found[link(5, "", "")["id"]][0][0] == "merged"


def test_duplicate_ids_with_different_content_name_the_object():
    same_version = intake.draft_from_bundle(
        bundle(actor(1), actor(1, name="Someone else"), actor(2))
    )
    assert report_of(same_version)[actor(1)["id"]] == [
        (
            "dropped",
            "2 different objects share this id and version: which one is meant cannot be told",
        )
    ]
    assert [e["value"] for e in same_version.document["entities"]] == ["Actor 2"]
    newer = actor(1, name="Renamed", modified="2026-05-01T00:00:00.000Z")
    versions = intake.draft_from_bundle(bundle(actor(1), newer))
    assert report_of(versions)[actor(1)["id"]][0] == (
        "merged",
        "2 versions: the newest (2026-05-01T00:00:00.000Z) is read",
    )
    assert [e["value"] for e in versions.document["entities"]] == ["Renamed"]
    revoked = actor(1, revoked=True, modified="2026-06-01T00:00:00.000Z")
    gone = intake.draft_from_bundle(bundle(actor(1), newer, revoked, actor(2)))
    assert report_of(gone)[actor(1)["id"]][-1] == ("dropped", "revoked by its creator")
    assert [e["value"] for e in gone.document["entities"]] == ["Actor 2"]


def test_nothing_is_stored_whatever_the_bundle(app, desk):
    with app.app_context(), unchanged():
        intake.draft_from_bundle(bundle(actor(1), actor(1, name="Other")))
        with pytest.raises(InvalidInput):
            intake.draft_from_bundle(json.dumps({"type": "bundle"}))
