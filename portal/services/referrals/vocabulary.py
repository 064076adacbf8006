"""The fixed vocabularies of referrals, and which decision fits which kind.

A referral asks the platform to check content against its own terms, so every outcome is
open to it except the regulation's exits. A removal order (Regulation (EU) 2021/784) obliges
the platform to remove the content or disable access to it within one hour (Art. 3(3)): it
cannot be declined on terms grounds, so "no violation", "not our service", "restricted" and
"account suspended" are refused. Its exits are the regulation's: impossibility for force
majeure or technical reasons (Art. 3(7), reason required), a request for more information
when the order is incomplete or manifestly wrong (Art. 3(8)), and a request for scrutiny
(Art. 4(4), reason required).
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import TypeVar

from flask_babel import gettext

from portal.models import ItemState, ReferralKind
from portal.services.errors import InvalidInput

# Items still waiting for the platform's decision, on both sides' lists.
OPEN = (ItemState.RECEIVED.value, ItemState.CLAIMED.value)
MAX_PAGE = 200  # rows per page of a queue or a referrer's list

ORDER_DEADLINE = timedelta(hours=1)  # Regulation (EU) 2021/784, Art. 3(3): not configurable
ORDER_RULE = (
    "Only a competent authority of an EU member state may issue a removal order "
    "(Regulation (EU) 2021/784, Art. 3)."
)


def order_rule() -> str:
    """:data:`ORDER_RULE` in the reader's language (the API's is English)."""
    text: str = gettext(
        "Only a competent authority of an EU member state may issue a removal order "
        "(Regulation (EU) 2021/784, Art. 3)."
    )
    return text


class ContentType(enum.StrEnum):
    VIDEO = "video"
    IMAGE = "image"
    AUDIO = "audio"
    TEXT = "text"
    LIVE_STREAM = "live_stream"
    FILE = "file"
    ACCOUNT = "account"


class Category(enum.StrEnum):
    RECRUITMENT = "recruitment"
    INCITEMENT = "incitement"
    ATTACK_INSTRUCTIONS = "attack_instructions"
    WEAPONS_MANUAL = "weapons_manual"  # weapons or explosives manual
    PROPAGANDA = "propaganda"  # glorification or propaganda
    FINANCING = "financing"
    OTHER = "other"


class Outcome(enum.StrEnum):
    REMOVED = "removed"
    ACCESS_DISABLED = "access_disabled"  # in the listed countries (countries required)
    RESTRICTED = "restricted"
    ACCOUNT_SUSPENDED = "account_suspended"
    NO_VIOLATION = "no_violation"
    NOT_OUR_SERVICE = "not_our_service"
    ALREADY_GONE = "already_gone"
    MORE_INFORMATION = "more_information"  # a question back to the referrer
    TECHNICAL_IMPOSSIBILITY = "technical_impossibility"  # orders only, reason required
    FORCE_MAJEURE = "force_majeure"  # orders only, reason required
    SCRUTINY_REQUESTED = "scrutiny_requested"  # orders only, reason required


ORDER_EXITS = frozenset(
    {Outcome.TECHNICAL_IMPOSSIBILITY, Outcome.FORCE_MAJEURE, Outcome.SCRUTINY_REQUESTED}
)
ALLOWED: dict[ReferralKind, frozenset[Outcome]] = {
    ReferralKind.REFERRAL: frozenset(Outcome) - ORDER_EXITS,
    ReferralKind.REMOVAL_ORDER: frozenset(
        {Outcome.REMOVED, Outcome.ACCESS_DISABLED, Outcome.ALREADY_GONE, Outcome.MORE_INFORMATION}
    )
    | ORDER_EXITS,
}
NEEDS_REASON = ORDER_EXITS
# Outcomes that take content down: the ones a platform may later reverse by reinstating it.
TAKEDOWNS = frozenset({Outcome.REMOVED, Outcome.ACCESS_DISABLED, Outcome.RESTRICTED})

E = TypeVar("E", bound=enum.StrEnum)


def choice(kind: type[E], raw: object, field: str) -> E:
    """``raw`` as a member of ``kind``; InvalidInput naming ``field`` and the choices."""
    try:
        return kind(str(raw or "").strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(
            # Worded as the bulletins' choice errors, which the refer form recognises.
            gettext("Choose one of: %(allowed)s.", allowed=allowed),
            field=field,
        ) from None


def check_outcome(kind: ReferralKind, outcome: Outcome) -> None:
    if outcome in ALLOWED[kind]:
        return
    if kind is ReferralKind.REMOVAL_ORDER:
        raise InvalidInput(
            gettext(
                "A removal order cannot be declined on terms grounds: remove the content, disable "
                "access to it, or use the regulation's exits (technical impossibility, force "
                "majeure, more information needed, request for scrutiny)."
            ),
            field="outcome",
        )
    raise InvalidInput(
        gettext(
            "%(outcome)s is an exit of the removal order regulation, not an answer to a referral.",
            outcome=outcome.value,
        ),
        field="outcome",
    )
