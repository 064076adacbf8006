"""An entity's page: every bulletin the reader's organisation can read that names it, the
spellings it appears under there, the organisation's own referrals of it (for its liaison
officers, who see those), and the hit/no-hit answer for the bulletins it cannot read.

The page is addressed by an opaque reference (:mod:`.references`), never by the identifier.
What is listed comes from bulletins opened with the reader's organisation's own key ring; the
other organisations' bulletins are counts per sender, as ``discovery.hits`` gives them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

import graph
from portal.extensions import db
from portal.models import (
    Bulletin,
    BulletinToken,
    Organisation,
    OrgKind,
    ReferralItem,
    Role,
    utcnow,
)
from portal.services.bulletins.access import readable_ids
from portal.services.bulletins.content import BulletinContent, Entity, EntityType
from portal.services.bulletins.entities import identifier_keys, name_keys
from portal.services.bulletins.reading import Unopened, open_bulletin
from portal.services.discovery import hits
from portal.services.errors import NotFound
from portal.services.organisations import keys as org_keys
from portal.services.principals import Reader
from portal.services.watchlists import references, watching

LISTED = 100  # bulletins listed on one page, newest first
REFERRALS_SCANNED = 5000  # an organisation's own referred accounts read to match an account


@dataclass(frozen=True)
class EntityBulletin:
    bulletin_id: str
    title: str | None  # None if it does not open (its read page says why)
    sender_code: str
    created_at: datetime
    marking: str
    version: int


@dataclass(frozen=True)
class EntityReferral:
    item_id: str
    url: str
    platform_code: str
    received_at: datetime
    state: str
    outcome: str | None


# Kinds in words (lazy: in the reader's language); any other kind shows as its code.
_KIND_LABELS: dict[str, Any] = {
    "name": _l("person"),
    "email": _l("e-mail"),
    "phone": _l("phone number"),
    "url": _l("URL"),
    "account": _l("account"),
    "group": _l("group"),
    "location": _l("place"),
}


@dataclass(frozen=True)
class EntityPage:
    reference: str
    kind: str  # account, phone, email, url, name (a person), group, location
    name: str  # the spelling most bulletins use, or the words of the key
    label: str  # what it is, in words
    variants: tuple[str, ...]  # every other spelling in the readable bulletins
    bulletins: tuple[EntityBulletin, ...]
    bulletins_total: int
    hidden: tuple[hits.HiddenGroup, ...]
    ask_via: tuple[str, str] | None  # (bulletin id, entity ref) the "Ask for access" goes through
    referrals: tuple[EntityReferral, ...] | None  # None: the reader does not see referrals
    watch_id: int | None

    @property
    def kind_label(self) -> str:
        """The kind in a reader's words: a person's key is a ``name`` key, but it is a person."""
        return str(_KIND_LABELS.get(self.kind, self.kind))

    @property
    def hidden_total(self) -> int:
        return sum(group.count for group in self.hidden)

    @property
    def open_groups(self) -> tuple[hits.HiddenGroup, ...]:
        return tuple(group for group in self.hidden if not group.asked)


def page_key(entity: Entity, country: str | None) -> str | None:
    """The key an entity's page is about: its identifier, a person's name as written (the other
    names of the mention are its variants), none for a travel event."""
    if entity.type is EntityType.TRAVEL:
        return None
    if entity.type is EntityType.PERSON:
        found = sorted(name_keys((entity.value,)))
        return found[0] if found else None
    keys = sorted(identifier_keys(entity, country))
    return keys[0] if keys else None


def entity_references(
    reader: Reader, content: BulletinContent, country: str | None
) -> dict[str, str]:
    """Entity ref -> the reference of its page, for the entities of an opened bulletin."""
    found: dict[str, str] = {}
    for entity in content.entities:
        key = page_key(entity, country)
        if key is not None:
            found[entity.ref] = references.reference(reader.org_id, key)
    return found


def query_references(reader: Reader, readings: tuple[hits.Interpretation, ...]) -> dict[str, str]:
    """Each reading of a search -> the reference of its page."""
    return {r.key: references.reference(reader.org_id, r.key) for r in readings}


def _spellings(entity: Entity) -> list[str]:
    if entity.type is EntityType.PERSON:
        return [entity.value, *entity.aliases, *entity.transliterations]
    if entity.type is EntityType.GROUP:
        return [entity.value, *entity.aliases]
    return [entity.value]


def entity_page(reader: Reader, reference: str, *, now: datetime | None = None) -> EntityPage:
    """The page of the entity ``reference`` stands for (NotFound for a reference that was not
    given to the reader's organisation, or a reader who does not see bulletins)."""
    if not reader.sees_bulletins:
        raise NotFound()
    key = references.key_of(reader.org_id, reference)
    if key is None:
        raise NotFound()
    now = now or utcnow()
    session = db.session()
    token = org_keys.blind_index().token(key)
    readable = select(Bulletin).where(
        Bulletin.id.in_(select(BulletinToken.bulletin_id).where(BulletinToken.token == token)),
        Bulletin.id.in_(readable_ids(reader)),
        Bulletin.state.in_(hits.READABLE_STATES),
    )
    total = session.scalar(select(func.count()).select_from(readable.subquery())) or 0
    rows = list(session.scalars(readable.order_by(Bulletin.created_at.desc()).limit(LISTED)))
    keyring = org_keys.keyring(reader.org_code)
    # The heading is the name bulletins give first (what a reader clicked on); aliases and
    # transliterations are its other spellings, listed, never the heading for being many.
    written: Counter[str] = Counter()
    spellings: set[str] = set()
    listed: list[EntityBulletin] = []
    ask_via: tuple[str, str] | None = None
    for row in rows:
        opened = open_bulletin(session, reader.org_code, row, now=now, keyring=keyring)
        title = None
        if not isinstance(opened, Unopened):
            title = opened.content.title
            for entity in opened.content.entities:
                if key in identifier_keys(entity, row.sender.country):
                    written.update([entity.value.strip()] if entity.value.strip() else [])
                    spellings.update(s.strip() for s in _spellings(entity) if s.strip())
                    ask_via = ask_via or (row.id, entity.ref)
        listed.append(
            EntityBulletin(row.id, title, row.sender.code, row.created_at, row.marking, row.version)
        )
    kind = key.partition(":")[0]
    name = written.most_common(1)[0][0] if written else _bare(key)
    label = watching.label_of(key, name)
    variants = tuple(sorted(s for s in spellings if s != name))
    hidden = hits.group_hidden(session, reader, hits.hidden_by_org(session, reader, [token]))
    return EntityPage(
        reference=reference,
        kind=kind,
        name=name,
        label=label,
        variants=variants,
        bulletins=tuple(listed),
        bulletins_total=total,
        hidden=hidden,
        ask_via=ask_via,
        referrals=_referrals(reader, key),
        watch_id=watching.watch_of(reader, key),
    )


def _bare(key: str) -> str:
    """A key's value without its kind (and platform): what to call an entity no readable
    bulletin spells."""
    kind, _, rest = key.partition(":")
    if kind == "account":
        return "@" + rest.partition(":")[2].lstrip("@")
    return rest


def _referrals(reader: Reader, key: str) -> tuple[EntityReferral, ...] | None:
    """The organisation's own referred items whose URL or account is this entity, for its
    liaison officers (who see the organisation's referrals); None for anyone else."""
    if not reader.has_role(Role.LIAISON) or reader.org_kind is OrgKind.PLATFORM:
        return None
    kind = key.partition(":")[0]
    if kind not in ("url", "account"):
        return ()
    query = (
        select(
            ReferralItem.id,
            ReferralItem.url,
            ReferralItem.account,
            Organisation.code,
            ReferralItem.received_at,
            ReferralItem.state,
            ReferralItem.outcome,
        )
        .join(Organisation, Organisation.id == ReferralItem.platform_org_id)
        .where(ReferralItem.referrer_org_id == reader.org_id)
        .order_by(ReferralItem.received_at.desc())
    )
    if kind == "url":
        query = query.where(ReferralItem.url_key == key)
    else:
        query = query.where(
            or_(ReferralItem.account.is_not(None), ReferralItem.content_type == "account")
        ).limit(REFERRALS_SCANNED)
    found = []
    for item_id, url, account, platform, received, state, outcome in db.session.execute(query):
        if kind == "account" and key not in _account_keys(url, account):
            continue
        found.append(EntityReferral(item_id, url, platform, received, state, outcome))
    return tuple(found[:LISTED])


def _account_keys(url: str, account: str | None) -> set[str]:
    keys = set()
    for value in (url, account):
        if not value:
            continue
        try:
            key = graph.entity_key(graph.Entity("r", "account", value=value))
        except graph.NotNormalisable:
            continue
        if key:
            keys.add(key)
    return keys
