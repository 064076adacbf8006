"""Referring content to a platform: validate every item, sign the referral with the referring
organisation's key, and store referral, items, cases and ledger entries in one transaction.

A referral goes to ONE platform and is of one kind: a ``referral`` (the platform checks its
own terms; deadline ``REFERRAL_DEADLINE`` from receipt, a setting) or a ``removal_order``
(only from a competent authority, with its legal basis; one hour from receipt, the law's
figure). Items naming the same content (normalised URL, or a SHA-256 evidence hash) for the
same platform join one case. Any refusal raises before anything is written.

The referrer signs a :class:`~crypto.statement.SignedStatement` (domain
``ischia/referral/v1``) over the canonical referral; :func:`verify` checks it against the
stored rows and the organisation's public key.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crypto import BadSignature, TamperedEnvelope, UnknownKeyVersion
from crypto.statement import SignedStatement, sign_statement, verify_statement
from graph.normalise import NotNormalisable, url_key
from portal.extensions import db
from portal.models import (
    ItemState,
    Organisation,
    OrgKind,
    Referral,
    ReferralCase,
    ReferralCaseKey,
    ReferralItem,
    ReferralKind,
    Role,
)
from portal.services.errors import Forbidden, InvalidInput
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader
from portal.services.referrals import access, webhooks
from portal.services.referrals.ledger import Event, append, moment
from portal.services.referrals.vocabulary import (
    ORDER_DEADLINE,
    Category,
    ContentType,
    choice,
    order_rule,
)

DOMAIN = "ischia/referral/v1"
MAX_ITEMS = 100
MAX_URL = 2000
MAX_REASON = 500
MAX_LEGAL_BASIS = 2000
MAX_TEXT = 200
MAX_HASHES = 10
_HEX = re.compile(r"^[0-9a-f]+$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_HASH_LENGTHS = {64: "sha256", 32: "md5"}


@dataclass(frozen=True)
class ItemDraft:
    """One piece of content as the referrer describes it."""

    url: str
    content_type: str
    category: str
    reason: str
    account: str | None = None
    language: str | None = None
    attributed_group: str | None = None
    hashes: Sequence[str] = ()


@dataclass(frozen=True)
class ReferralDraft:
    """A referral or removal order to one platform (named by its organisation code)."""

    platform: str
    kind: str
    items: Sequence[ItemDraft]
    legal_basis: str | None = None


@dataclass(frozen=True)
class _Item:
    url: str
    url_key: str
    account: str | None
    content_type: ContentType
    category: Category
    language: str | None
    attributed_group: str | None
    reason: str
    hashes: tuple[str, ...]

    def claims(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "url_key": self.url_key,
            "account": self.account,
            "content_type": self.content_type.value,
            "category": self.category.value,
            "language": self.language,
            "attributed_group": self.attributed_group,
            "reason": self.reason,
            "hashes": list(self.hashes),
        }

    def case_keys(self) -> list[str]:
        return [self.url_key] + [h for h in self.hashes if h.startswith("sha256:")]


@dataclass(frozen=True)
class Referred:
    """What was stored: the referral and its items, in the order given."""

    referral: Referral
    items: list[ReferralItem] = field(default_factory=list)


def _text(raw: str | None, name: str, limit: int, *, required: bool = False) -> str | None:
    text = " ".join((raw or "").split())
    if required and not text:
        raise InvalidInput(gettext("This is required."), field=name)
    if len(text) > limit:
        raise InvalidInput(gettext("Write at most %(limit)s characters.", limit=limit), field=name)
    return text or None


def _url(raw: str, name: str) -> tuple[str, str]:
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(gettext("Give the content's URL."), field=name)
    if len(text) > MAX_URL:
        raise InvalidInput(
            gettext("A URL has at most %(limit)s characters.", limit=MAX_URL), field=name
        )
    try:
        key = url_key(text)
    except NotNormalisable:
        raise InvalidInput(gettext("This is not a web address."), field=name) from None
    host = key.removeprefix("url:https://").split("/", 1)[0].split(":", 1)[0]
    if not key.startswith("url:https://") or "." not in host or len(key) > 2100:
        raise InvalidInput(gettext("Give an http or https address with a host name."), field=name)
    return text, key


def _hashes(raw: Sequence[str], name: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if len(raw) > MAX_HASHES:
        raise InvalidInput(
            gettext("Give at most %(limit)s evidence hashes.", limit=MAX_HASHES), field=name
        )
    found: list[str] = []
    for value in raw:
        text = str(value).strip().lower()
        for prefix in ("sha256:", "md5:"):
            text = text.removeprefix(prefix)
        algorithm = _HASH_LENGTHS.get(len(text))
        if algorithm is None or not _HEX.fullmatch(text):
            raise InvalidInput(
                gettext(
                    "%(value)s is neither a SHA-256 (64 hexadecimal digits) nor an MD5 (32) hash.",
                    value=repr(str(value)[:80]),
                ),
                field=name,
            )
        if f"{algorithm}:{text}" not in found:
            found.append(f"{algorithm}:{text}")
    return tuple(found)


def _item(draft: ItemDraft, index: int) -> _Item:
    where = f"items[{index}]"
    url, key = _url(draft.url, f"{where}.url")
    language = (draft.language or "").strip().lower() or None
    if language is not None and not _LANGUAGE.fullmatch(language):
        raise InvalidInput(
            gettext("Give an ISO 639 language code, such as ar or en."), field=f"{where}.language"
        )
    return _Item(
        url=url,
        url_key=key,
        account=_text(draft.account, f"{where}.account", MAX_TEXT),
        content_type=choice(ContentType, draft.content_type, f"{where}.content_type"),
        category=choice(Category, draft.category, f"{where}.category"),
        language=language,
        attributed_group=_text(draft.attributed_group, f"{where}.attributed_group", MAX_TEXT),
        reason=_text(draft.reason, f"{where}.reason", MAX_REASON, required=True) or "",
        hashes=_hashes(draft.hashes, f"{where}.hashes"),
    )


@dataclass(frozen=True)
class _Checked:
    kind: ReferralKind
    platform: Organisation
    legal_basis: str | None
    items: list[_Item]


def check_draft(session: Session, reader: Reader, draft: ReferralDraft) -> _Checked:
    """Every check that can fail, before anything is signed or written."""
    if not reader.has_role(Role.LIAISON) or reader.org_kind is OrgKind.PLATFORM:
        raise Forbidden(gettext("Only liaison officers of a ministry or observer refer content."))
    kind = choice(ReferralKind, draft.kind, "kind")
    code = (draft.platform or "").strip().upper()
    platform = session.scalar(select(Organisation).where(Organisation.code == code))
    if platform is None or platform.kind is not OrgKind.PLATFORM:
        raise InvalidInput(
            gettext("Choose a platform partner to refer content to."), field="platform"
        )
    legal_basis = _text(draft.legal_basis, "legal_basis", MAX_LEGAL_BASIS)
    if kind is ReferralKind.REMOVAL_ORDER:
        own = session.get(Organisation, reader.org_id)
        if own is None or not own.competent_authority:
            raise Forbidden(order_rule(), field="kind")
        if legal_basis is None:
            raise InvalidInput(
                gettext("A removal order must name its legal basis."), field="legal_basis"
            )
    if not draft.items:
        raise InvalidInput(gettext("Refer at least one content item."), field="items")
    if len(draft.items) > MAX_ITEMS:
        raise InvalidInput(
            gettext("Refer at most %(limit)s items at once.", limit=MAX_ITEMS), field="items"
        )
    items: list[_Item] = []
    for index, raw in enumerate(draft.items):
        item = _item(raw, index)
        for earlier, other in enumerate(items):
            if other.url_key == item.url_key:
                raise InvalidInput(
                    gettext("This is the same address as item %(item)s.", item=earlier),
                    field=f"items[{index}].url",
                )
        items.append(item)
    return _Checked(kind, platform, legal_basis, items)


def deadline(kind: ReferralKind, received_at: datetime) -> datetime:
    """When the platform must have acted: one hour for an order, the setting for a referral."""
    if kind is ReferralKind.REMOVAL_ORDER:
        return received_at + ORDER_DEADLINE
    configured: timedelta = current_app.config["REFERRAL_DEADLINE"]
    return received_at + configured


def _claims(
    referral: Referral,
    referrer: str,
    platform: str,
    due: datetime,
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "referral": referral.id,
        "kind": referral.kind,
        "referrer": referrer,
        "referrer_user": referral.referrer_user_id,
        "platform": platform,
        "received_at": referral.received_at.isoformat(timespec="microseconds"),
        "deadline_at": due.isoformat(timespec="microseconds"),
        "legal_basis": referral.legal_basis,
        "items": items,
    }


def _case_for(session: Session, platform_id: int, item: _Item, now: datetime) -> str:
    """The case of the item's keys: a new one when none is known; when they name several
    cases (a URL of one, a hash of another), those cases merge into the oldest, keys and
    items alike. The caller holds the platform's intake lock, so no other intake interleaves.
    """
    keys = item.case_keys()
    session.flush()  # the items and keys this referral added so far are matched too
    rows = session.execute(
        select(ReferralCaseKey.key, ReferralCaseKey.case_id).where(
            ReferralCaseKey.platform_org_id == platform_id, ReferralCaseKey.key.in_(keys)
        )
    )
    known = {key: case_id for key, case_id in rows}
    if not known:
        case_id = uuid.uuid4().hex
        session.add(ReferralCase(id=case_id, platform_org_id=platform_id, created_at=now))
    else:
        cases = session.scalars(
            select(ReferralCase)
            .where(ReferralCase.id.in_(set(known.values())))
            .order_by(ReferralCase.created_at, ReferralCase.id)
        ).all()
        case_id = cases[0].id
        merged = [case.id for case in cases[1:]]
        if merged:
            session.execute(
                update(ReferralCaseKey)
                .where(ReferralCaseKey.case_id.in_(merged))
                .values(case_id=case_id)
            )
            session.execute(
                update(ReferralItem).where(ReferralItem.case_id.in_(merged)).values(case_id=case_id)
            )
            session.execute(delete(ReferralCase).where(ReferralCase.id.in_(merged)))
    for key in keys:
        if key not in known:
            session.add(ReferralCaseKey(platform_org_id=platform_id, key=key, case_id=case_id))
    session.flush()
    return case_id


def refer(
    reader: Reader, actor: Actor, draft: ReferralDraft, *, now: datetime | None = None
) -> Referred:
    """Check, sign and store a referral or removal order (see the module doc)."""
    now = moment(now)
    checked = check_draft(db.session(), reader, draft)
    with db.write() as session:
        # One intake per platform at a time, so two referrers of new content make one case.
        session.scalar(
            select(Organisation.id).where(Organisation.id == checked.platform.id).with_for_update()
        )
        org_keys.ensure_keys(session, reader.org_code, now=now)
        referral = Referral(
            id=uuid.uuid4().hex,
            kind=checked.kind.value,
            referrer_org_id=reader.org_id,
            referrer_user_id=reader.user_id,
            platform_org_id=checked.platform.id,
            legal_basis=checked.legal_basis,
            received_at=now,
        )
        due = deadline(checked.kind, now)
        ids = [uuid.uuid4().hex for _ in checked.items]
        claims = _claims(
            referral,
            reader.org_code,
            checked.platform.code,
            due,
            [{"id": i, **item.claims()} for i, item in zip(ids, checked.items, strict=True)],
        )
        statement = sign_statement(DOMAIN, claims, org_keys.private_bundle(reader.org_code))
        referral.statement = statement.to_json()
        session.add(referral)
        session.flush()
        rows = []
        for position, item in enumerate(checked.items):
            row = ReferralItem(
                id=ids[position],
                referral_id=referral.id,
                position=position,
                platform_org_id=checked.platform.id,
                referrer_org_id=reader.org_id,
                case_id=_case_for(session, checked.platform.id, item, now),
                kind=checked.kind.value,
                url=item.url,
                url_key=item.url_key,
                account=item.account,
                content_type=item.content_type.value,
                category=item.category.value,
                language=item.language,
                attributed_group=item.attributed_group,
                reason=item.reason,
                hashes=list(item.hashes),
                received_at=now,
                deadline_at=due,
                state=ItemState.RECEIVED.value,
            )
            session.add(row)
            session.flush()
            append(
                session,
                row,
                Event.RECEIVED,
                reader,
                actor,
                now,
                {"platform": checked.platform.code, "deadline": due.isoformat()},
            )
            rows.append(row)
    webhooks.enqueue_new_items([row.id for row in rows], now=now)
    return Referred(referral, rows)


@dataclass(frozen=True)
class Verification:
    """Whether a referral's stored rows are exactly what its referrer signed."""

    valid: bool
    org: str | None
    key_version: int | None
    problem: str | None = None


def _copies_agree(referral: Referral, rows: list[ReferralItem], due: datetime) -> bool:
    """Whether every item carries the referral's signed facts (who sees it, when it is due),
    and an order is due the law's hour after receipt."""
    if referral.kind == ReferralKind.REMOVAL_ORDER.value and due != deadline(
        ReferralKind.REMOVAL_ORDER, referral.received_at
    ):
        return False
    signed = (
        referral.kind,
        referral.platform_org_id,
        referral.referrer_org_id,
        referral.received_at,
        due,
    )
    return all(
        (row.kind, row.platform_org_id, row.referrer_org_id, row.received_at, row.deadline_at)
        == signed
        for row in rows
    )


def verify(reader: Reader, referral_id: str) -> Verification:
    """Check the referrer's signature over the stored referral (the liaison officers of the
    referrer or the platform only)."""
    access.require_party_role(reader)
    session = db.session()
    referral = access.visible_referral(session, reader, referral_id)
    referrer = session.get_one(Organisation, referral.referrer_org_id)
    platform = session.get_one(Organisation, referral.platform_org_id)
    rows = list(
        session.scalars(
            select(ReferralItem)
            .where(ReferralItem.referral_id == referral.id)
            .order_by(ReferralItem.position)
        )
    )
    items = [
        {
            "id": row.id,
            "url": row.url,
            "url_key": row.url_key,
            "account": row.account,
            "content_type": row.content_type,
            "category": row.category,
            "language": row.language,
            "attributed_group": row.attributed_group,
            "reason": row.reason,
            "hashes": list(row.hashes),
        }
        for row in rows
    ]
    signed_deadline = rows[0].deadline_at if rows else referral.received_at
    expected = _claims(referral, referrer.code, platform.code, signed_deadline, items)
    try:
        statement = SignedStatement.from_json(referral.statement)
        claims = verify_statement(statement, DOMAIN, org_keys.directory())
    except (TamperedEnvelope, BadSignature, UnknownKeyVersion) as error:
        return Verification(False, None, None, f"The signature does not verify: {error}")
    if statement.org != referrer.code:
        return Verification(
            False, statement.org, statement.key_version, "Signed by another organisation."
        )
    if claims != expected or not _copies_agree(referral, rows, signed_deadline):
        return Verification(
            False,
            statement.org,
            statement.key_version,
            "The stored referral differs from what was signed.",
        )
    return Verification(True, statement.org, statement.key_version)
