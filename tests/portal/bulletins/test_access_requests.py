"""Access requests: ask the originator from a hit, without learning ids; approve or decline."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AccessRequest, AuditRecord, BulletinKey, BulletinRecipient
from portal.services import audit
from portal.services.bulletins import lifecycle, reading
from portal.services.discovery import access_requests
from portal.services.errors import Conflict, NotFound
from portal.services.principals import Actor
from tests.portal.conftest import csrf_token
from tests.portal.races import race, split
from tests.portal.service_checks import actor_of, only_record

ACCOUNT = [{"ref": "a1", "type": "account", "platform": "telegram", "value": "@example_media"}]
URL = "https://t.me/Example_Media"


@pytest.fixture
def scene(desk):
    """IT-MININT sent one bulletin naming the account to DE-BMI and one to FR-MININT."""
    return {
        "hidden": desk.post(
            "it.officer", ["DE-BMI"], title="SECRET-TITLE", entities=ACCOUNT, relations=[]
        ),
        "readable": desk.post(
            "it.officer", ["FR-MININT"], title="For FR", entities=ACCOUNT, relations=[]
        ),
    }


def counts(app):
    with app.app_context():
        session = db.session()
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (AccessRequest, AuditRecord, BulletinKey, BulletinRecipient)
        )


def token(client) -> str:
    return csrf_token(client.get("/bulletins/search").text)


def ask_from_search(client, org="IT-MININT", reason="Same network as our case 12.", **extra):
    data = {"csrf_token": token(client), "q": URL, "org": org, "reason": reason, **extra}
    return client.post("/bulletins/search/ask", data=data)


def requests_of(app):
    with app.app_context():
        return list(db.session.scalars(select(AccessRequest).order_by(AccessRequest.id)))


def can_read(app, desk, who, bulletin_id) -> bool:
    with app.app_context():
        reader = desk.reader(who)
        try:
            result = reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id)
        except NotFound:
            return False
        return result.content is not None


def test_asking_from_the_search_page_stores_a_request_without_showing_ids(
    app, client, auth, desk, scene
):
    auth.sign_in("analyst@fr.example")
    response = ask_from_search(client)
    assert response.status_code == 302
    (request,) = requests_of(app)
    assert request.bulletin_id == scene["hidden"] and request.state == "pending"
    assert request.requester_id == desk.users["fr.analyst"]
    # Sealed at rest, and read by both organisations: the originator's liaison and the asker.
    assert request.reason_sealed and b"Same network" not in request.reason_sealed
    with app.app_context():
        (incoming,), _ = access_requests.incoming(desk.reader("it.officer"))
        (own,) = access_requests.own_requests(desk.reader("fr.analyst"))
    assert incoming.reason == own.reason == "Same network as our case 12."
    assert own.requester_name == incoming.requester_name != ""  # named, as incoming ones are
    with app.app_context():
        record = db.session.scalar(
            select(AuditRecord).where(AuditRecord.event == "bulletin.access_requested")
        )
        # The requester's administrators read this record: it names the request, not the bulletin.
        assert record.details == {"request": request.id, "to": "IT-MININT"}
    page = client.get(response.location)
    assert "your organisation's request is pending" in page.text
    assert "Ask IT-MININT for access" not in page.text
    assert scene["hidden"] not in page.text and "SECRET-TITLE" not in page.text
    outgoing = client.get("/bulletins/requests/outgoing").text
    assert "shown once approved" in outgoing and scene["hidden"] not in outgoing
    assert f"{own.requester_name}<br>" in outgoing


def test_a_duplicate_pending_request_is_refused(app, client, auth, desk, scene):
    auth.sign_in("analyst@fr.example")
    assert ask_from_search(client).status_code == 302
    before = counts(app)
    again = ask_from_search(client)
    assert again.status_code == 409 and "already asked IT-MININT" in again.text
    assert counts(app) == before
    with app.app_context(), pytest.raises(Conflict):
        reader = desk.reader("fr.officer")  # a colleague: the same organisation
        access_requests.ask_about_query(reader, Actor(reader.user_id), URL, None, "IT-MININT")


def test_approve_releases_the_bulletin_to_the_requester(app, client, auth, desk, scene):
    auth.sign_in("analyst@fr.example")
    ask_from_search(client)
    auth.logout()
    assert not can_read(app, desk, "fr.analyst", scene["hidden"])
    auth.sign_in("officer@it.example")
    inbox = client.get("/bulletins/requests")
    assert inbox.status_code == 200
    assert "SECRET-TITLE" in inbox.text and "FR-MININT" in inbox.text
    assert "Same network as our case 12." in inbox.text
    (request,) = requests_of(app)
    approved = client.post(
        f"/bulletins/requests/{request.id}/approve", data={"csrf_token": csrf_token(inbox.text)}
    )
    assert approved.status_code == 302
    (request,) = requests_of(app)
    assert request.state == "approved" and request.decided_by_id == desk.users["it.officer"]
    assert request.decided_at is not None
    assert can_read(app, desk, "fr.analyst", scene["hidden"])
    with app.app_context():
        events = set(db.session.scalars(select(AuditRecord.event)))
        assert {"bulletin.access_approved", "bulletin.released"} <= events
    again = client.post(
        f"/bulletins/requests/{request.id}/approve", data={"csrf_token": csrf_token(inbox.text)}
    )
    assert again.status_code == 409 and "already approved" in again.text
    auth.logout()
    auth.sign_in("analyst@fr.example")
    page = client.get("/bulletins/requests/outgoing")
    assert f'href="/bulletins/{scene["hidden"]}"' in page.text and "Approved" in page.text


def test_decline_leaves_the_requester_without_access(app, client, auth, desk, scene):
    auth.sign_in("analyst@fr.example")
    ask_from_search(client)
    auth.logout()
    auth.sign_in("officer@it.example")
    (request,) = requests_of(app)
    inbox = client.get("/bulletins/requests")
    declined = client.post(
        f"/bulletins/requests/{request.id}/decline", data={"csrf_token": csrf_token(inbox.text)}
    )
    assert declined.status_code == 302
    (request,) = requests_of(app)
    assert request.state == "declined" and request.decided_by_id == desk.users["it.officer"]
    assert not can_read(app, desk, "fr.analyst", scene["hidden"])
    with app.app_context():
        record = db.session.scalar(
            select(AuditRecord).where(AuditRecord.event == "bulletin.access_declined")
        )
        assert record.details == {"request": request.id, "to": "FR-MININT"}
    auth.logout()
    auth.sign_in("analyst@fr.example")
    page = client.get("/bulletins/requests/outgoing")
    assert "Declined" in page.text and scene["hidden"] not in page.text


@pytest.mark.parametrize("who", ["officer@de.example", "officer@fr.example"])
def test_a_request_of_another_organisation_is_not_found(app, client, auth, desk, scene, who):
    with app.app_context():
        reader = desk.reader("fr.analyst")
        access_requests.ask_about_query(reader, Actor(reader.user_id), URL, None, "IT-MININT")
    (request,) = requests_of(app)
    auth.sign_in(who)
    inbox = client.get("/bulletins/requests")
    assert inbox.status_code == 200 and "SECRET-TITLE" not in inbox.text
    before = counts(app)
    for action in ("approve", "decline"):
        response = client.post(
            f"/bulletins/requests/{request.id}/{action}", data={"csrf_token": token(client)}
        )
        assert response.status_code == 404
    assert counts(app) == before and requests_of(app)[0].state == "pending"


def test_only_liaison_officers_answer(app, client, auth, desk, scene):
    auth.sign_in("analyst@it.example")
    assert client.get("/bulletins/requests").status_code == 403


def test_asking_from_the_read_page_about_an_entity(app, client, auth, desk, scene):
    auth.sign_in("analyst@fr.example")
    page = client.get(f"/bulletins/{scene['readable']}")
    assert "1 bulletin you cannot read, from IT-MININT" in page.text
    response = client.post(
        f"/bulletins/{scene['readable']}/ask",
        data={"csrf_token": csrf_token(page.text), "entity": "a1", "org": "IT-MININT"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/bulletins/{scene['readable']}")
    (request,) = requests_of(app)
    assert request.bulletin_id == scene["hidden"] and request.reason_sealed is None
    page = client.get(f"/bulletins/{scene['readable']}")
    assert "Asked IT-MININT: pending." in page.text and 'name="org"' not in page.text


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"entity": "a1", "org": "IT-MININT", "reason": "x" * 501}, 400, "at most 500"),
        ({"entity": "zz", "org": "IT-MININT"}, 400, "no such entity"),
        ({"entity": "a1", "org": "DE-BMI"}, 400, "DE-BMI has no bulletin naming this"),
        ({"entity": "a1", "org": "NOPE"}, 400, "Choose an organisation from the hits."),
    ],
)
def test_bad_input_when_asking_is_a_400_and_writes_nothing(
    app, client, auth, desk, scene, data, status, message
):
    auth.sign_in("analyst@fr.example")
    before = counts(app)
    response = client.post(
        f"/bulletins/{scene['readable']}/ask", data={"csrf_token": token(client), **data}
    )
    assert response.status_code == status and message in response.text
    assert counts(app) == before


def test_asking_about_a_bulletin_one_cannot_read_is_not_found(app, client, auth, desk, scene):
    auth.sign_in("analyst@uk.example")
    response = client.post(
        f"/bulletins/{scene['readable']}/ask",
        data={"csrf_token": token(client), "entity": "a1", "org": "IT-MININT"},
    )
    assert response.status_code == 404 and requests_of(app) == []


def test_retracting_declines_pending_requests(app, desk, scene):
    with app.app_context():
        fr = desk.reader("fr.analyst")
        access_requests.ask_about_query(fr, Actor(fr.user_id), URL, None, "IT-MININT")
        it = desk.reader("it.officer")
        lifecycle.retract(it, Actor(it.user_id), scene["hidden"], confirmed=True)
    (request,) = requests_of(app)
    assert request.state == "declined"


def _pending(app, desk) -> int:
    with app.app_context():
        fr = desk.reader("fr.analyst")
        access_requests.ask_about_query(fr, actor_of(fr), URL, None, "IT-MININT")
    (request,) = requests_of(app)
    return request.id


def _answer(desk, who, answer, request_id):
    reader = desk.reader(who)
    return lambda: getattr(access_requests, answer)(reader, actor_of(reader), request_id)


def test_an_answer_submitted_twice_at_once_is_recorded_once(app, desk, scene):
    request_id = _pending(app, desk)
    outcomes = race(app, *[_answer(desk, "it.officer", "approve", request_id)] * 2)
    (done,), (refused,) = split(outcomes)
    assert done.state == "approved" and type(refused) is Conflict
    assert refused.message.startswith("This request was already approved by officer@it.example")
    with app.app_context():
        assert only_record("bulletin.access_approved").details["request"] == request_id
        assert only_record("bulletin.released").details["bulletin"] == scene["hidden"]
        assert audit.verify_chain().problem is None
    assert can_read(app, desk, "fr.analyst", scene["hidden"])


def test_two_officers_answering_differently_at_once_leave_one_answer(app, desk, people, scene):
    request_id = _pending(app, desk)
    desk.users["it.officer2"] = people.user("deputy@it.example", "liaison", org="IT-MININT")
    outcomes = race(
        app,
        _answer(desk, "it.officer", "approve", request_id),
        _answer(desk, "it.officer2", "decline", request_id),
    )
    (done,), (refused,) = split(outcomes)
    assert type(refused) is Conflict
    (request,) = requests_of(app)
    assert request.state == done.state
    decider = "officer@it.example" if done.state == "approved" else "deputy@it.example"
    assert refused.message.startswith(f"This request was already {done.state} by {decider} on ")
    with app.app_context():
        events = list(
            db.session.scalars(
                select(AuditRecord.event).where(AuditRecord.event.like("bulletin.access_%ed"))
            )
        )
        assert sorted(events) == sorted(
            ["bulletin.access_requested", f"bulletin.access_{done.state}"]
        )
        assert audit.verify_chain().problem is None
    assert can_read(app, desk, "fr.analyst", scene["hidden"]) is (done.state == "approved")
