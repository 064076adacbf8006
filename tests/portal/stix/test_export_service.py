"""The STIX export service called directly: readable bulletins as one valid STIX 2.1 bundle,
shared observables once, the same ids every time, audited when an actor asks; InvalidInput
for no or too many ids, NotFound for a bulletin the reader cannot see, Conflict for one that
does not open, and nothing written on a refusal."""

from __future__ import annotations

import pytest
import stix2

from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.stix import export, intake
from portal.services.stix import vocabulary as vocab
from tests.portal.bulletins.sessions import amend, retract
from tests.portal.service_checks import actor_of, flip_content, only_record, records, unchanged

ACCOUNT = [{"ref": "a1", "type": "account", "platform": "telegram", "value": "@Shami_Media"}]


def of_type(bundle, kind):
    return [o for o in bundle["objects"] if o["type"] == kind]


def test_a_bulletin_becomes_a_valid_bundle_by_its_sending_ministry(app, desk):
    bulletin_id = desk.post(title="STIX export", marking="TLP:AMBER", category="financing")
    with app.app_context(), unchanged():
        bundle = export.bundle(desk.reader("fr.analyst"), [bulletin_id])
        assert bundle["type"] == "bundle"
        for obj in bundle["objects"]:
            stix2.parse(obj, allow_custom=True, version="2.1")
        (report,) = of_type(bundle, "report")
        assert report["id"] == vocab.object_id("report", bulletin_id)
        assert (report["name"], report["labels"]) == ("STIX export", ["financing"])
        assert report["object_marking_refs"] == [vocab.TLP_IDS["TLP:AMBER"]]
        assert report["external_references"][0]["external_id"] == bulletin_id
        sender = next(o for o in bundle["objects"] if o["id"] == report["created_by_ref"])
        assert sender["extensions"][vocab.ISCHIA_EXTENSION]["code"] == "IT-MININT"
        assert not [k for o in bundle["objects"] for k in o if k.startswith("x_")]
        assert sender["identity_class"] == "organization"
        (marking,) = of_type(bundle, "marking-definition")
        assert marking["name"] == "TLP:AMBER"
        # The document's person is a recruiter: a threat actor; its phone an identity whose
        # contact information names the number, as MISP writes a person's phone.
        (actor,) = of_type(bundle, "threat-actor")
        assert actor["name"] == "Abu Example"
        (phone,) = [o for o in of_type(bundle, "identity") if o["name"] == "+33612345678"]
        assert phone["id"] == vocab.phone_id("+33612345678")
        assert phone["contact_information"] == "phone-number: +33612345678"
        assert (phone["identity_class"], "created_by_ref" in phone) == ("unknown", False)
        assert len(of_type(bundle, "relationship")) == 2
        refs = set(report["object_refs"])
        assert {o["id"] for o in bundle["objects"] if o["type"] != "marking-definition"} - {
            vocab.ISCHIA_IDENTITY,
            vocab.ISCHIA_EXTENSION,
            report["id"],
        } <= refs
        # The same bulletins give the same bundle, whoever among its readers asks.
        assert export.bundle(desk.reader("de.analyst"), [bulletin_id, bulletin_id]) == bundle


def test_an_observable_named_by_two_ministries_appears_once(app, desk):
    first = desk.post(entities=ACCOUNT, relations=[])
    second = desk.post(
        "de.officer",
        ["FR-MININT"],
        entities=[{"ref": "x9", "type": "account", "platform": "telegram", "value": "shami_media"}],
        relations=[],
        marking="TLP:GREEN",
    )
    with app.app_context():
        bundle = export.bundle(desk.reader("fr.analyst"), [first, second])
    (account,) = of_type(bundle, "user-account")
    reports = of_type(bundle, "report")
    assert len(reports) == 2 and all(account["id"] in r["object_refs"] for r in reports)
    assert {m["name"] for m in of_type(bundle, "marking-definition")} == {
        "TLP:AMBER",
        "TLP:GREEN",
    }
    codes = {
        i["extensions"][vocab.ISCHIA_EXTENSION]["code"]
        for i in of_type(bundle, "identity")
        if i["id"] != vocab.ISCHIA_IDENTITY
    }
    assert codes == {"IT-MININT", "DE-BMI"}
    # Named in an AMBER and a GREEN bulletin: it carries the stricter of the two.
    assert account["object_marking_refs"] == [vocab.TLP_IDS["TLP:AMBER"]]


def test_an_export_asked_by_an_actor_is_audited(app, desk):
    first, second = desk.post(), desk.post(title="Second")
    with app.app_context():
        fr = desk.reader("fr.analyst")
        export.bundle(fr, [first])
        assert records("stix.exported") == []  # no actor: a derived use, not recorded
        export.bundle(fr, [second, first, second], actor=actor_of(fr))
        record = only_record("stix.exported")
        assert record.outcome == "success" and record.actor_user_id == fr.user_id
        assert record.subject_org_id == fr.org_id
        assert record.details == {"bulletins": [second, first]}


def test_bad_selections_are_refused_and_nothing_is_written(app, desk, monkeypatch):
    readable = desk.post()
    hidden = desk.post(recipients=["UK-HO"])
    monkeypatch.setattr(export, "MAX_BULLETINS", 1)
    with app.app_context():
        fr = desk.reader("fr.analyst")
        for ids, error, field in [
            ([], InvalidInput, "ids"),
            ([readable, hidden], InvalidInput, "ids"),  # more than MAX_BULLETINS
            ([hidden], NotFound, None),
            (["0" * 32], NotFound, None),
            (["../etc"], NotFound, None),
        ]:
            with unchanged(), pytest.raises(error) as refused:
                export.bundle(fr, ids, actor=actor_of(fr))
            assert refused.value.field == field
        platform = desk.reader("platform")
        with unchanged(), pytest.raises(NotFound):
            export.bundle(platform, [readable], actor=actor_of(platform))


def test_a_bulletin_that_does_not_open_is_not_exported(app, desk):
    kept, broken = desk.post(), desk.post()
    with app.app_context():
        flip_content(broken)
        fr = desk.reader("fr.analyst")
        with unchanged(), pytest.raises(Conflict) as refused:
            export.bundle(fr, [kept, broken], actor=actor_of(fr))
        assert broken in refused.value.message and refused.value.field == "ids"


def test_a_phone_number_comes_back_as_the_same_phone_with_the_same_id(app, desk):
    bulletin_id = desk.post()  # the desk's document: a recruiter who contacted a phone
    with app.app_context():
        bundle = export.bundle(desk.reader("fr.analyst"), [bulletin_id])
    draft = intake.draft_from_bundle(bundle)
    (phone,) = [e for e in draft.document["entities"] if e["type"] == "phone"]
    assert phone["ref"] == "t1"
    assert {"source": "p1", "type": "contacted", "target": "t1"} in draft.document["relations"]
    assert not [o for o in draft.report if o.outcome == "dropped"]
    again = desk.post(
        "fr.officer", ("IT-MININT",), **{k: draft.document[k] for k in ("entities", "relations")}
    )
    with app.app_context():
        bundle_again = export.bundle(desk.reader("fr.analyst"), [again])
    (first,) = [o for o in of_type(bundle, "identity") if o["name"] == "+33612345678"]
    (second,) = [o for o in of_type(bundle_again, "identity") if o["name"] == "+33612345678"]
    assert first == second and first["id"] == vocab.phone_id("+33612345678")


def test_an_amendment_is_a_new_version_of_the_same_objects(app, desk):
    first = desk.post()
    second = amend(desk, first, title="Amended")
    with app.app_context():
        bundle = export.bundle(desk.reader("fr.analyst"), [first, second])
    by_version: dict[str, dict[str, dict]] = {}
    for obj in bundle["objects"]:
        if "created_by_ref" in obj and "modified" in obj and obj["type"] != "extension-definition":
            by_version.setdefault(obj["id"], {})[obj["modified"]] = obj
    (report_id,) = [i for i in by_version if i.startswith("report--")]
    assert report_id == vocab.object_id("report", first)
    old, new = (by_version[report_id][v] for v in sorted(by_version[report_id]))
    assert old["name"] != new["name"] == "Amended"
    assert old["created"] == new["created"] < new["modified"]
    # Every object of the bulletin: two versions, one id.
    assert all(len(versions) == 2 for versions in by_version.values())


def test_a_retracted_bulletin_is_its_report_revoked(app, desk):
    kept, retracted = desk.post(), desk.post(title="To be retracted")
    with app.app_context():
        before = export.bundle(desk.reader("fr.analyst"), [retracted])
    retract(desk, retracted)
    with app.app_context():
        fr = desk.reader("fr.analyst")
        bundle = export.bundle(fr, [kept, retracted], actor=actor_of(fr))
    (was,) = of_type(before, "report")
    revoked = next(o for o in of_type(bundle, "report") if o["id"] == was["id"])
    assert revoked["revoked"] is True and revoked["modified"] > was["modified"]
    assert revoked["created"] == was["created"] and "To be retracted" not in str(revoked)
    stix2.parse(revoked, allow_custom=False, version="2.1")
