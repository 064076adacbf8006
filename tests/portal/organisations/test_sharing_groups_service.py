"""The sharing groups service called directly: an organisation's administrator creates,
changes and deletes its groups, each change audited; anyone else is Forbidden, another
organisation's group is NotFound, bad names and members are InvalidInput or Conflict, and a
refusal writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import SharingGroup, SharingGroupMember, User
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.organisations import sharing_groups
from portal.services.organisations.sharing_groups import GroupView
from portal.services.principals import Reader
from tests.portal.service_checks import actor_of, only_record, records, unchanged


@pytest.fixture
def readers(app, people) -> dict[str, Reader]:
    for code in ("DE-BMI", "UK-HO"):
        people.org(code)
    people.org("EU-COM", kind="observer")
    ids = {
        "it.admin": people.user("admin@it.example", "org_admin", org="IT-MININT"),
        "it.officer": people.user("officer@it.example", "liaison", org="IT-MININT"),
        "fr.admin": people.user("admin@fr.example", "org_admin", org="FR-MININT"),
        "platform.admin": people.user(
            "admin@platform.example", "org_admin", org="PLATFORM-X", kind="platform"
        ),
    }
    with app.app_context():
        return {name: Reader.of(db.session.get_one(User, i)) for name, i in ids.items()}


def create(reader, name="Five Eyes", members=("fr-minint ", "DE-BMI")):
    return sharing_groups.create_group(reader, actor_of(reader), name, members)


def change(reader, group_id, name="Renamed", members=("UK-HO",)):
    sharing_groups.change_group(reader, actor_of(reader), group_id, name, members)


def test_an_administrator_creates_a_group_on_record(app, readers):
    admin = readers["it.admin"]
    with app.app_context():
        group_id = create(admin, "  Five   Eyes ")
        assert sharing_groups.groups_of(admin) == [
            GroupView(
                group_id,
                "Five Eyes",
                (("DE-BMI", "DE-BMI ministry"), ("FR-MININT", "FR-MININT ministry")),
            )
        ]
        assert sharing_groups.groups_of(readers["it.officer"])[0].member_codes == [
            "DE-BMI",
            "FR-MININT",
        ]
        record = only_record("sharing_group.created")
        assert record.outcome == "success" and record.actor_user_id == admin.user_id
        assert record.subject_org_id == admin.org_id
        assert record.details == {
            "group": group_id,
            "name": "Five Eyes",
            "members": ["DE-BMI", "FR-MININT"],
        }


def test_groups_and_addressees_are_the_organisations_own(app, readers):
    with app.app_context():
        create(readers["it.admin"])
        assert sharing_groups.groups_of(readers["fr.admin"]) == []
        assert sharing_groups.groups_of(readers["platform.admin"]) == []
        codes = [o.code for o in sharing_groups.recipient_organisations(readers["it.admin"])]
        assert codes == ["DE-BMI", "EU-COM", "FR-MININT", "UK-HO"]  # not itself, no platform


def test_only_a_ministry_or_observer_administrator_manages_groups(app, readers):
    with app.app_context():
        group_id = create(readers["it.admin"])
        for who in ("it.officer", "platform.admin"):
            reader = readers[who]
            with unchanged(), pytest.raises(Forbidden):
                create(reader, "Another")
            with unchanged(), pytest.raises(Forbidden):
                change(reader, group_id)
            with unchanged(), pytest.raises(Forbidden):
                sharing_groups.delete_group(reader, actor_of(reader), group_id)


def test_bad_names_and_members_are_refused(app, readers):
    admin = readers["it.admin"]
    with app.app_context():
        create(admin)
        other = create(admin, "Observers", ["EU-COM"])
        for name, members, error, field in [
            ("", ["FR-MININT"], InvalidInput, "name"),
            ("  \t ", ["FR-MININT"], InvalidInput, "name"),
            ("x" * 101, ["FR-MININT"], InvalidInput, "name"),
            ("five EYES", ["FR-MININT"], Conflict, "name"),  # differs only in case
            ("New", [], InvalidInput, "members"),
            ("New", [" "], InvalidInput, "members"),
            ("New", ["IT-MININT", "FR-MININT"], InvalidInput, "members"),  # itself
            ("New", ["XX-NOWHERE"], InvalidInput, "members"),
            ("New", ["PLATFORM-X"], InvalidInput, "members"),
        ]:
            with unchanged(), pytest.raises(error) as refused:
                create(admin, name, members)
            assert type(refused.value) is error and refused.value.field == field, name
            with unchanged(), pytest.raises(error) as refused:
                change(admin, other, name, members)
            assert type(refused.value) is error and refused.value.field == field, name
        assert [g.name for g in sharing_groups.groups_of(admin)] == ["Five Eyes", "Observers"]


def test_too_many_members_are_refused(app, readers, monkeypatch):
    monkeypatch.setattr(sharing_groups, "MAX_MEMBERS", 1)
    with app.app_context(), unchanged(), pytest.raises(InvalidInput, match="At most 1"):
        create(readers["it.admin"])


def test_a_group_is_renamed_and_its_members_replaced_on_record(app, readers):
    admin = readers["it.admin"]
    with app.app_context():
        group_id = create(admin)
        other = create(admin, "Observers", ["EU-COM"])
        change(admin, group_id, "FIVE EYES", ["uk-ho"])  # its own name in another case
        assert [(g.name, g.member_codes) for g in sharing_groups.groups_of(admin)] == [
            ("FIVE EYES", ["UK-HO"]),
            ("Observers", ["EU-COM"]),
        ]
        record = only_record("sharing_group.changed")
        assert record.details == {
            "group": group_id,
            "name": "FIVE EYES",
            "previous_name": "Five Eyes",
            "members": ["UK-HO"],
        }
        with unchanged(), pytest.raises(Conflict):
            change(admin, other, "five eyes", ["EU-COM"])


def test_another_organisations_group_does_not_exist(app, readers):
    admin, other = readers["it.admin"], readers["fr.admin"]
    with app.app_context():
        group_id = create(admin)
        for missing in (group_id, group_id + 1000):
            with unchanged(), pytest.raises(NotFound):
                change(other, missing, "Stolen", ["DE-BMI"])
            with unchanged(), pytest.raises(NotFound):
                sharing_groups.delete_group(other, actor_of(other), missing)
        assert sharing_groups.groups_of(admin)[0].name == "Five Eyes"


def test_deleting_a_group_removes_its_members_on_record(app, readers):
    admin = readers["it.admin"]
    with app.app_context():
        group_id = create(admin)
        assert sharing_groups.delete_group(admin, actor_of(admin), group_id) == "Five Eyes"
        assert db.session.scalars(select(SharingGroup)).all() == []
        assert db.session.scalars(select(SharingGroupMember)).all() == []
        record = only_record("sharing_group.deleted")
        assert record.details == {"group": group_id, "name": "Five Eyes"}
        assert record.subject_org_id == admin.org_id
        with unchanged(), pytest.raises(NotFound):
            sharing_groups.delete_group(admin, actor_of(admin), group_id)
        assert [r.event for r in records()][-2:] == [
            "sharing_group.created",
            "sharing_group.deleted",
        ]
