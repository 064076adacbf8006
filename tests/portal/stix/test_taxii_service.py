"""The TAXII service called directly: one collection per sending organisation the reader
receives from, pages that follow arrival with cursors, objects found by id, reads audited,
and posting to one's own outbox sealing a bulletin with a status; NotFound, InvalidInput and
Forbidden for the rest, with nothing written (a failed post keeps only its status)."""

from __future__ import annotations

import pytest

from portal.models import utcnow
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.stix import export, taxii
from portal.services.stix import vocabulary as vocab
from portal.services.stix.taxii import Cursor, Match
from tests.portal.bulletins.sessions import amend, retract
from tests.portal.service_checks import (
    actor_of,
    flip_content,
    only_record,
    records,
    snapshot,
    unchanged,
)


def entities(handle: str) -> dict:
    return {
        "entities": [
            {"ref": "p1", "type": "person", "value": f"Person {handle}", "role": "recruiter"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": f"@{handle}"},
        ],
        "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
    }


def titled(reader) -> dict[str, taxii.Collection]:
    return {c.title: c for c in taxii.collections(reader)}


def everything(reader, found, **kwargs):
    return taxii.page(
        reader, found, added_after=None, limit=1000, cursor=None, match=Match(), **kwargs
    )


def reports(page) -> list[str]:
    return [o["name"] for o, _ in page.objects if o["type"] == "report"]


def test_collections_are_the_senders_the_reader_receives_from_and_its_outbox(app, desk):
    desk.post(recipients=["FR-MININT"], **entities("a"))
    desk.post("de.officer", ["UK-HO"], **entities("b"))
    with app.app_context(), unchanged():
        fr = desk.reader("fr.analyst")
        found = titled(fr)
        assert set(found) == {"Bulletins from FR-MININT (your outbox)", "Bulletins from IT-MININT"}
        outbox, from_it = (
            found["Bulletins from FR-MININT (your outbox)"],
            found["Bulletins from IT-MININT"],
        )
        assert outbox.can_write and not from_it.can_write
        assert from_it.resource()["can_write"] is False and from_it.resource()["can_read"]
        assert taxii.collection(fr, from_it.id) == from_it
        assert taxii.collection(fr, outbox.id) == outbox
        assert taxii.collections(desk.reader("platform")) == []
        de_outbox = titled(desk.reader("de.analyst"))["Bulletins from DE-BMI (your outbox)"]
        for reader, collection_id in [
            (fr, de_outbox.id),  # FR receives nothing from DE
            (fr, "not-a-collection"),
            (desk.reader("platform"), from_it.id),
        ]:
            with pytest.raises(NotFound) as refused:
                taxii.collection(reader, collection_id)
            assert refused.value.field == "collection"


def test_pages_follow_arrival_and_cursors_resume_where_a_page_stopped(app, desk):
    for i in range(3):
        desk.post(title=f"Page {i}", recipients=["FR-MININT"], **entities(f"page_{i}"))
    with app.app_context(), unchanged():
        fr = desk.reader("fr.analyst")
        found = titled(fr)["Bulletins from IT-MININT"]
        full = everything(fr, found)
        assert reports(full) == ["Page 0", "Page 1", "Page 2"] and not full.more
        assert len(full.opened) == 3 and full.next is None
        seen, cursor = [], None
        while True:
            page = taxii.page(fr, found, added_after=None, limit=4, cursor=cursor, match=Match())
            assert len(page.objects) <= 4
            seen += [o["id"] for o, _ in page.objects]
            if not page.more:
                break
            cursor = Cursor.decode(page.next)
        # Pages repeat what they share (the sender, markings): each one stands on its own.
        assert list(dict.fromkeys(seen)) == [o["id"] for o, _ in full.objects]
        only = taxii.page(
            fr,
            found,
            added_after=None,
            limit=10,
            cursor=None,
            match=Match(types=frozenset({"report"})),
        )
        assert [o["type"] for o, _ in only.objects] == ["report"] * 3
        added = [when for _, when in full.objects]
        later = taxii.page(fr, found, added_after=max(added), limit=10, cursor=None, match=Match())
        assert later.objects == [] and not later.more


def test_bad_limits_and_cursors_are_invalid_input(app, desk):
    desk.post(recipients=["FR-MININT"])
    with app.app_context(), unchanged():
        fr = desk.reader("fr.analyst")
        found = titled(fr)["Bulletins from IT-MININT"]
        for limit in (0, -1, taxii.MAX_LIMIT + 1):
            with pytest.raises(InvalidInput) as refused:
                taxii.page(fr, found, added_after=None, limit=limit, cursor=None, match=Match())
            assert refused.value.field == "limit"
        for text in ("zzz", "", Cursor(utcnow(), "x", 0).encode()[:-4] + "!!!!"):
            with pytest.raises(InvalidInput) as refused:
                Cursor.decode(text)
            assert refused.value.field == "next"
        back = Cursor(utcnow(), "a" * 32, 3)
        assert Cursor.decode(back.encode()) == back


def test_only_current_bulletins_that_verify_are_served(app, desk):
    kept = desk.post(title="Kept", recipients=["FR-MININT"])
    replaced = desk.post(title="Replaced", recipients=["FR-MININT"])
    amend(desk, replaced, title="Replacement", recipients=["FR-MININT"])
    gone = desk.post(title="Retracted", recipients=["FR-MININT"])
    retract(desk, gone)
    broken = desk.post(title="Tampered", recipients=["FR-MININT"])
    with app.app_context():
        flip_content(broken)
        fr = desk.reader("fr.analyst")
        page = everything(fr, titled(fr)["Bulletins from IT-MININT"])
        # The last version of each: the amendment, and the retracted one's revoked report.
        assert sorted(reports(page)) == ["Kept", "Replacement", "Retracted bulletin"]
        assert kept in page.opened and replaced not in page.opened and gone not in page.opened
        revoked = next(o for o, _ in page.objects if o.get("name") == "Retracted bulletin")
        assert revoked["revoked"] and revoked["id"] == vocab.object_id("report", gone)


def test_reads_are_audited_once_per_request(app, desk):
    first = desk.post(recipients=["FR-MININT"])
    second = desk.post(recipients=["FR-MININT"])
    with app.app_context():
        fr = desk.reader("fr.analyst")
        found = titled(fr)["Bulletins from IT-MININT"]
        with unchanged():
            taxii.record_reads(fr, actor_of(fr), found, [])  # nothing decrypted: no record
        taxii.record_reads(fr, actor_of(fr), found, everything(fr, found).opened)
        record = only_record("taxii.objects_read")
        assert record.details == {"collection": found.id, "bulletins": [first, second]}
        assert record.actor_user_id == fr.user_id and record.subject_org_id == found.sender_id


def test_an_object_is_found_by_id_in_its_collection_only(app, desk):
    bulletin_id = desk.post(recipients=["FR-MININT", "DE-BMI"], **entities("shared"))
    desk.post("de.officer", ["FR-MININT"], **entities("shared"))
    with app.app_context(), unchanged():
        fr = desk.reader("fr.analyst")
        collections = titled(fr)
        from_it, from_de = (
            collections["Bulletins from IT-MININT"],
            collections["Bulletins from DE-BMI"],
        )
        report_id = vocab.object_id("report", bulletin_id)
        ((found, _),) = taxii.find_object(fr, from_it, report_id)
        assert found["external_references"][0]["external_id"] == bulletin_id
        account = next(  # both bulletins are TLP:AMBER: one copy of the account
            o["id"] for o, _ in everything(fr, from_it).objects if o["type"] == "user-account"
        )
        assert [o["id"] for o, _ in taxii.find_object(fr, from_de, account)] == [account]
        for collection, object_id in [
            (from_de, report_id),  # IT's report is not in DE's collection
            (from_it, "report--00000000-0000-4000-8000-000000000000"),
            (from_it, "not an id"),
        ]:
            with pytest.raises(NotFound) as refused:
                taxii.find_object(fr, collection, object_id)
            assert refused.value.field == "object"


def envelope(desk, bulletin_id, **report_fields):
    """The STIX objects of a bulletin FR can read, with the report changed as asked."""
    bundle = export.bundle(desk.reader("fr.analyst"), [bulletin_id])
    objects = []
    for obj in bundle["objects"]:
        if obj["type"] == "report":
            obj = {k: v for k, v in {**obj, **report_fields}.items() if v is not None}
        objects.append(obj)
    return {"objects": objects}


def post(desk, who, found, envelope, *, can_write=True):
    reader = desk.reader(who)
    return taxii.post_objects(reader, actor_of(reader), found, envelope, can_write=can_write)


def test_posting_to_the_own_outbox_seals_a_bulletin_with_a_status(app, desk):
    source = desk.post(recipients=["FR-MININT"], **entities("posted"))
    with app.app_context():
        officer = desk.reader("fr.officer")
        outbox = titled(officer)["Bulletins from FR-MININT (your outbox)"]
        sent = envelope(desk, source, name="Posted over TAXII", x_ischia_recipients=["DE-BMI"])
        status = post(desk, "fr.officer", outbox, sent)
        assert (status.status, status.total, status.failures) == (
            "complete",
            len(sent["objects"]),
            [],
        )
        assert len(status.successes) == len(sent["objects"])
        source_record, posted = records("bulletin.posted")
        assert source_record.details["bulletin"] == source
        assert posted.actor_user_id == officer.user_id
        assert posted.details["recipients"] == ["DE-BMI"]
        assert posted.details["marking"] == "TLP:AMBER"
        assert all(
            s["message"].startswith(f"bulletin {posted.details['bulletin']}: ")
            for s in status.successes
        )
        assert taxii.status_of(officer, status.id).successes == status.successes
        assert reports(everything(officer, outbox)) == ["Posted over TAXII"]
        for who in ("fr.analyst", "de.officer"):
            with unchanged(), pytest.raises(NotFound):
                taxii.status_of(desk.reader(who), status.id)


def test_a_post_that_cannot_be_sealed_is_a_failed_status_and_nothing_else(app, desk):
    source = desk.post(recipients=["FR-MININT"], **entities("failing"))
    with app.app_context():
        outbox = titled(desk.reader("fr.officer"))["Bulletins from FR-MININT (your outbox)"]
        for changes, message in [
            ({}, "x_ischia_recipients"),
            ({"x_ischia_recipients": "DE-BMI"}, "x_ischia_recipients"),
            ({"x_ischia_recipients": ["XX-NOWHERE"]}, "No organisation XX-NOWHERE"),
            ({"x_ischia_recipients": ["DE-BMI"], "object_marking_refs": None}, "TLP marking"),
        ]:
            sent = envelope(desk, source, **changes)
            if "object_marking_refs" in changes:
                sent["objects"] = [
                    {k: v for k, v in o.items() if k != "object_marking_refs"}
                    for o in sent["objects"]
                ]
            before = snapshot()
            status = post(desk, "fr.officer", outbox, sent)
            after = snapshot()
            assert status.successes == [] and len(status.failures) == len(sent["objects"])
            assert all(message in f["message"] for f in status.failures), status.failures
            changed = {name for name in before if before[name] != after[name]}
            assert changed == {"taxii_statuses"}  # the status, and nothing sealed or audited
        assert records("bulletin.posted")[-1].details["bulletin"] == source


def test_writing_is_forbidden_outside_the_own_outbox_and_for_read_tokens(app, desk):
    source = desk.post(recipients=["FR-MININT"])
    with app.app_context():
        collections = titled(desk.reader("fr.officer"))
        outbox = collections["Bulletins from FR-MININT (your outbox)"]
        sent = envelope(desk, source, x_ischia_recipients=["DE-BMI"])
        for who, found, can_write in [
            ("fr.officer", outbox, False),  # a read-only token
            ("fr.officer", collections["Bulletins from IT-MININT"], True),
            ("fr.analyst", outbox, True),  # only liaison officers post bulletins
        ]:
            with unchanged(), pytest.raises(Forbidden):
                post(desk, who, found, sent, can_write=can_write)
        for bad in (None, [], {"objects": {"a": 1}}, {"items": []}):
            with unchanged(), pytest.raises(InvalidInput) as refused:
                post(desk, "fr.officer", outbox, bad)
            assert refused.value.field == "objects"


def test_match_version_shows_the_versions_of_an_amended_bulletin(app, desk):
    first = desk.post(title="First", recipients=["FR-MININT"])
    amend(desk, first, title="Second", recipients=["FR-MININT"])
    report_id = vocab.object_id("report", first)
    with app.app_context(), unchanged():
        fr = desk.reader("fr.analyst")
        found = titled(fr)["Bulletins from IT-MININT"]

        def listed(*versions: str) -> list[str]:
            match = Match(versions=frozenset(versions))
            page = taxii.page(fr, found, added_after=None, limit=1000, cursor=None, match=match)
            return reports(page)

        assert listed() == listed("last") == ["Second"]
        assert listed("first") == ["First"]
        assert listed("all") == listed("first", "last") == ["First", "Second"]
        every = taxii.find_object(fr, found, report_id, Match(versions=frozenset({"all"})))
        assert [(o["name"], o["id"]) for o, _ in every] == [
            ("First", report_id),
            ("Second", report_id),
        ]
        old, new = (o["modified"] for o, _ in every)
        assert old < new
        assert [o["name"] for o, _ in taxii.find_object(fr, found, report_id)] == ["Second"]
        exact = Match(versions=frozenset({old}))
        assert [o["name"] for o, _ in taxii.find_object(fr, found, report_id, exact)] == ["First"]
        assert listed(old) == ["First"]


def test_an_observable_of_two_bulletins_is_one_object_on_a_page_and_by_id(app, desk):
    desk.post(recipients=["FR-MININT"], **entities("twice"))
    desk.post(recipients=["FR-MININT"], **entities("twice"))
    with app.app_context(), unchanged():
        fr = desk.reader("fr.analyst")
        found = titled(fr)["Bulletins from IT-MININT"]
        accounts = [
            o["id"] for o, _ in everything(fr, found).objects if o["type"] == "user-account"
        ]
        assert len(accounts) == 1
        every = Match(versions=frozenset({"all"}))
        assert len(taxii.find_object(fr, found, accounts[0], every)) == 1


def test_an_observable_of_bulletins_marked_differently_is_one_copy_per_marking(app, desk):
    """A value-defined object has no version of its own, so one id must always carry the same
    content: bulletins with different markings each reference the copy marked as they are,
    on whichever page it falls, and by id."""
    desk.post(recipients=["FR-MININT"], marking="TLP:GREEN", **entities("marked"))
    desk.post(recipients=["FR-MININT"], marking="TLP:AMBER+STRICT", **entities("marked"))
    with app.app_context(), unchanged():
        fr = desk.reader("fr.analyst")
        found = titled(fr)["Bulletins from IT-MININT"]
        served: dict[str, list[dict]] = {}
        cursor = None
        while True:  # one object a page: the two bulletins' objects on different pages
            one = taxii.page(fr, found, added_after=None, limit=1, cursor=cursor, match=Match())
            for obj, _ in one.objects:
                served.setdefault(obj["id"], []).append(obj)
            if not one.more:
                break
            cursor = Cursor.decode(one.next)
        for copies in served.values():
            assert all(copy == copies[0] for copy in copies)  # one id, one content
        accounts = {
            vocab.TLP_OF_ID[o[0]["object_marking_refs"][0]]: o[0]["id"]
            for o in served.values()
            if o[0]["type"] == "user-account"
        }
        assert set(accounts) == {"TLP:GREEN", "TLP:AMBER+STRICT"}
        for copies in served.values():
            report = copies[0]
            if report["type"] != "report":
                continue
            marking = vocab.TLP_OF_ID[report["object_marking_refs"][0]]
            refs = set(report["object_refs"])
            assert accounts[marking] in refs and set(accounts.values()) - {accounts[marking]} - refs
        for marking, account_id in accounts.items():
            ((obj, _),) = taxii.find_object(
                fr, found, account_id, Match(versions=frozenset({"all"}))
            )
            assert obj["object_marking_refs"] == [vocab.TLP_IDS[marking]]
