"""The ministry's referral pages over HTTP: refer content (every error at once next to its field
and item row, nothing typed lost, a forced removal order refused naming the rule), the referral
as sent with its signature, "My referrals" with filters, an item's history with answer,
withdraw and complaint, who may reach which page, the menu, the dashboard and the inbox."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ReferralItem, ReferralLedgerEntry, utcnow
from portal.services.referrals import queue
from portal.services.referrals.queue import Decision
from portal.services.referrals.vocabulary import ORDER_RULE
from tests.portal.bulletins.form_state import FormState
from tests.portal.conftest import csrf_token
from tests.portal.referrals.conftest import item
from tests.portal.service_checks import actor_of

EMAIL = {
    who: f"{who}@{code.lower()}.example"
    for who, code in (
        ("de", "DE-BMI"),
        ("de.analyst", "DE-BMI"),
        ("fr", "FR-MININT"),
        ("it", "IT-MININT"),
        ("eu", "EU-HOME"),
        ("x", "PLATFORM-X"),
        ("x.admin", "PLATFORM-X"),
    )
}


def _row(n: int, **values: str) -> dict[str, str]:
    fields = {
        "url": f"https://video.example/watch?v={n}",
        "account": "@channel",
        "content_type": "video",
        "category": "recruitment",
        "language": "ar",
        "attributed_group": "Example Front",
        "reason": f"Recruitment video {n}.",
        "hashes": "",
    }
    fields.update(values)
    return {f"items-{n}-{k}": v for k, v in fields.items()}


def _empty_row(n: int) -> dict[str, str]:
    return {f"items-{n}-{k}": "" for k in ("url", "account", "content_type", "category")}


def _form(client, **top: str) -> dict[str, str]:
    page = client.get("/referrals/new")
    assert page.status_code == 200, page.text
    data = {
        "csrf_token": csrf_token(page.text),
        "platform": "PLATFORM-X",
        "kind": "referral",
        "legal_basis": "",
        "send": "1",
    }
    data.update(top)
    return data


def _items(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ReferralItem)) or 0


def test_the_page_offers_platforms_rows_suggestions_and_orders_only_to_authorities(
    app, client, auth, world
):
    with app.app_context():
        world.refer("de", [item("https://s.example/1", attributed_group="Northern <Cell>")])
    auth.sign_in(EMAIL["de"])
    html = client.get("/referrals/new").text
    state = FormState(html)
    assert {"items-0-url", "items-1-url", "items-2-url"} <= set(state.values)
    assert "items-3-url" not in state.values
    assert 'value="PLATFORM-X"' in html and 'value="PLATFORM-Y"' in html
    assert "/referrals/bulk" in html  # hundreds of URLs go to the bulk upload
    assert 'value="FR-MININT"' not in html
    assert 'value="removal_order"' in html and "within one hour" in html
    assert '<option value="Northern &lt;Cell&gt;">' in html
    assert 'list="group-suggestions"' in html
    assert "js/refer.js" in html and "<script>" not in html
    auth.sign_in(EMAIL["it"])
    html = client.get("/referrals/new").text
    assert 'value="removal_order"' not in html and "removal orders are not offered" in html
    assert "Northern" not in html  # another ministry's groups are never suggested


def test_every_error_is_shown_next_to_its_field_and_row_and_nothing_typed_is_lost(
    app, client, auth, world
):
    auth.sign_in(EMAIL["de"])
    data = _form(client, kind="removal_order")
    data.update(_row(0))
    data.update(_row(1, url="not a web address", category="", reason=""))
    data.update(_empty_row(2))
    data.update(_row(3, language="Arabic", hashes="abc\n" + "a" * 64))
    response = client.post("/referrals/new", data=data)
    assert response.status_code == 400, response.text
    html = response.text
    for anchor, message in (
        ("legal_basis", "A removal order must name its legal basis."),
        ("items-1-url", "This is not a web address."),
        ("items-1-category", "Choose a category."),
        ("items-1-reason", "This is required."),
        ("items-3-language", "Give an ISO 639 language code, such as ar or en."),
        ("items-3-hashes", "is neither a SHA-256"),
    ):
        assert re.search(f'id="{anchor}-error">[^<]*{re.escape(str(escape(message)))}', html), (
            anchor
        )
        assert f'href="#{anchor}"' in html, anchor
    assert 'id="items-0-url-error"' not in html and 'id="items-2-url-error"' not in html
    state = FormState(html)
    for name in ("items-0-url", "items-1-url", "items-3-language", "items-3-reason", "platform"):
        assert state.first(name) == data[name], name
    assert state.first("items-3-hashes").split() == data["items-3-hashes"].split()
    assert state.values["kind"] == ["removal_order"]
    assert _items(app) == 0


def test_a_forced_removal_order_is_refused_naming_the_rule_and_keeps_the_form(
    app, client, auth, world
):
    auth.sign_in(EMAIL["it"])
    data = _form(client, kind="removal_order", legal_basis="Art. 3")
    data.update(_row(0))
    response = client.post("/referrals/new", data=data)
    assert response.status_code == 403
    assert re.search(f'id="kind-error">{re.escape(str(escape(ORDER_RULE)))}', response.text)
    state = FormState(response.text)
    assert state.first("items-0-url") == data["items-0-url"]
    assert state.first("legal_basis") == "Art. 3"
    assert _items(app) == 0


def test_add_another_item_posts_back_with_one_more_row_and_everything_typed(
    app, client, auth, world
):
    auth.sign_in(EMAIL["de"])
    data = _form(client)
    data.pop("send")
    data.update(_row(0))
    data.update(_row(2, reason="Third row's reason"))
    response = client.post("/referrals/new", data=dict(data, add_item="1"))
    assert response.status_code == 200
    state = FormState(response.text)
    assert state.first("items-3-url") == ""
    assert state.first("items-0-url") == data["items-0-url"]
    assert state.first("items-2-reason") == "Third row's reason"
    assert _items(app) == 0


def test_a_referral_is_sent_and_shown_with_its_signature_and_deadlines(app, client, auth, world):
    auth.sign_in(EMAIL["de"])
    data = _form(client, kind="removal_order", legal_basis="Regulation (EU) 2021/784, Art. 3")
    data.update(_row(0))
    data.update(_empty_row(1))
    data.update(_row(2, hashes="SHA256:" + "b" * 64))
    # Fields the form does not have are never read: the referrer is the signed-in officer.
    data.update(referrer="FR-MININT", referrer_org_id="1")
    response = client.post("/referrals/new", data=data)
    assert response.status_code == 302, response.text
    assert re.fullmatch(r"/referrals/sent/[0-9a-f]{32}", response.location)
    page = client.get(response.location)
    assert page.status_code == 200
    html = page.text
    assert "Verified: signed by DE-BMI" in html
    assert "2 items signed and sent to PLATFORM-X." in html
    assert data["items-0-url"] in html and data["items-2-url"] in html
    assert "Removal order to PLATFORM-X" in html
    assert re.search(
        r'<time datetime="[^"]+\+00:00" data-local>\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC', html
    )
    assert "js/local-time.js" in html
    with app.app_context():
        rows = db.session.scalars(select(ReferralItem).order_by(ReferralItem.position)).all()
        assert [r.url for r in rows] == [data["items-0-url"], data["items-2-url"]]
        assert rows[1].hashes == ["sha256:" + "b" * 64]
        assert {r.referrer_org_id for r in rows} == {world.reader("de").org_id}
        assert rows[0].deadline_at - rows[0].received_at == timedelta(hours=1)


def test_an_observers_liaison_refers_too(app, client, auth, world):
    auth.sign_in(EMAIL["eu"])
    data = _form(client)
    data.update(_row(0))
    assert client.post("/referrals/new", data=data).status_code == 302
    assert _items(app) == 1


def test_my_referrals_shows_state_outcome_time_and_others_never_who(app, client, auth, world):
    with app.app_context():
        decided, _waiting = world.refer(
            "de", [item("https://m.example/decided"), item("https://m.example/waiting")]
        ).items
        world.refer("fr", [item("https://m.example/decided")])
        world.order("de", [item("https://m.example/order")], platform="PLATFORM-Y")
        x = world.reader("x")
        queue.decide(
            x,
            actor_of(x),
            decided.id,
            Decision("removed"),
            now=decided.received_at + timedelta(minutes=42),
        )
        decided_id = decided.id
    auth.sign_in(EMAIL["de"])
    html = client.get("/referrals/mine").text
    assert html.count('href="/referrals/mine/') == 3
    row = html[html.index("https://m.example/decided") :]
    row = row[: row.index("</tr>")]
    assert "Removed" in row and "42 min" in row and "Others also referred this (1)" in row
    assert "FR-MININT" not in html
    decided_only = client.get("/referrals/mine?state=decided").text
    assert "https://m.example/decided" in decided_only
    assert "https://m.example/waiting" not in decided_only
    on_y = client.get("/referrals/mine?platform=PLATFORM-Y&kind=removal_order").text
    assert "https://m.example/order" in on_y and "https://m.example/waiting" not in on_y
    assert client.get("/referrals/mine?state=lost").status_code == 400
    assert client.get("/referrals/mine?page=0").status_code == 400
    assert client.get("/referrals/mine?size=201").status_code == 400  # vocabulary.MAX_PAGE
    one = client.get("/referrals/mine?size=1&kind=referral").text
    assert one.count('href="/referrals/mine/') == 1
    assert 'href="/referrals/mine?page=2&amp;size=1&amp;kind=referral">Next' in one
    last = client.get("/referrals/mine?size=1&kind=referral&page=2").text
    assert "Next" not in last and "Previous" in last
    assert "No item matches" in client.get("/referrals/mine?state=withdrawn").text
    assert client.get(f"/referrals/mine/{decided_id}").status_code == 200


def test_the_item_page_answers_withdraws_and_shows_complaints(app, client, auth, world):
    with app.app_context():
        asked, undecided, taken_down = world.refer(
            "de", [item(f"https://i.example/{n}") for n in range(3)]
        ).items
        x = world.reader("x")
        question = "Which minute? <script>alert(1)</script>"
        queue.decide(x, actor_of(x), asked.id, Decision("more_information", question=question))
        queue.decide(x, actor_of(x), taken_down.id, Decision("removed"))
        queue.reinstate(x, actor_of(x), taken_down.id, "The uploader's complaint was upheld.")
        ids = asked.id, undecided.id, taken_down.id
    auth.sign_in(EMAIL["de"])
    page = client.get(f"/referrals/mine/{ids[0]}")
    html = page.text
    assert "The platform asks" in html and str(escape(question)) in html
    assert "<script>alert" not in html
    assert "Sent, and received by the platform" in html and "The platform asked a question" in html
    token = csrf_token(html)
    empty = client.post(f"/referrals/mine/{ids[0]}/answer", data={"csrf_token": token})
    assert empty.status_code == 400 and 'id="answer-error">Write an answer.' in empty.text
    answered = client.post(
        f"/referrals/mine/{ids[0]}/answer",
        data={"csrf_token": token, "answer": "Minute 3:10, the speech."},
    )
    assert answered.status_code == 302
    html = client.get(f"/referrals/mine/{ids[0]}").text
    assert "Answer: Minute 3:10, the speech." in html and "The platform asks" not in html
    again = client.post(
        f"/referrals/mine/{ids[0]}/answer", data={"csrf_token": token, "answer": "Again."}
    )
    assert again.status_code == 409 and "no open question" in again.text

    withdrawn = client.post(
        f"/referrals/mine/{ids[1]}/withdraw",
        data={"csrf_token": token, "reason": "Our own undercover account."},
    )
    assert withdrawn.status_code == 302
    html = client.get(f"/referrals/mine/{ids[1]}").text
    assert "Withdrawn" in html and "Reason: Our own undercover account." in html
    assert "Withdraw this item" not in html

    html = client.get(f"/referrals/mine/{ids[2]}").text
    assert "Complaints and reinstatements" in html
    assert "The uploader&#39;s complaint was upheld." in html
    complained = client.post(
        f"/referrals/mine/{ids[2]}/complain",
        data={"csrf_token": token, "text": "The video is back online."},
    )
    assert complained.status_code == 302
    html = client.get(f"/referrals/mine/{ids[2]}").text
    assert "recorded by us): The video is back online." in html
    with app.app_context():
        events = db.session.scalars(
            select(ReferralLedgerEntry.event).where(ReferralLedgerEntry.item_id.in_(ids))
        ).all()
        assert sorted(events).count("question_answered") == 1


@pytest.mark.parametrize("who", ["de.analyst", "x", "x.admin"])
def test_only_liaison_officers_of_ministries_and_observers_reach_the_pages(
    app, client, auth, world, who
):
    with app.app_context():
        item_id = world.refer("de").items[0].id
        referral_id = db.session.get_one(ReferralItem, item_id).referral_id
    auth.sign_in(EMAIL[who])
    token = csrf_token(client.get("/").text)
    for path in ("/referrals/new", "/referrals/mine", f"/referrals/mine/{item_id}"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/referrals/sent/{referral_id}").status_code == 403
    data = {"csrf_token": token, "platform": "PLATFORM-X", "kind": "referral", **_row(0)}
    assert client.post("/referrals/new", data=data).status_code == 403
    for action in ("answer", "withdraw", "complain"):
        response = client.post(f"/referrals/mine/{item_id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403
    assert _items(app) == 1
    links = client.get("/").text
    assert "Refer content" not in links and "My referrals" not in links


def test_another_organisations_item_or_referral_is_not_found(app, client, auth, world):
    with app.app_context():
        de_item = world.refer("de").items[0]
        ids = de_item.id, de_item.referral_id
    auth.sign_in(EMAIL["fr"])
    token = csrf_token(client.get("/").text)
    for path in (f"/referrals/mine/{ids[0]}", f"/referrals/sent/{ids[1]}", "/referrals/mine/x"):
        assert client.get(path).status_code == 404, path
    for action in ("answer", "withdraw", "complain"):
        response = client.post(
            f"/referrals/mine/{ids[0]}/{action}",
            data={"csrf_token": token, "answer": "a", "reason": "r", "text": "t"},
        )
        assert response.status_code == 404, action
    with app.app_context():
        assert db.session.get_one(ReferralItem, ids[0]).state == "received"
    html = client.get("/").text
    assert 'href="/referrals/new">Refer content' in html
    assert 'href="/referrals/mine">My referrals' in html


def test_the_dashboard_sums_up_referrals_for_each_side(app, client, auth, world):
    with app.app_context():
        asked, other = world.refer(
            "de", [item("https://q.example/1"), item("https://q.example/2")]
        ).items
        # Received five minutes ago (the page counts against the real clock): due within the hour.
        world.order("fr", [item("https://q.example/order")], now=utcnow() - timedelta(minutes=5))
        x = world.reader("x")
        queue.decide(x, actor_of(x), asked.id, Decision("more_information", question="When?"))
        queue.decide(x, actor_of(x), other.id, Decision("already_gone"))
    auth.sign_in(EMAIL["de"])
    html = client.get("/").text
    assert "Waiting for your answer" in html and "PLATFORM-X asks: When?" in html
    assert "Already gone" in html  # decided lately
    auth.sign_in(EMAIL["x"])
    html = client.get("/").text
    assert "Your referral queue" in html
    queue_block = html[html.index("Your referral queue") :]
    assert re.search(r"<dt>Open</dt><dd>1</dd>", queue_block)
    assert re.search(r"<dt>Due within the hour</dt><dd>1</dd>", queue_block)
    assert re.search(r"<dt>Overdue</dt><dd>0</dd>", queue_block)
    # The link appears once the queue page is part of the portal (another module adds it).
    assert ('href="/referrals/queue' in html) == ("referrals.queue" in app.view_functions)
    inbox = client.get("/bulletins/").text
    assert "receives content referrals instead" in inbox
    auth.sign_in(EMAIL["de.analyst"])
    assert "Your referral" not in client.get("/").text


def test_the_item_page_attaches_evidence_and_returns_to_itself(app, client, auth, world):
    with app.app_context():
        (referred,) = world.refer("de", [item("https://i.example/evidence")]).items
    auth.sign_in(EMAIL["de"])
    page = client.get(f"/referrals/mine/{referred.id}")
    assert page.status_code == 200 and "Attach a captured copy" in page.text
    upload = client.post(
        f"/referrals/items/{referred.id}/evidence",
        data={
            "csrf_token": csrf_token(page.text),
            "next": f"/referrals/mine/{referred.id}",
            "evidence": (io.BytesIO(b"captured page"), "capture.html"),
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    assert upload.headers["Location"].endswith(f"/referrals/mine/{referred.id}")
    html = client.get(f"/referrals/mine/{referred.id}").text
    assert "capture.html" in html and "sha256:" in html


def test_a_page_number_beyond_any_list_is_a_400(app, client, auth, world):
    auth.sign_in(EMAIL["de"])
    answer = client.get("/referrals/mine?page=99999999999999999999999")
    assert answer.status_code == 400
