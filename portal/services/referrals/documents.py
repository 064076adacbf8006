"""A whole referral as one document, for either party (the API's ``/referrals/<id>``), and the
platform's decision on a referral's items at once.

Who sees a referral is :mod:`access`: the organisation that sent it and the platform it was
addressed to; any other id is NotFound. Both parties see the same items (the referrer wrote
them, the platform received them) with their state, and the signature's verification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select

from portal.extensions import db
from portal.models import ItemState, Organisation, OrgKind, ReferralItem, ReferralKind
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.principals import Actor, Reader
from portal.services.referrals import access, intake, queue, referrer
from portal.services.referrals.ledger import moment
from portal.services.referrals.queue import Decision, QueueFilter
from portal.services.referrals.referrer import OwnItem
from portal.services.referrals.vocabulary import MAX_PAGE, OPEN, Category, choice

MAX_DECIDE = 200


@dataclass(frozen=True)
class ReferralDocument:
    id: str
    kind: str
    referrer: str
    platform: str
    legal_basis: str | None
    received_at: datetime
    items: list[ReferralItem]
    verification: intake.Verification


def read_referral(reader: Reader, referral_id: str) -> ReferralDocument:
    """The referral and its items, in order, for the liaison officers of either party."""
    access.require_party_role(reader)
    session = db.session()
    referral = access.visible_referral(session, reader, referral_id)
    codes = {
        org.id: org.code
        for org in session.scalars(
            select(Organisation).where(
                Organisation.id.in_((referral.referrer_org_id, referral.platform_org_id))
            )
        )
    }
    items = list(
        session.scalars(
            select(ReferralItem)
            .where(ReferralItem.referral_id == referral.id)
            .order_by(ReferralItem.position)
        )
    )
    return ReferralDocument(
        id=referral.id,
        kind=referral.kind,
        referrer=codes[referral.referrer_org_id],
        platform=codes[referral.platform_org_id],
        legal_basis=referral.legal_basis,
        received_at=referral.received_at,
        items=items,
        verification=intake.verify(reader, referral.id),
    )


def decide_referral(
    reader: Reader,
    actor: Actor,
    referral_id: str,
    decision: Decision,
    item_ids: Sequence[str] | None = None,
    *,
    now: datetime | None = None,
) -> list[str]:
    """The platform's decision on the referral's items (the ones named, else every item still
    to decide); the ids decided. Every item is checked before the first is decided, so a
    decision that one item refuses (withdrawn, decided otherwise, an outcome its kind does not
    allow) decides none; each item's decision is then :func:`queue.decide`, which is idempotent,
    so repeating the call after an interruption completes it."""
    access.require_platform_liaison(reader)
    now = moment(now)
    if reader.org_kind is not OrgKind.PLATFORM:
        raise NotFound()
    session = db.session()
    referral = access.visible_referral(session, reader, referral_id)
    if referral.platform_org_id != reader.org_id:
        raise NotFound()
    items = {
        item.id: item
        for item in session.scalars(
            select(ReferralItem)
            .where(ReferralItem.referral_id == referral.id)
            .order_by(ReferralItem.position)
        )
    }
    if item_ids is None:
        undecided = (*OPEN, ItemState.QUESTION.value)
        targets = [item for item in items.values() if item.state in undecided]
        if not targets:
            raise Conflict(gettext("Every item of this referral is decided or withdrawn."))
    else:
        if not item_ids:
            raise InvalidInput(gettext("Name at least one item."), field="items")
        if len(item_ids) > MAX_DECIDE:
            raise InvalidInput(
                gettext("Decide at most %(most)s items at once.", most=MAX_DECIDE), field="items"
            )
        targets = []
        for index, item_id in enumerate(item_ids):
            item = items.get(str(item_id))
            if item is None:
                raise InvalidInput(
                    gettext("This is not an item of this referral."), field=f"items[{index}]"
                )
            if item not in targets:
                targets.append(item)
    checked = queue._check(ReferralKind(referral.kind), decision)
    for item in targets:
        if item.state == ItemState.WITHDRAWN.value:
            raise Conflict(
                gettext("The referrer withdrew item %(number)s.", number=item.position),
                field="items",
            )
        if item.state in (ItemState.DECIDED.value, ItemState.REINSTATED.value) and (
            item.state == ItemState.REINSTATED.value
            or (item.outcome, item.outcome_countries, item.outcome_note)
            != (checked.outcome.value, checked.countries, checked.reason)
        ):
            raise Conflict(
                gettext(
                    "Item %(number)s was already decided (%(outcome)s); reopen it to decide again.",
                    number=item.position,
                    outcome=item.outcome,
                ),
                field="outcome",
            )
        if item.state == ItemState.QUESTION.value and checked.question is not None:
            raise Conflict(
                gettext("A question about item %(number)s is already open.", number=item.position),
                field="outcome",
            )
    ids = [item.id for item in targets]
    # In one locked transaction: a withdrawal between the checks above and here refuses all.
    queue.decide_many(reader, actor, ids, decision, now=now)
    return ids


@dataclass(frozen=True)
class OwnPage:
    items: list[OwnItem]
    page: int
    has_more: bool


def own_items(
    reader: Reader,
    filters: QueueFilter | None = None,
    platform: str | None = None,
    *,
    page: int = 1,
    size: int = 50,
    now: datetime | None = None,
) -> OwnPage:
    """The items the organisation referred, newest first, filtered as a platform filters its
    queue (state, kind, category, overdue by the item's own deadline) and by platform."""
    access.require_liaison(reader)
    now = moment(now)
    filters = filters or QueueFilter()
    if page < 1:
        raise InvalidInput(gettext("Pages start at 1."), field="page")
    if not 1 <= size <= MAX_PAGE:
        raise InvalidInput(gettext("Show 1 to %(most)s items a page.", most=MAX_PAGE), field="size")
    query = referrer._query(reader)
    if filters.state:
        query = query.where(ReferralItem.state == choice(ItemState, filters.state, "state").value)
    if filters.kind:
        query = query.where(ReferralItem.kind == choice(ReferralKind, filters.kind, "kind").value)
    if filters.category:
        category = choice(Category, filters.category, "category")
        query = query.where(ReferralItem.category == category.value)
    if filters.overdue is not None:
        late = ReferralItem.state.in_(OPEN) & (ReferralItem.deadline_at < now)
        query = query.where(late if filters.overdue else ~late)
    if platform:
        query = query.where(Organisation.code == platform.strip().upper())
    rows = db.session().execute(
        query.order_by(ReferralItem.received_at.desc(), ReferralItem.id)
        .offset((page - 1) * size)
        .limit(size + 1)
    )
    items = [referrer._own(item, code, others, now) for item, code, others in rows]
    return OwnPage(items[:size], page, len(items) > size)
