"""Sharing groups: an org_admin keeps them, liaison officers address bulletins to them."""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditRecord,
    Bulletin,
    BulletinRecipient,
    Organisation,
    SharingGroup,
    SharingGroupMember,
)
from tests.portal.bulletins.compose_posts import (
    counts,
    fields,
    latest,
    no_inline_code,
    page_token,
    post,
)
from tests.portal.bulletins.form_state import FormState
from tests.portal.conftest import csrf_token


@pytest.fixture
def admins(desk, people):
    people.user("admin@it.example", "org_admin", org="IT-MININT")
    people.user("admin@fr.example", "org_admin", org="FR-MININT")
    people.user("admin@platform.example", "org_admin", org="PLATFORM-X", kind="platform")
    people.org("EU-COM", "observer")
    return desk


def groups_of(app, code: str) -> dict[str, list[str]]:
    with app.app_context():
        session = db.session()
        owner = session.scalar(select(Organisation.id).where(Organisation.code == code))
        found = {}
        for group in session.scalars(
            select(SharingGroup).where(SharingGroup.owner_org_id == owner)
        ):
            found[group.name] = sorted(
                session.scalars(
                    select(Organisation.code)
                    .join(SharingGroupMember, SharingGroupMember.org_id == Organisation.id)
                    .where(SharingGroupMember.group_id == group.id)
                )
            )
        return found


def group_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(SharingGroup.id).where(SharingGroup.name == name))


def events(app, name: str) -> list[dict]:
    with app.app_context():
        return [
            r.details
            for r in db.session.scalars(select(AuditRecord).where(AuditRecord.event == name))
        ]


def create(client, name: str, members: list[str]):
    token = csrf_token(client.get("/bulletins/groups").text)
    return client.post(
        "/bulletins/groups",
        data={"new-csrf_token": token, "new-name": name, "new-members": members},
    )


def test_admin_creates_changes_and_deletes_a_group(app, client, auth, admins):
    auth.sign_in("admin@it.example")
    page = client.get("/bulletins/groups")
    assert page.status_code == 200 and "Sharing groups of IT-MININT" in page.text
    assert "PLATFORM-X" not in page.text and 'value="IT-MININT"' not in page.text
    no_inline_code(page.text)

    response = create(client, "Schengen partners", ["FR-MININT", "DE-BMI"])
    assert response.status_code == 302
    assert groups_of(app, "IT-MININT") == {"Schengen partners": ["DE-BMI", "FR-MININT"]}
    assert events(app, "sharing_group.created")[0]["members"] == ["DE-BMI", "FR-MININT"]
    listing = client.get("/bulletins/groups").text
    assert "Schengen partners" in listing and "DE-BMI" in listing

    gid = group_id(app, "Schengen partners")
    token = csrf_token(listing)
    response = client.post(
        f"/bulletins/groups/{gid}",
        data={
            f"g{gid}-csrf_token": token,
            f"g{gid}-name": "Core partners",
            f"g{gid}-members": ["DE-BMI", "EU-COM"],
        },
    )
    assert response.status_code == 302
    assert groups_of(app, "IT-MININT") == {"Core partners": ["DE-BMI", "EU-COM"]}
    changed = events(app, "sharing_group.changed")[0]
    assert changed["previous_name"] == "Schengen partners" and changed["name"] == "Core partners"

    response = client.post(f"/bulletins/groups/{gid}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert groups_of(app, "IT-MININT") == {}
    assert events(app, "sharing_group.deleted")[0]["name"] == "Core partners"


@pytest.mark.parametrize(
    ("name", "members", "status", "anchor", "message"),
    [
        ("", ["FR-MININT"], 400, "new-name", "Give the group a name."),
        ("x" * 101, ["FR-MININT"], 400, "new-name", "At most 100 characters."),
        ("Partners", [], 400, "new-members", "Choose at least one member organisation."),
        ("Partners", ["PLATFORM-X"], 400, "new-members", "PLATFORM-X is a platform partner"),
        ("Partners", ["IT-MININT"], 400, "new-members", "Your own organisation"),
        ("Partners", ["NOPE"], 400, "new-members", "No organisation NOPE."),
        ("schengen  PARTNERS", ["DE-BMI"], 409, "new-name", "already has a group named"),
    ],
)
def test_bad_groups_are_refused_with_a_message_and_nothing_written(
    app, client, auth, admins, name, members, status, anchor, message
):
    auth.sign_in("admin@it.example")
    assert create(client, "Schengen partners", ["FR-MININT"]).status_code == 302
    before = groups_of(app, "IT-MININT")
    audit_before = counts(app)[-1]
    response = create(client, name, members)
    assert response.status_code == status
    assert f'id="{anchor}-error">' in response.text
    assert str(escape(message)) in response.text
    assert FormState(response.text).first("new-name") == name
    assert groups_of(app, "IT-MININT") == before
    assert counts(app)[-1] == audit_before


def test_another_organisations_group_is_not_found(app, client, auth, admins):
    auth.sign_in("admin@it.example")
    create(client, "Schengen partners", ["FR-MININT", "DE-BMI"])
    auth.logout()
    gid = group_id(app, "Schengen partners")
    auth.sign_in("admin@fr.example")
    listing = client.get("/bulletins/groups").text
    assert "Schengen partners" not in listing
    token = csrf_token(listing)
    change = client.post(
        f"/bulletins/groups/{gid}",
        data={f"g{gid}-csrf_token": token, f"g{gid}-name": "Mine", f"g{gid}-members": ["DE-BMI"]},
    )
    assert change.status_code == 404
    assert (
        client.post(f"/bulletins/groups/{gid}/delete", data={"csrf_token": token}).status_code
        == 404
    )
    assert groups_of(app, "IT-MININT") == {"Schengen partners": ["DE-BMI", "FR-MININT"]}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("officer@it.example", 403),
        ("analyst@it.example", 403),
        ("admin@platform.example", 404),
    ],
)
def test_only_ministry_admins_manage_groups(app, client, auth, admins, who, status):
    auth.sign_in(who)
    assert client.get("/bulletins/groups").status_code == status


def _make_group(app, auth, client, members=("FR-MININT", "DE-BMI")) -> int:
    auth.sign_in("admin@it.example")
    assert create(client, "Schengen partners", list(members)).status_code == 302
    auth.logout()
    return group_id(app, "Schengen partners")


def test_officer_sends_to_a_group_and_it_expands_to_its_members(app, client, auth, admins):
    gid = _make_group(app, auth, client)
    auth.sign_in("officer@it.example")
    page = client.get("/bulletins/new").text
    assert "Schengen partners" in page and "DE-BMI, FR-MININT" in page
    data = fields(csrf_token(page), recipients=["UK-HO"], groups=[str(gid)])
    assert post(client, data).status_code == 302
    bulletin = latest(app)
    with app.app_context():
        codes = db.session.scalars(
            select(Organisation.code)
            .join(BulletinRecipient, BulletinRecipient.org_id == Organisation.id)
            .where(BulletinRecipient.bulletin_id == bulletin.id)
            .order_by(Organisation.code)
        )
        assert list(codes) == ["DE-BMI", "FR-MININT", "IT-MININT", "UK-HO"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"marking": "TLP:RED"}, "TLP:RED goes only to organisations named one by one"),
        ({"groups": ["999999"]}, "No such sharing group."),
        ({"groups": ["abc"]}, "could not be coerced"),
    ],
)
def test_group_misuse_is_refused_at_the_groups_field(app, client, auth, admins, change, message):
    gid = _make_group(app, auth, client)
    auth.sign_in("officer@it.example")
    data = fields(page_token(client), **{"groups": [str(gid)], **change})
    before = counts(app)
    response = post(client, data)
    assert response.status_code == 400
    assert 'id="groups-error">' in response.text and str(escape(message)) in response.text
    if "groups" not in change:
        assert FormState(response.text).values["groups"] == [str(gid)]
    assert counts(app) == before


def test_another_organisations_group_cannot_be_used_in_compose(app, client, auth, admins):
    gid = _make_group(app, auth, client)
    auth.sign_in("officer@fr.example")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Bulletin))
    response = post(client, fields(page_token(client), recipients=None, groups=[str(gid)]))
    assert response.status_code == 400
    assert "No such sharing group." in response.text
    assert "Schengen partners" not in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == before
