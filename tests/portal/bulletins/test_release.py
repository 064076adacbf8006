"""Release: the originator's liaison officer grants one more organisation access (crypto grant)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditRecord,
    Bulletin,
    BulletinKey,
    BulletinRecipient,
    KeyBlob,
    Organisation,
)
from portal.services.bulletins import lifecycle, reading, sealing
from portal.services.errors import Conflict, Forbidden, NotFound
from portal.services.principals import Actor
from tests.portal.bulletins.conftest import document
from tests.portal.conftest import csrf_token


def counts(app):
    with app.app_context():
        session = db.session()
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Bulletin, BulletinKey, BulletinRecipient, AuditRecord, KeyBlob)
        )


def post_release(client, bulletin_id, **data):
    token = csrf_token(client.get("/bulletins/search").text)
    return client.post(f"/bulletins/{bulletin_id}/release", data={"csrf_token": token, **data})


def read_as(app, desk, who, bulletin_id):
    with app.app_context():
        reader = desk.reader(who)
        return reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)


def test_originator_releases_and_the_new_organisation_reads_with_a_signed_grant(
    app, client, auth, desk
):
    bulletin_id = desk.post(title="Channel moved")
    auth.sign_in("officer@it.example")
    page = client.get(f"/bulletins/{bulletin_id}")
    assert page.status_code == 200
    assert f'href="/bulletins/{bulletin_id}/release"' in page.text  # an action at the top
    page = client.get(f"/bulletins/{bulletin_id}/release")
    assert 'value="UK-HO"' in page.text and 'value="PLATFORM-X"' not in page.text
    response = post_release(client, bulletin_id, org="UK-HO")
    assert response.status_code == 302 and response.location.endswith(f"/bulletins/{bulletin_id}")

    result = read_as(app, desk, "uk.analyst", bulletin_id)
    assert result.problem is None and result.content.title == "Channel moved"
    holders = {(h.org, h.via) for h in result.seal.holders}
    assert ("UK-HO", "grant") in holders and ("FR-MININT", "header") in holders
    with app.app_context():
        uk = db.session.scalar(select(Organisation).where(Organisation.code == "UK-HO"))
        row = db.session.get(BulletinRecipient, (bulletin_id, uk.id))
        assert row.via == "released" and row.added_by_id == desk.users["it.officer"]
        record = db.session.scalar(
            select(AuditRecord).where(AuditRecord.event == "bulletin.released")
        )
        assert record.details["bulletin"] == bulletin_id and record.details["to"] == "UK-HO"
        assert record.actor_user_id == desk.users["it.officer"]
    # The earlier recipients still read it: their wrapped keys were kept.
    assert read_as(app, desk, "fr.analyst", bulletin_id).problem is None


@pytest.mark.parametrize("who", ["fr.officer", "fr.analyst", "uk.officer", "platform"])
def test_anyone_but_the_originator_gets_not_found(app, client, auth, desk, who):
    bulletin_id = desk.post()
    email = {
        "fr.officer": "officer@fr.example",
        "fr.analyst": "analyst@fr.example",
        "uk.officer": "officer@uk.example",
        "platform": "trust@platform.example",
    }[who]
    auth.sign_in(email)
    if who.startswith("fr"):
        page = client.get(f"/bulletins/{bulletin_id}")
        assert (
            page.status_code == 200 and "/release" not in page.text and "/retract" not in page.text
        )
    before = counts(app)
    token = csrf_token(client.get("/").text)
    for method in ("get", "post"):
        response = getattr(client, method)(
            f"/bulletins/{bulletin_id}/release", data={"csrf_token": token, "org": "UK-HO"}
        )
        assert response.status_code == 404
        assert "Recruiter" not in response.text
    assert counts(app) == before
    with app.app_context(), pytest.raises(NotFound):
        reader = desk.reader(who)
        lifecycle.release_to(reader, Actor(reader.user_id), bulletin_id, "UK-HO")


def test_an_analyst_of_the_originator_may_not_release(app, desk):
    bulletin_id = desk.post()
    with app.app_context(), pytest.raises(Forbidden):
        reader = desk.reader("it.analyst")
        lifecycle.release_to(reader, Actor(reader.user_id), bulletin_id, "UK-HO")


def test_releasing_twice_says_so_and_changes_nothing(app, client, auth, desk):
    bulletin_id = desk.post()
    auth.sign_in("officer@it.example")
    assert post_release(client, bulletin_id, org="UK-HO").status_code == 302
    before = counts(app)
    again = post_release(client, bulletin_id, org="UK-HO")
    assert again.status_code == 409
    assert "UK-HO can already read this bulletin." in again.text
    sealed_to = post_release(client, bulletin_id, org="FR-MININT")
    assert sealed_to.status_code == 409 and "FR-MININT can already read" in sealed_to.text
    assert counts(app) == before


@pytest.mark.parametrize(
    ("org", "message"),
    [
        ("PLATFORM-X", "PLATFORM-X is a platform partner"),
        ("", "Choose the organisation to release the bulletin to."),
        ("NOPE", "No organisation NOPE."),
    ],
)
def test_bad_organisation_is_refused_with_a_message(app, client, auth, desk, org, message):
    bulletin_id = desk.post()
    auth.sign_in("officer@it.example")
    before = counts(app)
    response = post_release(client, bulletin_id, org=org)
    assert response.status_code == 400
    assert message in response.text and 'class="error"' in response.text
    assert counts(app) == before


def test_red_needs_an_explicit_confirmation(app, client, auth, desk):
    bulletin_id = desk.post(marking="TLP:RED", recipients=["FR-MININT"])
    auth.sign_in("officer@it.example")
    page = client.get(f"/bulletins/{bulletin_id}/release")
    assert 'name="confirm_red"' in page.text
    before = counts(app)
    refused = post_release(client, bulletin_id, org="DE-BMI")
    assert refused.status_code == 400 and "tick the box to confirm" in refused.text
    assert counts(app) == before
    with app.app_context(), pytest.raises(NotFound):
        # A recipient of a TLP:RED bulletin cannot pass it on: the action is not theirs.
        reader = desk.reader("fr.officer")
        lifecycle.release_to(reader, Actor(reader.user_id), bulletin_id, "DE-BMI", confirm_red=True)
    done = post_release(client, bulletin_id, org="DE-BMI", confirm_red="y")
    assert done.status_code == 302
    assert read_as(app, desk, "de.analyst", bulletin_id).content is not None


def test_superseded_and_retracted_bulletins_are_not_released(app, desk):
    first = desk.post()
    with app.app_context():
        reader = desk.reader("it.officer")
        actor = Actor(reader.user_id)
        draft = sealing.Draft(document(title="v2"), "recruitment", "TLP:AMBER", ["FR-MININT"])
        series = db.session.get(Bulletin, first)
        second = sealing.seal_and_store(reader, actor, draft, series=series).id
        with pytest.raises(Conflict, match="superseded"):
            lifecycle.release_to(reader, actor, first, "UK-HO")
        lifecycle.retract(reader, actor, second, confirmed=True)
        for bulletin_id in (first, second):
            with pytest.raises(Conflict, match="retracted"):
                lifecycle.release_to(reader, actor, bulletin_id, "UK-HO")
