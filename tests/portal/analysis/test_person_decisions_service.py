"""The "same person" decisions service called directly: suggestions from the organisation's
graph, decisions that merge or keep apart, revocation, each audited; NotFound for a node the
organisation's graph does not hold or another organisation's decision, InvalidInput and
Conflict for bad or repeated decisions, and nothing written on a refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import PersonDecision, utcnow
from portal.services import audit
from portal.services.analysis import org_graphs, person_decisions
from portal.services.errors import Conflict, InvalidInput, NotFound
from tests.portal.races import race, split
from tests.portal.service_checks import actor_of, only_record, records, unchanged

ARABIC = "أبو محمد الشامي"
LATIN = "Abu Muhammad al-Shami"


def person(name: str, handle: str) -> dict:
    return {
        "entities": [
            {"ref": "p1", "type": "person", "value": name, "date_of_birth": "1990-04-02"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": handle},
        ],
        "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
    }


@pytest.fixture
def pair(desk) -> tuple[str, str]:
    """Two spellings of one name with the same date of birth, both sent to FR and DE."""
    arabic = desk.post(title="Arabic spelling", **person(ARABIC, "@first_acc"))
    latin = desk.post(title="Latin spelling", **person(LATIN, "@second_acc"))
    return f"person:{arabic}:p1", f"person:{latin}:p1"


def decide(desk, who, first, second, *, same=True, note=""):
    reader = desk.reader(who)
    return person_decisions.decide(reader, actor_of(reader), first, second, same=same, note=note)


def neighbours(desk, who, node) -> set[str]:
    with org_graphs.reading(desk.reader(who)) as g:
        return set(g.neighbors(node)) if node in g else set()


def test_a_confirmed_pair_is_merged_on_record(app, desk, pair):
    arabic, latin = pair
    with app.app_context():
        (suggested, *_) = person_decisions.suggestions(desk.reader("fr.analyst"), arabic)
        assert suggested["node"] == latin and suggested["label"] == LATIN
        assert suggested["score"] > 0 and suggested["reasons"]
        decision_id = decide(desk, "fr.analyst", latin, arabic, note="  same DOB  ")
        row = db.session.get_one(PersonDecision, decision_id)
        assert (row.first, row.second) == tuple(sorted(pair))
        assert (row.same, person_decisions.note_of(row), row.revoked_at) == (True, "same DOB", None)
        assert row.note_sealed and b"DOB" not in row.note_sealed  # sealed at rest
        assert row.decided_by == desk.users["fr.analyst"]
        record = only_record("person.same")
        assert record.outcome == "success" and record.subject_org_id == row.org_id
        assert record.details == {"decision": decision_id, "first": row.first, "second": row.second}
        merged = min(pair)  # a merged person takes the smallest mention id
        assert {"account:telegram:first_acc", "account:telegram:second_acc"} <= neighbours(
            desk, "fr.analyst", merged
        )
        (listed,) = person_decisions.decisions_about(desk.reader("fr.analyst"), merged)
        assert (listed["id"], listed["same"], listed["by"]) == (decision_id, True, "Analyst")
        assert listed["note"] == "same DOB"
        # DE's graph follows none of FR's decisions.
        assert "account:telegram:first_acc" not in neighbours(desk, "de.analyst", latin)
        assert person_decisions.decisions_about(desk.reader("de.analyst"), latin) == []


def test_a_rejected_pair_is_no_longer_suggested(app, desk, pair):
    arabic, latin = pair
    with app.app_context():
        fr = desk.reader("fr.analyst")
        decision_id = decide(desk, "fr.analyst", arabic, latin, same=False)
        assert only_record("person.different").details["decision"] == decision_id
        assert latin not in {s["node"] for s in person_decisions.suggestions(fr, arabic)}
        assert [d["same"] for d in person_decisions.decisions_about(fr, latin)] == [False]
        assert neighbours(desk, "fr.analyst", arabic) == {"account:telegram:first_acc"}
        # DE was not asked: the pair is still suggested there.
        de = desk.reader("de.analyst")
        assert latin in {s["node"] for s in person_decisions.suggestions(de, arabic)}


def test_a_pair_is_decided_once_until_revoked(app, desk, pair):
    arabic, latin = pair
    with app.app_context():
        decision_id = decide(desk, "fr.analyst", arabic, latin, same=False)
        for first, second, same in [(arabic, latin, True), (latin, arabic, False)]:
            with unchanged(), pytest.raises(Conflict, match="revoke that decision first") as no:
                decide(desk, "fr.officer", first, second, same=same)
            assert no.value.message.startswith("Analyst decided on ")  # the one that stands
            assert "that these are different persons" in no.value.message
        fr = desk.reader("fr.analyst")
        person_decisions.revoke(fr, actor_of(fr), decision_id)
        row = db.session.get_one(PersonDecision, decision_id, populate_existing=True)
        assert row.revoked_at is not None and row.revoked_by == fr.user_id
        record = only_record("person.decision_revoked")
        assert record.details == {"decision": decision_id} and record.actor_user_id == fr.user_id
        assert latin in {s["node"] for s in person_decisions.suggestions(fr, arabic)}
        with unchanged(), pytest.raises(Conflict, match="revoked already"):
            person_decisions.revoke(fr, actor_of(fr), decision_id)
        decide(desk, "fr.analyst", arabic, latin, same=True)  # may be decided anew
        assert len(db.session.scalars(select(PersonDecision)).all()) == 2


def test_bad_decisions_are_refused_and_nothing_is_written(app, desk, pair):
    arabic, latin = pair
    hidden = desk.post(
        "it.officer", ["UK-HO"], title="Not for FR", **person("Someone Else", "@hidden_acc")
    )
    with app.app_context():
        for first, second, note, error, field in [
            (arabic, latin, "x" * 501, InvalidInput, "note"),
            (arabic, arabic, "", InvalidInput, "second"),
            ("person:nothing:p1", latin, "", NotFound, "first"),
            (arabic, "account:telegram:second_acc", "", NotFound, "second"),
            (arabic, f"person:{hidden}:p1", "", NotFound, "second"),  # not in FR's graph
        ]:
            with unchanged(), pytest.raises(error) as refused:
                decide(desk, "fr.analyst", first, second, note=note)
            assert refused.value.field == field
        fr = desk.reader("fr.analyst")
        for node in ("account:telegram:first_acc", f"person:{hidden}:p1"):
            with pytest.raises(NotFound):
                person_decisions.suggestions(fr, node)
            with pytest.raises(NotFound):
                person_decisions.decisions_about(fr, node)
        with pytest.raises(NotFound):  # a platform partner's graph is empty
            person_decisions.suggestions(desk.reader("platform"), arabic)


def test_another_organisations_decision_cannot_be_revoked(app, desk, pair):
    with app.app_context():
        decision_id = decide(desk, "fr.analyst", *pair)
        de = desk.reader("de.analyst")
        for missing in (decision_id, decision_id + 1000):
            with unchanged(), pytest.raises(NotFound):
                person_decisions.revoke(de, actor_of(de), missing)
        assert db.session.get_one(PersonDecision, decision_id).revoked_at is None


@pytest.mark.parametrize("answers", [(True, True), (True, False)], ids=["same", "different"])
def test_two_analysts_deciding_a_pair_at_once_leave_one_decision(app, desk, pair, answers):
    arabic, latin = pair
    who = ["fr.analyst", "fr.officer"]
    outcomes = race(
        app,
        *[
            lambda w=w, same=same: decide(desk, w, arabic, latin, same=same)
            for w, same in zip(who, answers, strict=True)
        ],
    )
    (decision_id,), (refused,) = split(outcomes)
    assert type(refused) is Conflict
    winner = outcomes.index(decision_id)
    says = "the same person" if answers[winner] else "different persons"
    name = "Analyst" if who[winner] == "fr.analyst" else "Officer"
    assert refused.message.startswith(f"{name} decided on ")
    assert f"that these are {says}: revoke that decision first" in refused.message
    with app.app_context():
        (row,) = db.session.scalars(select(PersonDecision)).all()
        assert (row.id, row.same, row.decided_by) == (
            decision_id,
            answers[winner],
            desk.users[who[winner]],
        )
        assert len(records("person.same", "person.different")) == 1
        assert audit.verify_chain().problem is None


def test_the_database_holds_one_live_decision_per_pair(app, desk, pair):
    low, high = sorted(pair)
    fr = desk.reader("fr.analyst")
    row = {"org_id": fr.org_id, "first": low, "second": high, "same": True}
    row |= {"decided_by": fr.user_id, "decided_at": utcnow()}
    with app.app_context():
        with db.write() as session:
            session.execute(insert(PersonDecision), [row | {"revoked_at": utcnow()}])
            session.execute(insert(PersonDecision), [row])  # a revoked one does not count
        with unchanged(), pytest.raises(IntegrityError), db.write() as session:
            session.execute(insert(PersonDecision), [row | {"same": False}])
        de = desk.reader("de.analyst")  # another organisation decides on its own
        with db.write() as session:
            session.execute(insert(PersonDecision), [row | {"org_id": de.org_id}])


def test_a_merge_reads_back_only_what_the_organisation_opened(app, desk, pair):
    """The organisation's graph keeps no relations; a merge re-reads its bulletins with the
    organisation's own key: a bulletin only DE reads never enters FR's graph, and DE's graph
    does not move."""
    arabic, latin = pair
    canary = desk.post(
        recipients=("DE-BMI",), title="DE only", **person("Kanarienvogel Nurdeutsch", "@canary_de")
    )
    with app.app_context():
        with org_graphs.reading(desk.reader("de.analyst")) as g:
            de_before = sorted(g.edges(keys=True, data="reports"))
            assert "account:telegram:canary_de" in g
        with org_graphs.reading(desk.reader("fr.analyst")) as g:
            assert all(r.relations == () for r in g.graph["bulletins"].values())
        decide(desk, "fr.analyst", latin, arabic)
        with org_graphs.reading(desk.reader("fr.analyst")) as g:
            merged = min(pair)
            assert max(pair) not in g
            assert {"account:telegram:first_acc", "account:telegram:second_acc"} <= set(
                g.successors(merged)
            )
            assert canary not in g.graph["bulletins"] and "account:telegram:canary_de" not in g
            assert "Kanarienvogel" not in repr(list(g.nodes(data=True)))
        with org_graphs.reading(desk.reader("de.analyst")) as g:
            assert sorted(g.edges(keys=True, data="reports")) == de_before
            assert latin in g and arabic in g  # FR's decision merges nothing for DE
