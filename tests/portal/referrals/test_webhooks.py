"""Signed webhooks: delivered to a real listener on 127.0.0.1, verified offline with the
published key, retried with backoff after a failure, never sent to another platform, and
reminders queued once per item however often cron runs."""

from __future__ import annotations

import io
import ipaddress
import json
import os
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from redis import Redis
from sqlalchemy import func, select

from crypto.webhook import SIGNATURE_HEADER, WebhookPublicKey, WebhookSignatureError, verify
from portal.extensions import db
from portal.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.referrals import bulk, evidence, webhooks
from portal.services.referrals.bulk import BulkUpload
from tests.portal.conftest import sign_in
from tests.portal.referrals.conftest import NOW, item
from tests.portal.service_checks import actor_of, only_record, unchanged

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class Listener:
    """An HTTP server on 127.0.0.1 that records each request and answers the next status."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                listener.received.append((dict(self.headers.items()), body))
                status = listener.statuses.pop(0) if listener.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/ischia"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def listeners(app) -> Iterator[tuple[Listener, Listener]]:
    app.config["WEBHOOK_ALLOW_LOOPBACK_HTTP"] = True
    pair = Listener(), Listener()
    yield pair
    for listener in pair:
        listener.close()


def as_(world, who):
    reader = world.reader(who)
    return reader, actor_of(reader)


def register(world, who: str, url: str) -> str:
    return webhooks.register(*as_(world, who), url, now=NOW)


def published_key(client, people) -> WebhookPublicKey:
    """The key as a platform's engineer downloads it from the portal."""
    sign_in(client, people, "x.admin@platform-x.example")
    response = client.get("/referrals/webhook/key.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return WebhookPublicKey.from_json(response.data)


def test_a_new_item_is_delivered_signed_and_verifies_offline(app, world, listeners, client):
    listener, _ = listeners
    with app.app_context():
        register(world, "x.admin", listener.url)
        referred = world.refer("de", [item("https://v.example/1"), item("https://v.example/2")])
    assert len(listener.received) == 1
    headers, body = listener.received[0]
    doc = json.loads(body)
    assert doc["event"] == "referral.items.new" and doc["platform"] == "PLATFORM-X"
    assert headers["Ischia-Delivery"] == doc["delivery"]
    assert [i["id"] for i in doc["items"]] == [row.id for row in referred.items]
    first = doc["items"][0]
    assert set(first) == {
        "id", "referral", "case", "kind", "url", "category", "content_type", "received_at",
        "deadline_at",
    }  # fmt: skip
    assert (first["url"], first["kind"], first["category"]) == (
        "https://v.example/1",
        "referral",
        "recruitment",
    )
    assert first["deadline_at"] == "2026-12-04T09:00:00Z"
    assert "DE-BMI" not in body.decode()  # the referrer is not named

    key = published_key(client, world.people)
    header = headers[SIGNATURE_HEADER]
    assert verify(header, body, key, now=NOW.timestamp() + 10) == int(NOW.timestamp())
    with pytest.raises(WebhookSignatureError, match="does not verify"):
        verify(header, body.replace(b"v.example/1", b"v.example/9"), key, now=NOW.timestamp())
    with pytest.raises(WebhookSignatureError, match="replay"):
        verify(header, body, key, now=NOW.timestamp() + 301)
    other = WebhookPublicKey(key.ed25519[::-1], key.ml_dsa_65)
    with pytest.raises(WebhookSignatureError, match="another key"):
        verify(header, body, other, now=NOW.timestamp())
    ed_only = header.split(", mldsa65=")[0] + ", mldsa65=" + "A" * 20
    with pytest.raises(WebhookSignatureError):
        verify(ed_only, body, key, now=NOW.timestamp())


def test_a_failed_delivery_is_retried_with_backoff_and_every_attempt_shows(app, world, listeners):
    listener, _ = listeners
    listener.statuses = [500, 503]
    with app.app_context():
        register(world, "x.admin", listener.url)
        world.refer("de")
        delivery = db.session.scalar(select(WebhookDelivery))
        assert (delivery.state, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at == NOW + timedelta(seconds=30)
        assert webhooks.run_due(now=NOW + timedelta(seconds=29)) == []  # not due yet
        assert len(listener.received) == 1
        webhooks.run_due(now=NOW + timedelta(seconds=30))
        db.session.expire_all()
        delivery = db.session.get_one(WebhookDelivery, delivery.id)
        assert delivery.next_attempt_at == NOW + timedelta(seconds=30 + 60)  # doubled
        webhooks.run_due(now=NOW + timedelta(seconds=90))
        assert webhooks.run_due(now=NOW + timedelta(hours=9)) == []  # delivered: nothing due
        page = webhooks.page(world.reader("x"))
    assert len(listener.received) == 3
    assert len({body for _, body in listener.received}) == 1  # the same body each time
    stamps = [h[SIGNATURE_HEADER].split(",")[0] for h, _ in listener.received]
    assert len(set(stamps)) == 3  # signed afresh at each attempt
    [shown] = page.deliveries
    assert shown.state == "delivered" and shown.items == 1
    assert [a.status_code for a in shown.attempts] == [500, 503, 200]
    assert [a.next_attempt_at for a in shown.attempts] == [
        NOW + timedelta(seconds=30),
        NOW + timedelta(seconds=90),
        None,
    ]


def test_deliveries_give_up_after_the_last_attempt(app, world, listeners):
    listener, _ = listeners
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 2
    listener.statuses = [500, 500, 500]
    with app.app_context():
        register(world, "x.admin", listener.url)
        world.refer("de")
        webhooks.run_due(now=NOW + timedelta(minutes=1))
        assert db.session.scalar(select(WebhookDelivery.state)) == "failed"
        assert webhooks.run_due(now=NOW + timedelta(days=1)) == []
    assert len(listener.received) == 2


def test_each_platform_gets_its_own_items_only(app, world, listeners):
    x_listener, y_listener = listeners
    with app.app_context():
        register(world, "x.admin", x_listener.url)
        world.people.user("y.admin@platform-y.example", "org_admin", org="PLATFORM-Y")
        y_admin = _admin(world, "y.admin@platform-y.example")
        assert webhooks.register(*y_admin, y_listener.url, now=NOW) == y_listener.url
        world.refer("de", [item("https://x.example/1")], platform="PLATFORM-X")
        world.refer("fr", [item("https://y.example/1")], platform="PLATFORM-Y")
        world.order("de", [item("https://x.example/2")], platform="PLATFORM-X")
        webhooks.remind(now=NOW + timedelta(minutes=50))  # the order's reminder: X only
    x_urls = [i["url"] for b in x_listener.bodies() for i in b.get("items", [b.get("item")])]
    y_urls = [i["url"] for b in y_listener.bodies() for i in b.get("items", [b.get("item")])]
    assert x_urls == ["https://x.example/1", "https://x.example/2", "https://x.example/2"]
    assert y_urls == ["https://y.example/1"]
    assert {b["platform"] for b in x_listener.bodies()} == {"PLATFORM-X"}


def _admin(world, email):
    from portal.models import User
    from portal.services.accounts import directory as accounts
    from portal.services.principals import Reader

    reader = Reader.of(db.session.get_one(User, accounts.user_by_email(email).id))
    return reader, actor_of(reader)


def test_reminders_come_once_near_the_deadline(app, world, listeners):
    listener, _ = listeners
    with app.app_context():
        register(world, "x.admin", listener.url)
        order = world.order("de", [item("https://o.example/1")]).items[0]
        referral = world.refer("fr", [item("https://r.example/1")]).items[0]
        listener.received.clear()
        evidence.attach(
            *as_(world, "de"),
            order.id,
            evidence.EvidenceUpload("capture-secret.mp4", io.BytesIO(b"EVIDENCE-BYTES" * 10)),
            now=NOW,
        )
        assert webhooks.remind(now=NOW + timedelta(minutes=44)) == []
        assert len(webhooks.remind(now=NOW + timedelta(minutes=45))) == 1  # 15 min left
        assert webhooks.remind(now=NOW + timedelta(minutes=46)) == []  # once only
        assert webhooks.remind(now=NOW + timedelta(hours=19)) == []  # 79% of 24 h
        assert len(webhooks.remind(now=NOW + timedelta(hours=19, minutes=12))) == 1  # 80%
        assert webhooks.remind(now=NOW + timedelta(hours=20)) == []
        result = app.test_cli_runner().invoke(args=["referrals", "remind"])
        assert result.exit_code == 0 and "0 reminder(s) queued" in result.output
    bodies = listener.bodies()
    assert [(b["event"], b["item"]["id"]) for b in bodies] == [
        ("referral.item.reminder", order.id),
        ("referral.item.reminder", referral.id),
    ]
    assert bodies[0]["minutes_left"] == 15
    sent = b"".join(body for _, body in listener.received)  # ids, URL, kind, times; no evidence
    assert (
        b"EVIDENCE" not in sent
        and b"capture-secret" not in sent
        and b"evidence" not in sent
        and bodies[0]["item"]["kind"] == "removal_order"
    )


def test_the_endpoint_must_be_https_and_public(app, world, listeners):
    with app.app_context():
        admin = as_(world, "x.admin")
        for url in (
            "http://hooks.example.com/x",
            "ftp://hooks.example.com/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://localhost/x",
            "https://user:pw@hooks.example.com/x",
            "http://127.0.0.2:8080/x",
            "",
        ):
            with unchanged(), pytest.raises(InvalidInput) as refused:
                webhooks.register(*admin, url)
            assert refused.value.field == "url", url
        app.config["WEBHOOK_ALLOW_LOOPBACK_HTTP"] = False
        with pytest.raises(InvalidInput, match="https"):
            webhooks.register(*admin, "http://127.0.0.1:8080/x")
        assert webhooks.register(*admin, "https://hooks.example.com/ischia") == (
            "https://hooks.example.com/ischia"
        )
        assert only_record("webhook.registered").details["url"] == (
            "https://hooks.example.com/ischia"
        )
        with unchanged(), pytest.raises(Forbidden):
            webhooks.register(*as_(world, "x"), "https://hooks.example.com/other")
        for who in ("de", "eu"):
            with unchanged(), pytest.raises(NotFound):
                webhooks.register(*as_(world, who), "https://hooks.example.com/other")
            with pytest.raises(NotFound):
                webhooks.page(world.reader(who))


def test_a_host_that_resolves_privately_is_not_sent_to(app, world, listeners):
    """A name that passed registration but resolves to a local address at sending time (DNS
    changed, or rebinding) is not sent to: the attempt is recorded as failed."""
    app.config["WEBHOOK_ALLOW_LOOPBACK_HTTP"] = False
    with app.app_context():
        register(world, "x.admin", "https://hooks.example.com/ischia")
        with db.write() as session:  # as if hooks.example.com now pointed at this machine
            endpoint = session.scalar(select(WebhookEndpoint))
            endpoint.url = "https://localhost/ischia"
        world.refer("de")
        attempt = db.session.scalar(select(WebhookAttempt))
        assert attempt.status_code is None and "private or local" in attempt.error
        assert db.session.scalar(select(WebhookDelivery.state)) == "pending"
        with pytest.raises(InvalidInput):
            webhooks.register(*as_(world, "x.admin"), "https://localhost./x")


def test_with_redis_the_worker_delivers(app, world, listeners):
    listener, _ = listeners
    app.config["REDIS_URL"] = REDIS_URL
    Redis.from_url(REDIS_URL).flushdb()
    try:
        with app.app_context():
            register(world, "x.admin", listener.url)
            world.refer("de")
            assert listener.received == []  # queued, not sent in the request
            result = app.test_cli_runner().invoke(args=["referrals", "webhook-worker", "--burst"])
            assert result.exit_code == 0, result.output
            db.session.remove()
            assert db.session.scalar(select(WebhookDelivery.state)) == "delivered"
            assert db.session.scalar(select(func.count()).select_from(WebhookAttempt)) == 1
    finally:
        Redis.from_url(REDIS_URL).flushdb()
    assert len(listener.received) == 1


def test_with_redis_a_failed_attempt_is_scheduled_and_the_cron_sweep_retries(app, world, listeners):
    from rq.registry import ScheduledJobRegistry

    from portal.models import utcnow
    from portal.services.referrals import webhook_jobs

    listener, _ = listeners
    listener.statuses = [502]
    app.config["REDIS_URL"] = REDIS_URL
    Redis.from_url(REDIS_URL).flushdb()
    try:
        with app.app_context():
            register(world, "x.admin", listener.url)
            world.refer("de")
            worker = ["referrals", "webhook-worker", "--burst"]
            assert app.test_cli_runner().invoke(args=worker).exit_code == 0
            db.session.remove()
            delivery = db.session.scalar(select(WebhookDelivery))
            assert (delivery.state, delivery.attempts) == ("pending", 1)
            scheduled = ScheduledJobRegistry(queue=webhook_jobs.queue())
            assert len(scheduled.get_job_ids()) == 1  # the retry, at its backoff time
            with db.write() as session:  # as if the backoff's 30 seconds had passed
                session.get_one(WebhookDelivery, delivery.id).next_attempt_at = utcnow()
            assert webhooks.run_due() == [delivery.id]  # what cron sends: the retry is queued
            assert app.test_cli_runner().invoke(args=worker).exit_code == 0
            db.session.remove()
            assert db.session.scalar(select(WebhookDelivery.state)) == "delivered"
    finally:
        Redis.from_url(REDIS_URL).flushdb()
    assert len(listener.received) == 2


def test_a_bulk_upload_is_delivered_as_new_items(app, world, listeners):
    listener, other = listeners
    with app.app_context():
        register(world, "x.admin", listener.url)
        reader, actor = as_(world, "de")
        data = (
            b"url,category,content_type,account,language,attributed_group,reason,hashes\n"
            b"https://b.example/1,recruitment,video,,ar,,Call to travel,\n"
            b"https://b.example/2,propaganda,image,,ar,,Glorifies an attack,\n"
        )
        up = BulkUpload(data=data, platform="PLATFORM-X", kind="referral")
        job = bulk.run(bulk.submit(reader, actor, up, now=NOW).job.id, now=NOW)
    assert job.state == "done" and job.accepted == 2
    urls = [i["url"] for body in listener.bodies() for i in body["items"]]
    assert urls == ["https://b.example/1", "https://b.example/2"]
    assert other.received == []


def test_a_queue_that_is_down_leaves_the_delivery_for_the_sweep(app, world, listeners):
    listener, _ = listeners
    with app.app_context():
        register(world, "x.admin", listener.url)
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
        (referred,) = world.refer("de", [item("https://down.example/1")]).items
        pending = db.session.scalars(select(WebhookDelivery)).all()
        assert [d.state for d in pending] == ["pending"] and listener.received == []
        app.config["REDIS_URL"] = None
        webhooks.remind(now=NOW + timedelta(minutes=1))
    assert [i["id"] for body in listener.bodies() for i in body.get("items", [])] == [referred.id]


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254
        ("2002:a9fe:a9fe::1", True),  # 6to4 of 169.254.169.254
        ("::ffff:10.0.0.1", True),
        ("2001:0:4136:e378:8000:63bf:f5ff:fff5", True),  # Teredo of 10.0.0.10
        ("2606:4700:4700::1111", False),
        ("1.1.1.1", False),
        ("169.254.169.254", True),
    ],
)
def test_addresses_that_hide_a_private_one_are_refused(app, address, refused):
    with app.app_context():
        assert webhooks._refused_address(ipaddress.ip_address(address)) is refused


def test_the_connection_goes_to_the_address_that_was_checked(app, world, listeners, monkeypatch):
    """DNS rebinding: the name answers a checked address first and a private one later; the
    delivery connects to the first, never resolving the name again."""
    listener, _ = listeners
    port = listener.server.server_address[1]
    answers = iter(["127.0.0.1", "10.255.255.1", "10.255.255.1"])
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "hooks.rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, *args, **kwargs)

    with app.app_context():
        register(world, "x.admin", listener.url)
        with db.write() as session:
            endpoint = session.scalar(select(WebhookEndpoint))
            endpoint.url = f"http://hooks.rebind.test:{port}/hooks/ischia"
        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        world.refer("de", [item("https://rebind.example/1")])
    assert len(listener.received) == 1
    assert listener.received[0][0]["Host"] == f"hooks.rebind.test:{port}"
