"""Referring content from a page: what the referrer may choose, every problem of a draft at once,
and the referral as it was sent, with its signature checked.

``intake`` stops at a draft's first problem, which is right for the API and for bulk rows; an
officer who typed twelve fields into five item rows wants every problem shown next to its field
in one go. :func:`problems` runs intake's own checks field by field and collects them;
:func:`refer` refers only a draft without problems (and intake checks it again, whole).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select

from portal.extensions import db
from portal.models import Organisation, OrgKind, Referral, ReferralKind, Role
from portal.services.errors import Forbidden, InvalidInput, NotFound, ServiceError
from portal.services.principals import Actor, Reader
from portal.services.referrals import access, intake, referrer, suggestions
from portal.services.referrals.bulk import CHUNK as BULK_CHUNK
from portal.services.referrals.intake import ReferralDraft, Referred, Verification
from portal.services.referrals.referrer import HistoryEntry, OwnFilter, OwnItem
from portal.services.referrals.vocabulary import (
    MAX_PAGE,
    Category,
    ContentType,
    choice,
)


class DraftProblems(InvalidInput):
    """Every problem of a draft; ``status`` is 403 when one of them is a refusal (an order
    from an organisation that may not issue one), else 400."""

    def __init__(self, problems: list[ServiceError]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = problems
        self.status = max(p.status for p in problems)


@dataclass(frozen=True)
class Platform:
    code: str
    name: str


@dataclass(frozen=True)
class Choices:
    """What the referring officer chooses from."""

    platforms: list[Platform]
    may_order: bool  # the organisation is a competent authority (removal orders)
    groups: list[str]  # groups the organisation attributed content to before


@dataclass(frozen=True)
class Sent:
    """A referral the reader's organisation sent, as it was stored, and its signature check."""

    id: str
    kind: str
    platform: str
    legal_basis: str | None
    received_at: datetime
    deadline_at: datetime
    items: list[OwnItem]
    verification: Verification = field(repr=False)


def _require_referrer(reader: Reader) -> None:
    if not reader.has_role(Role.LIAISON) or reader.org_kind is OrgKind.PLATFORM:
        raise Forbidden(gettext("Only liaison officers of a ministry or observer refer content."))


def choices(reader: Reader) -> Choices:
    """The platforms one may refer to, and whether the organisation may issue removal orders."""
    _require_referrer(reader)
    session = db.session()
    platforms = session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrgKind.PLATFORM)
        .order_by(Organisation.code)
    )
    own = session.get_one(Organisation, reader.org_id)
    return Choices(
        [Platform(p.code, p.name) for p in platforms],
        bool(own.competent_authority),
        suggestions.attributed_groups(reader),
    )


def _collect(found: list[ServiceError], check: Callable[[], object]) -> None:
    try:
        check()
    except (InvalidInput, Forbidden) as error:
        found.append(error)


def problems(reader: Reader, draft: ReferralDraft) -> list[ServiceError]:
    """Every problem of ``draft``, each naming its field (``kind``, ``items[2].url`` ...), in
    the order of the form; empty when intake would accept it."""
    _require_referrer(reader)
    session = db.session()
    found: list[ServiceError] = []
    kind: ReferralKind | None = None
    try:
        kind = choice(ReferralKind, draft.kind, "kind")
    except InvalidInput as error:
        found.append(error)
    code = (draft.platform or "").strip().upper()
    platform = session.scalar(select(Organisation).where(Organisation.code == code))
    if platform is None or platform.kind is not OrgKind.PLATFORM:
        found.append(
            InvalidInput(
                gettext("Choose a platform partner to refer content to."), field="platform"
            )
        )
    if kind is ReferralKind.REMOVAL_ORDER:
        own = session.get_one(Organisation, reader.org_id)
        if not own.competent_authority:
            # vocabulary.ORDER_RULE, in the reader's language
            rule = gettext(
                "Only a competent authority of an EU member state may issue a removal order "
                "(Regulation (EU) 2021/784, Art. 3)."
            )
            found.append(Forbidden(rule, field="kind"))
        if not " ".join((draft.legal_basis or "").split()):
            found.append(
                InvalidInput(
                    gettext("A removal order must name its legal basis."), field="legal_basis"
                )
            )
    _collect(
        found,
        lambda: intake._text(draft.legal_basis, "legal_basis", intake.MAX_LEGAL_BASIS),
    )
    if not draft.items:
        found.append(InvalidInput(gettext("Refer at least one content item."), field="items"))
    if len(draft.items) > intake.MAX_ITEMS:
        found.append(
            InvalidInput(
                gettext("Refer at most %(count)s items at once.", count=intake.MAX_ITEMS),
                field="items",
            )
        )
    seen: dict[str, int] = {}
    for index, item in enumerate(draft.items[: intake.MAX_ITEMS]):
        found.extend(_item_problems(item, index, seen))
    if not found:
        # Anything intake checks that the field-by-field pass above does not (yet).
        _collect(found, lambda: intake.check_draft(session, reader, draft))
    return found


def _item_problems(item: intake.ItemDraft, index: int, seen: dict[str, int]) -> list[ServiceError]:
    where = f"items[{index}]"
    found: list[ServiceError] = []
    try:
        _, key = intake._url(item.url, f"{where}.url")
    except InvalidInput as error:
        found.append(error)
    else:
        if key in seen:
            found.append(
                InvalidInput(
                    gettext("This is the same address as item %(number)s.", number=seen[key] + 1),
                    field=f"{where}.url",
                )
            )
        else:
            seen[key] = index
    _collect(found, lambda: intake._text(item.account, f"{where}.account", intake.MAX_TEXT))
    _collect(found, lambda: choice(ContentType, item.content_type, f"{where}.content_type"))
    _collect(found, lambda: choice(Category, item.category, f"{where}.category"))
    language = (item.language or "").strip().lower()
    if language and not intake._LANGUAGE.fullmatch(language):
        found.append(
            InvalidInput(
                gettext("Give an ISO 639 language code, such as ar or en."),
                field=f"{where}.language",
            )
        )
    _collect(
        found,
        lambda: intake._text(item.attributed_group, f"{where}.attributed_group", intake.MAX_TEXT),
    )
    _collect(
        found,
        lambda: intake._text(item.reason, f"{where}.reason", intake.MAX_REASON, required=True),
    )
    _collect(found, lambda: intake._hashes(item.hashes, f"{where}.hashes"))
    return found


def refer(
    reader: Reader, actor: Actor, draft: ReferralDraft, *, now: datetime | None = None
) -> Referred:
    """Refer ``draft`` (see ``intake.refer``); :class:`DraftProblems` with every problem, and
    nothing stored, when it has any."""
    found = problems(reader, draft)
    if found:
        raise DraftProblems(found)
    try:
        return intake.refer(reader, actor, draft, now=now)
    except (InvalidInput, Forbidden) as error:
        raise DraftProblems([error]) from None


def sent(reader: Reader, referral_id: str, *, now: datetime | None = None) -> Sent:
    """A referral the reader's organisation sent: its items as the referrer sees them, and
    whether the stored rows are what it signed. Any other id is :class:`NotFound`."""
    access.require_liaison(reader)
    session = db.session()
    referral: Referral = access.visible_referral(session, reader, referral_id)
    if referral.referrer_org_id != reader.org_id:
        raise NotFound()
    # Every item of it: up to intake.MAX_ITEMS from the form or the API, a chunk of a bulk
    # upload (bulk.CHUNK) from an action day; read a list page at a time.
    items: list[OwnItem] = []
    for number in range(1, BULK_CHUNK // MAX_PAGE + 2):
        page = referrer.own_page(
            reader, OwnFilter(referral=referral.id), page=number, size=MAX_PAGE, now=now
        )
        items.extend(page.items)
        if not page.has_more:
            break
    platform = session.get_one(Organisation, referral.platform_org_id)
    return Sent(
        id=referral.id,
        kind=referral.kind,
        platform=platform.code,
        legal_basis=referral.legal_basis,
        received_at=referral.received_at,
        deadline_at=items[0].deadline_at if items else referral.received_at,
        items=items,
        verification=intake.verify(reader, referral.id),
    )


@dataclass(frozen=True)
class Detail:
    """One of the organisation's items, its ledger and whether its referral's signature holds."""

    item: OwnItem
    history: list[HistoryEntry]
    verification: Verification


def detail(reader: Reader, item_id: str, *, now: datetime | None = None) -> Detail:
    """An item the reader's organisation referred; any other id is :class:`NotFound`."""
    item = referrer.own_item(reader, item_id, now=now)
    return Detail(item, referrer.history(reader, item_id), intake.verify(reader, item.referral_id))
