"""Signed webhooks for platforms: the one endpoint a platform registers, the deliveries queued
for it, and each attempt at them.

What is sent: new items (one delivery per intake batch, at most ``BATCH`` items each) and
deadline reminders (a removal order ``ORDER_REMINDER`` after receipt, a quarter of its hour
left; a referral at ``REFERRAL_REMINDER_SHARE`` of its time; one per item, idempotent: see
:func:`remind`). The
JSON body names ids, the URL, kind, category, content type and times: never evidence, never
the referrer. Only the addressed platform's endpoint is ever sent an item.

How it is signed: with the portal's own webhook key, derived from the master key as the audit
checkpoint key is (:mod:`crypto.webhook` documents the header and has the offline verifier;
:func:`public_key_json` is what the portal publishes). Every attempt signs the body afresh
with the time of sending.

How it is sent: :func:`dispatch` puts each delivery on the RQ queue when ``REDIS_URL`` is set,
and attempts it in this process otherwise. A failed attempt (not 2xx, a timeout, a refused
address) is recorded and the delivery waits ``WEBHOOK_RETRY_BASE_S * 2**(n-1)`` seconds
(capped at ``WEBHOOK_RETRY_MAX_S``) before attempt n+1, until ``WEBHOOK_MAX_ATTEMPTS``; the
cron command ``flask --app wsgi referrals remind`` dispatches whatever is due. An attempt
first moves the delivery's next time past its own timeout, in a committed write, so two
workers never send one delivery at once. Redirects are never followed, and a host that
resolves to a private, loopback or link-local address is refused at sending time too.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import socket
import ssl
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext
from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from crypto.webhook import SIGNATURE_HEADER, WebhookSigner
from portal import vault
from portal.extensions import db
from portal.models import (
    DeliveryState,
    Organisation,
    OrgKind,
    ReferralItem,
    ReferralKind,
    Role,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from portal.services import audit
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.principals import Actor, Reader
from portal.services.referrals.ledger import moment
from portal.services.referrals.vocabulary import OPEN, ORDER_DEADLINE

NEW_ITEMS = "referral.items.new"
REMINDER = "referral.item.reminder"
BATCH = 100
ORDER_REMINDER = timedelta(minutes=45)  # after receipt: 15 minutes of the hour left
REFERRAL_REMINDER_SHARE = 0.8
MAX_URL = 2048
_SIGNER = "ischia.webhook_signer"
_ATTEMPTS_SHOWN = 50


# --- the key -----------------------------------------------------------------------------


def signer() -> WebhookSigner:
    """The portal's webhook key pair (derived from the master key; cached per app)."""
    found = current_app.extensions.get(_SIGNER)
    if not isinstance(found, WebhookSigner):
        found = current_app.extensions[_SIGNER] = WebhookSigner(vault.derivation_root())
    return found


def public_key_json() -> str:
    """The public key receivers verify with, as JSON (see :mod:`crypto.webhook`)."""
    return signer().public_key.to_json()


# --- the endpoint ------------------------------------------------------------------------


def _setting(name: str, default: Any) -> Any:
    return current_app.config.get(name, default)


def loopback_http_allowed() -> bool:
    """http://127.0.0.1 endpoints: only in a test app with the switch on (the tests' listener)."""
    return bool(current_app.testing and _setting("WEBHOOK_ALLOW_LOOPBACK_HTTP", False))


# IPv6 prefixes that carry an IPv4 address inside (NAT64, 6to4): Python counts them global.
_EMBEDDING = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("2002::/16"))


def _refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if loopback_http_allowed() and address == ipaddress.ip_address("127.0.0.1"):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if inner is None and address in _EMBEDDING[0]:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None and _refused_address(inner):
            return True
        if any(address in network for network in _EMBEDDING):
            return True  # never a webhook's address; would reach an IPv4 host by translation
    return not address.is_global or address.is_multicast


def check_url(raw: str) -> str:
    """The endpoint URL, or InvalidInput naming the field ``url``: https with a host name
    (an IP address only if public), no credentials; http only for 127.0.0.1 under test."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(gettext("Give the endpoint's https:// address."), field="url")
    if len(text) > MAX_URL:
        raise InvalidInput(
            gettext("The address has at most %(limit)s characters.", limit=MAX_URL), field="url"
        )
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError:
        raise InvalidInput(gettext("This is not a web address."), field="url") from None
    scheme = parts.scheme.lower()
    loopback = scheme == "http" and host == "127.0.0.1" and loopback_http_allowed()
    if scheme != "https" and not loopback:
        raise InvalidInput(
            gettext(
                "The endpoint must be an https:// address (deliveries are never sent in clear)."
            ),
            field="url",
        )
    if not host:
        raise InvalidInput(gettext("The address names no host."), field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(gettext("Leave credentials out of the address."), field="url")
    if parts.fragment:
        raise InvalidInput(gettext("Leave the #fragment out of the address."), field="url")
    address = _ip(host)
    if address is None:
        if host.lower() == "localhost" or host.lower().endswith((".localhost", ".local")):
            raise InvalidInput(
                gettext("The endpoint must be reachable on the internet."), field="url"
            )
        if "." not in host:
            raise InvalidInput(
                gettext("Give a full host name, such as hooks.example.com."), field="url"
            )
    elif _refused_address(address):
        raise InvalidInput(
            gettext("The endpoint must be a public address, not a private or local one."),
            field="url",
        )
    return text


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@dataclass(frozen=True)
class AttemptView:
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class DeliveryView:
    id: str
    event: str
    item_id: str | None
    items: int
    state: str
    attempts: list[AttemptView]
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class EndpointView:
    url: str
    created_at: datetime


@dataclass(frozen=True)
class WebhookPage:
    endpoint: EndpointView | None
    deliveries: list[DeliveryView]
    may_edit: bool
    key_id: str


def _require_platform_reader(reader: Reader) -> None:
    if reader.org_kind is not OrgKind.PLATFORM:
        raise NotFound()
    if not (reader.has_role(Role.ORG_ADMIN) or reader.has_role(Role.PLATFORM_LIAISON)):
        raise Forbidden(
            gettext("Only the platform's administrators and liaison officers see its webhook.")
        )


def _require_platform_admin(reader: Reader) -> None:
    if reader.org_kind is not OrgKind.PLATFORM:
        raise NotFound()
    if not reader.has_role(Role.ORG_ADMIN):
        raise Forbidden(
            gettext("Only the platform's organisation administrators register its webhook.")
        )


def page(reader: Reader) -> WebhookPage:
    """The platform's endpoint and its latest deliveries with every attempt."""
    _require_platform_reader(reader)
    session = db.session()
    endpoint = session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.org_id == reader.org_id)
    )
    deliveries: list[DeliveryView] = []
    if endpoint is not None:
        rows = session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
            .limit(_ATTEMPTS_SHOWN)
        ).all()
        attempts: dict[str, list[AttemptView]] = {}
        if rows:
            for attempt in session.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id.in_([r.id for r in rows]))
                .order_by(WebhookAttempt.id)
            ):
                attempts.setdefault(attempt.delivery_id, []).append(
                    AttemptView(
                        attempt.at,
                        attempt.status_code,
                        attempt.error,
                        attempt.duration_ms,
                        attempt.next_attempt_at,
                    )
                )
        for row in rows:
            body = json.loads(row.body)
            deliveries.append(
                DeliveryView(
                    row.id,
                    row.event,
                    row.item_id,
                    len(body.get("items", [])),
                    row.state,
                    attempts.get(row.id, []),
                    row.created_at,
                    row.next_attempt_at,
                    row.delivered_at,
                )
            )
    return WebhookPage(
        endpoint=None
        if endpoint is None or not endpoint.active
        else EndpointView(endpoint.url, endpoint.created_at),
        deliveries=deliveries,
        may_edit=reader.has_role(Role.ORG_ADMIN),
        key_id=signer().public_key.kid,
    )


def register(reader: Reader, actor: Actor, url: str, *, now: datetime | None = None) -> str:
    """Register (or replace) the platform's one endpoint; returns the URL as stored."""
    _require_platform_admin(reader)
    now = moment(now)
    checked = check_url(url)
    with db.write() as session:
        endpoint = session.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.org_id == reader.org_id).with_for_update()
        )
        previous = None if endpoint is None or not endpoint.active else endpoint.url
        if endpoint is None:
            endpoint = WebhookEndpoint(org_id=reader.org_id, url=checked, active=True)
            session.add(endpoint)
        endpoint.url, endpoint.active = checked, True
        endpoint.created_at, endpoint.created_by_id = now, reader.user_id
        audit.record(
            session,
            "webhook.registered",
            actor,
            subject_org=reader.org_id,
            details={"url": checked, "replaced": previous},
        )
    return checked


def remove(reader: Reader, actor: Actor) -> None:
    """Stop deliveries to the platform's endpoint (pending ones are not sent)."""
    _require_platform_admin(reader)
    with db.write() as session:
        endpoint = session.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.org_id == reader.org_id).with_for_update()
        )
        if endpoint is None or not endpoint.active:
            return
        endpoint.active = False
        audit.record(
            session,
            "webhook.removed",
            actor,
            subject_org=reader.org_id,
            details={"url": endpoint.url},
        )


# --- queuing -----------------------------------------------------------------------------


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _item_json(item: ReferralItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "referral": item.referral_id,
        "case": item.case_id,
        "kind": item.kind,
        "url": item.url,
        "category": item.category,
        "content_type": item.content_type,
        "received_at": _stamp(item.received_at),
        "deadline_at": _stamp(item.deadline_at),
    }


def _body(delivery_id: str, event: str, platform: str, now: datetime, **extra: Any) -> str:
    doc = {"event": event, "delivery": delivery_id, "platform": platform, "created_at": _stamp(now)}
    doc.update(extra)
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def _endpoints(platform_ids: Iterable[int]) -> dict[int, tuple[WebhookEndpoint, str]]:
    """The active endpoint and organisation code of each platform that has one."""
    rows = db.session().execute(
        select(WebhookEndpoint, Organisation.code)
        .join(Organisation, Organisation.id == WebhookEndpoint.org_id)
        .where(WebhookEndpoint.org_id.in_(set(platform_ids)), WebhookEndpoint.active.is_(True))
    )
    return {endpoint.org_id: (endpoint, code) for endpoint, code in rows}


def _add(delivery: WebhookDelivery) -> bool:
    """Store one delivery unless its dedupe key is taken (then: False, nothing written)."""
    try:
        with db.write() as session:
            session.add(delivery)
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def enqueue_new_items(item_ids: Sequence[str], *, now: datetime | None = None) -> list[str]:
    """Queue and dispatch "new items" deliveries for the given items (call after the
    intake's commit). Each platform's endpoint gets its own items only. Returns the
    delivery ids; queuing the same items again adds nothing."""
    now = moment(now)
    if not item_ids:
        return []
    items = list(
        db.session().scalars(
            select(ReferralItem)
            .where(ReferralItem.id.in_(list(item_ids)))
            .order_by(ReferralItem.received_at, ReferralItem.referral_id, ReferralItem.position)
        )
    )
    endpoints = _endpoints(item.platform_org_id for item in items)
    created: list[str] = []
    for platform_id, (endpoint, code) in endpoints.items():
        mine = [item for item in items if item.platform_org_id == platform_id]
        for start in range(0, len(mine), BATCH):
            batch = mine[start : start + BATCH]
            digest = hashlib.sha256(" ".join(sorted(i.id for i in batch)).encode()).hexdigest()
            delivery_id = uuid.uuid4().hex
            body = _body(
                delivery_id, NEW_ITEMS, code, now, items=[_item_json(item) for item in batch]
            )
            if _add(
                _delivery(delivery_id, endpoint, NEW_ITEMS, None, f"new:{digest[:40]}", body, now)
            ):
                created.append(delivery_id)
    dispatch(created, now=now)
    return created


def _delivery(
    delivery_id: str,
    endpoint: WebhookEndpoint,
    event: str,
    item_id: str | None,
    dedupe: str,
    body: str,
    now: datetime,
) -> WebhookDelivery:
    return WebhookDelivery(
        id=delivery_id,
        endpoint_id=endpoint.id,
        event=event,
        item_id=item_id,
        dedupe=dedupe,
        body=body,
        state=DeliveryState.PENDING.value,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )


def reminder_due(item: ReferralItem, now: datetime) -> bool:
    """Whether an open item is close enough to its deadline to be reminded of."""
    if item.state not in OPEN or item.deadline_at <= now:
        return False
    if item.kind == ReferralKind.REMOVAL_ORDER.value:
        return now >= item.received_at + ORDER_REMINDER
    span = item.deadline_at - item.received_at
    return now >= item.received_at + span * REFERRAL_REMINDER_SHARE


def remind(*, now: datetime | None = None) -> list[str]:
    """Queue a reminder for each open item of a platform with an endpoint whose deadline is
    near (see :func:`reminder_due`), once per item however often it runs; then dispatch
    every delivery that is due, retries included. Returns the reminders queued now."""
    now = moment(now)
    endpoints = _endpoints(
        db.session().scalars(select(WebhookEndpoint.org_id).where(WebhookEndpoint.active.is_(True)))
    )
    created: list[str] = []
    if endpoints:
        configured: timedelta = current_app.config["REFERRAL_DEADLINE"]
        # Every item due a reminder now has its deadline this close (orders: 15 minutes).
        window = max(ORDER_DEADLINE - ORDER_REMINDER, configured * (1 - REFERRAL_REMINDER_SHARE))
        reminded = select(WebhookDelivery.item_id).where(
            WebhookDelivery.event == REMINDER, WebhookDelivery.item_id.is_not(None)
        )
        candidates = db.session().scalars(
            select(ReferralItem).where(
                ReferralItem.platform_org_id.in_(list(endpoints)),
                ReferralItem.state.in_(OPEN),
                ReferralItem.deadline_at > now,
                ReferralItem.deadline_at <= now + window,
                ReferralItem.id.not_in(reminded),
            )
        )
        for item in list(candidates):
            if not reminder_due(item, now):
                continue
            endpoint, code = endpoints[item.platform_org_id]
            delivery_id = uuid.uuid4().hex
            left = int((item.deadline_at - now).total_seconds() // 60)
            body = _body(delivery_id, REMINDER, code, now, item=_item_json(item), minutes_left=left)
            if _add(
                _delivery(delivery_id, endpoint, REMINDER, item.id, f"remind:{item.id}", body, now)
            ):
                created.append(delivery_id)
    run_due(now=now)
    return created


def run_due(*, now: datetime | None = None) -> list[str]:
    """Dispatch every pending delivery whose next attempt is due."""
    now = moment(now)
    due = list(
        db.session().scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.state == DeliveryState.PENDING.value,
                WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        )
    )
    dispatch(due, now=now)
    return due


def dispatch(delivery_ids: Sequence[str], *, now: datetime | None = None) -> None:
    """To the RQ queue when ``REDIS_URL`` is set; attempted in this process otherwise."""
    if not delivery_ids:
        return
    from portal.services.referrals import webhook_jobs

    if webhook_jobs.queue_enabled():
        try:
            for delivery_id in delivery_ids:
                webhook_jobs.enqueue(delivery_id)
        except (RedisError, OSError):
            # The deliveries are stored as pending: the cron sweep (``referrals remind``)
            # sends them. The referral itself is committed; its request must not fail now.
            current_app.logger.warning("webhook deliveries left for the sweep: queue down")
        return
    for delivery_id in delivery_ids:
        attempt(delivery_id, now=now)


# --- sending -----------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    base = float(_setting("WEBHOOK_RETRY_BASE_S", 30))
    cap = float(_setting("WEBHOOK_RETRY_MAX_S", 6 * 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _checked_address(url: str) -> tuple[str | None, str | None]:
    """(the address to connect to, None), or (None, why the host may not be sent to now).
    Every address the name has must be public; the connection then goes to the one checked,
    so a name that resolves differently a moment later (DNS rebinding) cannot redirect it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        return None, "the host name does not resolve"
    addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
    if not addresses:
        return None, "the host name does not resolve"
    for text in addresses:
        if _refused_address(ipaddress.ip_address(text)):
            return None, "the host resolves to a private or local address: not sent"
    return addresses[0], None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the address checked, whatever the name resolves to when connecting."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the address checked; the certificate is checked for the host name (SNI)."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return None, "not an http(s) address: not sent"
    address, refused = _checked_address(url)
    if address is None:
        return None, refused
    timeout = float(_setting("WEBHOOK_TIMEOUT_S", 5))
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = kind(parts.hostname or "", parts.port, address, timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        # A 3xx is an answer (a failed attempt): http.client never follows it.
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)
        return int(response.status), None
    except (http.client.HTTPException, OSError, ValueError) as error:
        return None, f"{type(error).__name__}: {error}"[:300]
    finally:
        connection.close()


def _claim(delivery_id: str, now: datetime) -> tuple[WebhookDelivery, str] | None:
    """Take a due delivery for one attempt: its next time moves past the attempt's timeout
    in a committed write, so no other worker attempts it meanwhile. None if not due."""
    lease = timedelta(seconds=float(_setting("WEBHOOK_TIMEOUT_S", 5)) + 60)
    with db.write() as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None or row.state != DeliveryState.PENDING.value:
            return None
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return None
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.state == DeliveryState.PENDING.value,
                WebhookDelivery.next_attempt_at == row.next_attempt_at,
            )
            .values(next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            return None
        endpoint = session.get_one(WebhookEndpoint, row.endpoint_id)
        if not endpoint.active:
            row.state = DeliveryState.FAILED.value
            row.next_attempt_at = None
            return None
        session.refresh(row)
        return row, endpoint.url


def attempt(delivery_id: str, *, now: datetime | None = None) -> str | None:
    """One attempt at a due delivery; returns its state after, or None if it was not due."""
    now = moment(now)
    claimed = _claim(delivery_id, now)
    if claimed is None:
        return None
    row, url = claimed
    body = row.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Ischia-Webhook/1",
        SIGNATURE_HEADER: signer().sign(body, int(now.timestamp())),
        "Ischia-Delivery": row.id,
        "Ischia-Event": row.event,
    }
    started = time.monotonic()
    status, error = _send(url, body, headers)
    duration = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    with db.write() as session:
        delivery = session.get_one(WebhookDelivery, delivery_id)
        delivery.attempts += 1
        if ok:
            delivery.state = DeliveryState.DELIVERED.value
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif delivery.attempts >= int(_setting("WEBHOOK_MAX_ATTEMPTS", 8)):
            delivery.state = DeliveryState.FAILED.value
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                at=now,
                status_code=status,
                error=error if error else (None if ok else f"HTTP {status}"),
                duration_ms=duration,
                next_attempt_at=delivery.next_attempt_at,
            )
        )
        state = delivery.state
    return state
