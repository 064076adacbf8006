"""The saved investigations service called directly: nodes of the organisation's own graph
saved under a name (a person as its mentions), updated by name, listed and deleted, each
change audited; InvalidInput for bad names, notes and nodes, NotFound for another
organisation's investigation or a platform partner, and nothing written on a refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Investigation
from portal.services.analysis import investigations, person_decisions
from portal.services.errors import InvalidInput, NotFound
from tests.portal.service_checks import actor_of, records, unchanged

ACCOUNT = "account:telegram:example_media"
PHONE = "phone:+33612345678"


def save(desk, who, name="Example cell", notes="Check the phone.", nodes=(ACCOUNT, PHONE)):
    reader = desk.reader(who)
    return investigations.save(reader, actor_of(reader), name, notes, list(nodes))


def test_an_investigation_is_saved_and_reopened_within_the_organisation(app, desk):
    desk.post()
    with app.app_context():
        saved = save(desk, "fr.analyst", name="  Example cell ", nodes=[PHONE, ACCOUNT, PHONE])
        assert (saved.name, saved.notes, saved.nodes) == (
            "Example cell",
            "Check the phone.",
            [ACCOUNT, PHONE],
        )
        row = db.session.get_one(Investigation, saved.id)
        assert row.org_id == desk.reader("fr.analyst").org_id
        assert row.created_by == desk.users["fr.analyst"]
        (record,) = records("investigation.saved")
        assert record.outcome == "success" and record.subject_org_id == row.org_id
        assert record.details == {"investigation": saved.id, "nodes": 2}
        colleague = desk.reader("fr.officer")
        assert investigations.one(colleague, saved.id) == saved
        assert investigations.listed(colleague) == [saved]
        assert investigations.listed(desk.reader("de.analyst")) == []


def test_saving_under_the_same_name_updates_it(app, desk):
    desk.post()
    with app.app_context():
        first = save(desk, "fr.analyst")
        again = save(desk, "fr.officer", notes="Updated.", nodes=[ACCOUNT])
        assert again.id == first.id and again.notes == "Updated." and again.nodes == [ACCOUNT]
        assert again.updated_at >= first.updated_at
        row = db.session.get_one(Investigation, first.id, populate_existing=True)
        assert row.created_by == desk.users["fr.analyst"]  # who made it stays on record
        assert [r.details["nodes"] for r in records("investigation.saved")] == [2, 1]
        other = save(desk, "fr.analyst", name="Another")
        assert [i.id for i in investigations.listed(desk.reader("fr.analyst"))] == [
            other.id,
            first.id,
        ]


def test_a_person_is_saved_as_its_mentions(app, desk):
    first = desk.post(title="First")
    second = desk.post(
        title="Second",
        entities=[
            {"ref": "p1", "type": "person", "value": "Abu Example", "role": "recruiter"},
        ],
        relations=[],
    )
    mentions = sorted([f"person:{first}:p1", f"person:{second}:p1"])
    with app.app_context():
        fr = desk.reader("fr.analyst")
        person_decisions.decide(fr, actor_of(fr), *mentions, same=True)
        saved = save(desk, "fr.analyst", nodes=[mentions[0]])  # the merged person's node
        assert saved.nodes == mentions


def test_bad_investigations_are_refused_and_nothing_is_written(app, desk, monkeypatch):
    desk.post()
    hidden = desk.post(
        "de.officer",
        ["UK-HO"],
        entities=[{"ref": "a1", "type": "account", "platform": "telegram", "value": "@hidden"}],
        relations=[],
    )
    assert hidden
    monkeypatch.setattr(investigations, "MAX_NODES", 3)
    with app.app_context():
        for name, notes, nodes, field in [
            ("", "", [ACCOUNT], "name"),
            ("   ", "", [ACCOUNT], "name"),
            ("x" * 121, "", [ACCOUNT], "name"),
            ("Case", "x" * 10_001, [ACCOUNT], "notes"),
            ("Case", "", [], "nodes"),
            ("Case", "", [ACCOUNT, PHONE, "a", "b"], "nodes"),
            ("Case", "", [ACCOUNT, 42], "nodes"),
            ("Case", "", [ACCOUNT, "x" * 600], "nodes"),
            ("Case", "", [ACCOUNT, "account:telegram:hidden"], "nodes"),  # DE's, not FR's
        ]:
            with unchanged(), pytest.raises(InvalidInput) as refused:
                save(desk, "fr.analyst", name, notes, nodes)
            assert refused.value.field == field, (name, nodes)
        with unchanged(), pytest.raises(NotFound):
            save(desk, "platform")


def test_another_organisations_investigation_does_not_exist(app, desk):
    desk.post()
    with app.app_context():
        saved = save(desk, "fr.analyst")
        for who, missing in [
            ("de.analyst", saved.id),
            ("platform", saved.id),
            ("fr.analyst", saved.id + 1000),
        ]:
            reader = desk.reader(who)
            with pytest.raises(NotFound):
                investigations.one(reader, missing)
            with unchanged(), pytest.raises(NotFound):
                investigations.delete(reader, actor_of(reader), missing)


def test_deleting_an_investigation_is_audited(app, desk):
    desk.post()
    with app.app_context():
        saved = save(desk, "fr.analyst")
        fr = desk.reader("fr.officer")
        investigations.delete(fr, actor_of(fr), saved.id)
        assert db.session.scalars(select(Investigation)).all() == []
        (record,) = records("investigation.deleted")
        assert record.details == {"investigation": saved.id}
        assert record.actor_user_id == fr.user_id and record.subject_org_id == fr.org_id
        with unchanged(), pytest.raises(NotFound):
            investigations.delete(fr, actor_of(fr), saved.id)
