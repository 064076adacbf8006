"""Amending a bulletin through the form: a new, separately signed version superseding the old."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditRecord, Bulletin, BulletinState
from tests.portal.bulletins.compose_posts import counts, fields, form_values, latest, post, read_as
from tests.portal.bulletins.conftest import PNG
from tests.portal.bulletins.form_state import FormState
from tests.portal.conftest import csrf_token


def _amend_page(client, bulletin_id: str):
    return client.get(f"/bulletins/{bulletin_id}/amend")


def test_amend_makes_version_two_linked_to_version_one(app, client, auth, desk):
    first = desk.post(uploads=[("photo.png", PNG)])
    auth.sign_in("officer@it.example")
    page = _amend_page(client, first)
    assert page.status_code == 200
    state = FormState(page.text)
    assert state.first("title") == "Recruiter active on Telegram"
    assert state.values["recipients"] == ["DE-BMI", "FR-MININT"]
    assert state.first("marking") == "TLP:AMBER" and state.first("category") == "recruitment"
    assert [state.first(f"entities-{i}-ref") for i in range(3)] == ["p1", "a1", "t1"]
    assert state.first("relations-0-source") == "p1" and state.first("relations-0-target") == "a1"
    assert state.first("keep_attachments") == "y" and "photo.png" in page.text

    data = form_values(page.text)
    data.update(title="Recruiter moved again", send="1")
    response = post(client, data, url=f"/bulletins/{first}/amend")
    assert response.status_code == 302, response.text

    second = latest(app)
    assert second.id != first and second.version == 2
    assert second.supersedes_id == first and second.series_id == first
    with app.app_context():
        assert db.session.get(Bulletin, first).state == BulletinState.SUPERSEDED.value
        events = list(db.session.scalars(select(AuditRecord.event)))
    assert "bulletin.amended" in events
    old, new = read_as(app, desk, "fr.analyst", first), read_as(app, desk, "fr.analyst", second.id)
    assert old.problem is None and old.seal is not None
    assert new.problem is None and new.seal is not None
    assert old.content.title == "Recruiter active on Telegram"
    assert new.content.title == "Recruiter moved again"
    assert [e.ref for e in new.content.entities] == ["p1", "a1", "t1"]
    assert [a.filename for a in new.content.attachments] == ["photo.png"]
    assert second.attachment_count == 1
    # Version 1 is no longer amendable: the page says which version replaced it.
    stale = _amend_page(client, first)
    assert stale.status_code == 409 and "Version 2 of this bulletin was sealed by" in stale.text
    # The same form submitted again (a double click): 409, and still one version 2.
    again = post(client, data, url=f"/bulletins/{first}/amend")
    assert again.status_code == 409 and "your changes were not saved" in again.text
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Bulletin).where(Bulletin.series_id == first)
            )
            == 2
        )


def test_amend_without_keeping_attachments(app, client, auth, desk):
    first = desk.post(uploads=[("photo.png", PNG)])
    auth.sign_in("officer@it.example")
    data = form_values(_amend_page(client, first).text)
    data.pop("keep_attachments")
    data["send"] = "1"
    assert post(client, data, url=f"/bulletins/{first}/amend").status_code == 302
    assert latest(app).attachment_count == 0


def test_amend_errors_keep_the_form_and_write_nothing(app, client, auth, desk):
    first = desk.post()
    auth.sign_in("officer@it.example")
    data = form_values(_amend_page(client, first).text)
    data.update(title="", send="1")
    before = counts(app)
    response = post(client, data, url=f"/bulletins/{first}/amend")
    assert response.status_code == 400
    assert 'id="title-error"' in response.text
    assert FormState(response.text).first("entities-0-value") == "Abu Example"
    assert counts(app) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("officer@fr.example", 404),  # a recipient, not the originator
        ("officer@uk.example", 404),  # cannot see it at all
        ("trust@platform.example", 404),
        ("analyst@it.example", 403),  # the originator's organisation, without the role
    ],
)
def test_only_the_originators_officers_amend(app, client, auth, desk, who, status):
    first = desk.post()
    auth.sign_in(who)
    assert _amend_page(client, first).status_code == status
    token = csrf_token(client.get("/").text)
    before = counts(app)
    response = post(client, fields(token), url=f"/bulletins/{first}/amend")
    assert response.status_code == status
    assert "Recruiter" not in response.text
    assert counts(app) == before


def test_amend_of_an_unknown_id_is_not_found(app, client, auth, desk):
    auth.sign_in("officer@it.example")
    assert _amend_page(client, "0" * 32).status_code == 404
    assert _amend_page(client, "not-an-id").status_code == 404


def test_the_read_page_offers_amend_and_opening_the_form_is_audited(app, client, auth, desk):
    first = desk.post()
    auth.sign_in("officer@it.example")
    assert f"/bulletins/{first}/amend" in client.get(f"/bulletins/{first}").text
    assert _amend_page(client, first).status_code == 200
    with app.app_context():
        reads = db.session.scalars(
            select(AuditRecord)
            .where(AuditRecord.event == "bulletin.read")
            .order_by(AuditRecord.seq)  # in the chain's order: unordered, PostgreSQL may swap them
        ).all()
    assert [r.details.get("purpose") for r in reads] == [None, "amend"]
    assert all(r.details["bulletin"] == first for r in reads)


def test_recipients_are_not_offered_amend(client, auth, desk):
    first = desk.post()
    auth.sign_in("analyst@fr.example")
    assert "/amend" not in client.get(f"/bulletins/{first}").text
