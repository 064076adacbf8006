"""What a platform's item page shows, gathered in one call: the item opened (its first opening
goes on the ledger), every item of its case with its referrer, the referrer's signature over
each referral of the case, the item's ledger, and the decisions its kind allows.

The platform sees who referred each item of a case; referrers never see each other (that is
:mod:`.referrer`'s side). In the ledger the platform's own users are named by e-mail, the
referrer's users are not named at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models import ItemState, ReferralKind, ReferralLedgerEntry, User
from portal.services.principals import Actor, Reader
from portal.services.referrals import intake, queue
from portal.services.referrals.intake import Verification
from portal.services.referrals.ledger import moment
from portal.services.referrals.queue import CONTESTABLE, CaseView
from portal.services.referrals.vocabulary import ALLOWED, OPEN, TAKEDOWNS, Outcome


@dataclass(frozen=True)
class LedgerLine:
    at: datetime
    event: str
    org: str  # the organisation's code: the platform's own or the item's referrer
    by: str | None  # the platform user's e-mail; None for the referrer's users
    details: dict[str, Any]


@dataclass(frozen=True)
class ItemPage:
    view: CaseView
    verifications: dict[str, Verification]  # by referral id, for every referral of the case
    ledger: list[LedgerLine]
    outcomes: list[str]  # the decisions this item's kind allows (a question aside)
    may_claim: bool
    may_decide: bool
    may_ask: bool
    may_reopen: bool
    may_reinstate: bool
    may_record_complaint: bool
    now: datetime


def item_page(
    reader: Reader, actor: Actor, item_id: str, *, now: datetime | None = None
) -> ItemPage:
    """Open ``item_id`` for ``reader``'s platform (see the module doc); NotFound for an item of
    any other platform, Forbidden for anyone but the platform's liaison officers."""
    now = moment(now)
    view = queue.open_item(reader, actor, item_id, now=now)
    item = view.item
    verifications = {
        entry.referral_id: intake.verify(reader, entry.referral_id)
        for entry in view.case
        if entry.referral_id
    }
    session = db.session()
    rows = session.execute(
        select(ReferralLedgerEntry, User.email)
        .outerjoin(User, User.id == ReferralLedgerEntry.user_id)
        .where(ReferralLedgerEntry.item_id == item.id)
        .order_by(ReferralLedgerEntry.id)
    )
    ledger = [
        LedgerLine(
            at=entry.at,
            event=entry.event,
            org=reader.org_code if entry.org_id == reader.org_id else item.referrer,
            by=email if entry.org_id == reader.org_id else None,
            details=dict(entry.details),
        )
        for entry, email in rows
    ]
    kind = ReferralKind(item.kind)
    outcomes = [
        o.value for o in Outcome if o in ALLOWED[kind] and o is not Outcome.MORE_INFORMATION
    ]
    waiting = item.state in (*OPEN, ItemState.QUESTION.value)
    return ItemPage(
        view=view,
        verifications=verifications,
        ledger=ledger,
        outcomes=outcomes,
        may_claim=waiting and item.claimed_by is None,
        may_decide=item.state in (*OPEN, ItemState.QUESTION.value),
        may_ask=item.state in OPEN
        and not (kind is ReferralKind.REMOVAL_ORDER and now > item.deadline_at),
        may_reopen=item.state in (ItemState.DECIDED.value, ItemState.REINSTATED.value),
        may_reinstate=item.state == ItemState.DECIDED.value and item.outcome in TAKEDOWNS,
        may_record_complaint=item.state in (ItemState.DECIDED.value, ItemState.REINSTATED.value)
        and item.outcome in CONTESTABLE,
        now=now,
    )
