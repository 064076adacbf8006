"""Discovery without disclosure: does an identifier also appear in bulletins the asker cannot read?

The answer is a hit/no-hit count per sending organisation ("2 bulletins you cannot read, from
FR-MININT and DE-BMI"), as the Prüm system answers for DNA profiles, and nothing more: no id,
title, date, category or marking of a bulletin the asker cannot read leaves this module except
as a count. The asker can then ask the originator for access (:mod:`.access_requests`), which
works from the same identifier, never from an id.

Identifiers are compared by keyed blind-index token (``org_keys.blind_index()``) of their
canonical key (``graph.normalise``), so equal identifiers match however they were spelt and the
database holds no identifier in clear.

Only bulletins in a readable state (active or superseded) count: a retracted or expired
bulletin is a tombstone and its tokens are gone anyway. **TLP:RED bulletins never count**: they
are for the organisations named on them only, and even their existence stays invisible to others.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session

from graph.labels import platform_name
from graph.normalise import (
    NotNormalisable,
    account_key,
    email_key,
    label_key,
    phone_key,
    url_key,
)
from portal.extensions import db
from portal.i18n import any_of
from portal.models import (
    AccessRequest,
    AccessRequestState,
    Bulletin,
    BulletinRecipient,
    BulletinState,
    BulletinToken,
    Organisation,
    utcnow,
)
from portal.services.bulletins.access import readable_ids
from portal.services.bulletins.content import BulletinContent, Marking, Platform
from portal.services.bulletins.entities import identifier_keys, name_keys
from portal.services.bulletins.reading import Unopened, open_bulletin
from portal.services.errors import InvalidInput, NotFound
from portal.services.organisations import keys as org_keys
from portal.services.principals import Reader

MAX_QUERY = 500
READABLE_LISTED = 25
READABLE_STATES = tuple(s.value for s in BulletinState if s.readable)
RED_EXCLUDED = _l(
    "TLP:RED bulletins are never counted here: they stay invisible to every organisation "
    "they were not sent to."
)

_PHONE = re.compile(r"^(tel:)?[+(]?[\d\s().\-/]{6,}$", re.IGNORECASE)
_URLISH = re.compile(r"^([a-z][a-z0-9+.\-]*://|www\.)|^[\w\-]+(\.[\w\-]+)+(/|$)", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Interpretation:
    """One way a typed query was read: its canonical key and what kind of identifier it is."""

    label: str
    key: str


def _sentence(groups: tuple[HiddenGroup, ...]) -> str:
    codes = [group.org_code for group in groups]
    if len(codes) == 1:
        return codes[0]
    return gettext("%(first)s and %(last)s", first=", ".join(codes[:-1]), last=codes[-1])


@dataclass(frozen=True)
class HiddenGroup:
    """Bulletins from one organisation that the asker cannot read: how many, nothing else."""

    org_code: str
    org_name: str
    count: int
    pending: int  # how many of them the asker's organisation has already asked for

    @property
    def asked(self) -> bool:
        return self.pending >= self.count


@dataclass(frozen=True)
class ReadableHit:
    bulletin_id: str
    title: str | None  # None if the envelope does not open (the read page says why)
    sender_code: str
    created_at: datetime
    marking: str
    state: str
    version: int


class _HiddenSummary:
    """The one thing said of bulletins the reader cannot read: how many, and who sent them."""

    hidden: tuple[HiddenGroup, ...]

    @property
    def hidden_total(self) -> int:
        return sum(group.count for group in self.hidden)

    @property
    def hidden_senders(self) -> str:
        """Who sent the hidden bulletins, as in "FR-MININT and DE-BMI"."""
        return _sentence(self.hidden) if self.hidden else ""


@dataclass(frozen=True)
class SearchResult(_HiddenSummary):
    query: str
    interpretations: tuple[Interpretation, ...]
    readable: tuple[ReadableHit, ...]
    readable_total: int
    hidden: tuple[HiddenGroup, ...]

    @property
    def described(self) -> tuple[str, ...]:
        """What was searched for, in words (never the internal keys)."""
        return describe(self.query, self.interpretations)


_PLATFORMS = frozenset(p.value for p in Platform)


def describe(query: str, readings: Iterable[Interpretation]) -> tuple[str, ...]:
    """Each reading of ``query`` as a phrase in the reader's language: "the Telegram or X
    account @wadi", "the phone number +33612345678", "a person's name spelled like “Saad
    Salman”, in any script"."""
    phrases: list[str] = []
    accounts: dict[str, list[str]] = {}  # handle -> platforms, in the order found
    typed = query.strip()
    for reading in readings:
        kind, _, rest = reading.key.partition(":")
        if kind == "account":
            where, _, handle = rest.partition(":")
            accounts.setdefault(handle.lstrip("@"), []).append(where)
        elif kind == "name":
            phrase = gettext("a person's name spelled like “%(name)s”, in any script", name=typed)
            if phrase not in phrases:
                phrases.append(phrase)
        elif kind == "phone":
            phrases.append(gettext("the phone number %(number)s", number=rest))
        elif kind == "email":
            phrases.append(gettext("the e-mail address %(address)s", address=rest))
        elif kind == "url":
            phrases.append(gettext("the web address %(address)s", address=rest))
        elif kind == "group":
            phrases.append(gettext("a group named “%(name)s”", name=typed))
        elif kind == "location":
            phrases.append(gettext("a place named “%(name)s”", name=typed))
        else:
            phrases.append(reading.label)
    for handle, places in accounts.items():
        names = [platform_label(p) if p in _PLATFORMS else p for p in places]
        phrases.insert(
            0,
            gettext(
                "the %(platforms)s account @%(handle)s", platforms=any_of(names), handle=handle
            ),
        )
    return tuple(phrases)


@dataclass(frozen=True)
class EntityHits(_HiddenSummary):
    """An entity of the bulletin being read that also appears in bulletins the reader cannot."""

    ref: str
    type: str
    value: str
    hidden: tuple[HiddenGroup, ...]


@dataclass(frozen=True)
class BulletinDiscovery:
    entities_checked: int
    hits: tuple[EntityHits, ...]


def _check_reader(reader: Reader) -> None:
    if not reader.sees_bulletins:
        raise NotFound()


def platform_label(platform: str) -> str:
    """A platform as written everywhere: :func:`graph.labels.platform_name`."""
    return platform_name(platform)


def interpret(text: str, platform: str | None, region: str | None) -> tuple[Interpretation, ...]:
    """Every canonical key ``text`` can stand for: account, e-mail, URL, phone, name, group, place.

    A bare handle needs a platform; ``@handle`` without one is tried on every platform.
    National phone numbers are read in ``region`` (the asker's organisation's country).
    """
    text = text.strip()
    found: dict[str, str] = {}

    def attempt(label: str, make: Callable[[], str]) -> None:
        try:
            found.setdefault(make(), label)
        except NotNormalisable:
            pass

    if _EMAIL.match(text) and not text.startswith("@"):
        attempt(gettext("e-mail address"), lambda: email_key(text))
    elif platform:
        attempt(
            gettext("%(platform)s account", platform=platform_label(platform)),
            lambda: account_key(text, platform),
        )
    elif text.startswith("@"):
        for each in Platform:
            if each is not Platform.OTHER:
                name = each.value
                attempt(
                    gettext("%(platform)s account", platform=platform_label(name)),
                    partial(account_key, text, name),
                )
    if not _EMAIL.match(text) and _URLISH.match(text):
        attempt(gettext("account"), lambda: account_key(text))
        attempt(gettext("URL"), lambda: url_key(text))
    if _PHONE.match(text) and sum(c.isdigit() for c in text) >= 6:
        attempt(gettext("phone number"), lambda: phone_key(text, region))
    if _looks_like_name(text):
        for key in sorted(name_keys((text,))):
            found.setdefault(key, gettext("person's name"))
        attempt(gettext("group"), lambda: label_key("group", text))
        attempt(gettext("place"), lambda: label_key("location", text))
    return tuple(Interpretation(label, key) for key, label in found.items())


def _looks_like_name(text: str) -> bool:
    return (
        any(c.isalpha() for c in text)
        and not any(c.isdigit() for c in text)
        and not any(c in "@/:" for c in text)
    )


def _tokens(keys: Iterable[str]) -> dict[bytes, str]:
    index = org_keys.blind_index()
    return {index.token(key): key for key in keys}


def tokens_for(keys: Iterable[str]) -> list[bytes]:
    """Blind-index tokens of canonical keys, as sealing stored them."""
    return list(_tokens(keys))


def _not_readable_by(reader: Reader) -> ColumnElement[bool]:
    return ~exists().where(
        BulletinRecipient.bulletin_id == Bulletin.id, BulletinRecipient.org_id == reader.org_id
    )


def hidden_matches(
    session: Session, reader: Reader, tokens: Iterable[bytes]
) -> list[tuple[bytes, str, int]]:
    """(token, bulletin id, sender org id) of every discoverable bulletin hidden from ``reader``.

    The ids stay on the server: callers turn them into counts or access requests.
    """
    wanted = sorted(set(tokens))
    if not wanted:
        return []
    query = (
        select(BulletinToken.token, Bulletin.id, Bulletin.sender_org_id)
        .join(Bulletin, Bulletin.id == BulletinToken.bulletin_id)
        .where(
            BulletinToken.token.in_(wanted),
            Bulletin.state.in_(READABLE_STATES),
            Bulletin.marking != Marking.RED.value,
            _not_readable_by(reader),
        )
    )
    return [
        (bytes(token), bulletin_id, org_id) for token, bulletin_id, org_id in session.execute(query)
    ]


def group_hidden(
    session: Session, reader: Reader, by_org: Mapping[int, set[str]]
) -> tuple[HiddenGroup, ...]:
    """Counts per sender, with how many of them the reader's organisation already asked for."""
    if not by_org:
        return ()
    orgs = {
        org.id: org
        for org in session.scalars(select(Organisation).where(Organisation.id.in_(list(by_org))))
    }
    all_ids = set().union(*by_org.values())
    asked = set(
        session.scalars(
            select(AccessRequest.bulletin_id).where(
                AccessRequest.requester_org_id == reader.org_id,
                AccessRequest.state == AccessRequestState.PENDING.value,
                AccessRequest.bulletin_id.in_(sorted(all_ids)),
            )
        )
    )
    groups = [
        HiddenGroup(orgs[org_id].code, orgs[org_id].name, len(ids), len(ids & asked))
        for org_id, ids in by_org.items()
    ]
    return tuple(sorted(groups, key=lambda g: g.org_code))


def hidden_by_org(session: Session, reader: Reader, tokens: Iterable[bytes]) -> dict[int, set[str]]:
    by_org: dict[int, set[str]] = defaultdict(set)
    for _token, bulletin_id, org_id in hidden_matches(session, reader, tokens):
        by_org[org_id].add(bulletin_id)
    return dict(by_org)


def query_keys(reader: Reader, query: str, platform: str | None) -> tuple[Interpretation, ...]:
    """Validate a typed query and read it as identifiers. Raises InvalidInput naming the field."""
    _check_reader(reader)
    query = (query or "").strip()
    if not query:
        raise InvalidInput(gettext("Type an identifier or a name to look for."), field="q")
    if len(query) > MAX_QUERY:
        raise InvalidInput(gettext("Type at most %(max)s characters.", max=MAX_QUERY), field="q")
    if platform:
        try:
            platform = Platform(platform).value
        except ValueError:
            raise InvalidInput(
                gettext("Choose a platform from the list."), field="platform"
            ) from None
    readings = interpret(query, platform or None, reader.country)
    if not readings and _PHONE.match(query) and reader.country is None:
        raise InvalidInput(
            gettext(
                "Type the number in international form (+33 …): your organisation has no "
                "country to read national numbers in."
            ),
            field="q",
        )
    if not readings:
        raise InvalidInput(
            gettext(
                "This is not an identifier or a name that can be looked for. Type an account "
                "URL, an @handle (with its platform), a phone number, an e-mail address, a URL "
                "or a name."
            ),
            field="q",
        )
    return readings


def search(
    reader: Reader, query: str, platform: str | None = None, *, now: datetime | None = None
) -> SearchResult:
    """Readable bulletins naming ``query`` (listed), and hidden ones (counted per sender)."""
    readings = query_keys(reader, query, platform)
    session = db.session()
    tokens = list(_tokens(r.key for r in readings))
    matching = select(BulletinToken.bulletin_id).where(BulletinToken.token.in_(tokens))
    readable: Select[Bulletin] = select(Bulletin).where(
        Bulletin.id.in_(matching),
        Bulletin.id.in_(readable_ids(reader)),
        Bulletin.state.in_(READABLE_STATES),
    )
    total = session.scalar(select(func.count()).select_from(readable.subquery())) or 0
    rows = session.scalars(readable.order_by(Bulletin.created_at.desc()).limit(READABLE_LISTED))
    hits = tuple(_readable_hit(session, reader, row, now or utcnow()) for row in rows)
    hidden = group_hidden(session, reader, hidden_by_org(session, reader, tokens))
    return SearchResult(query.strip(), readings, hits, total, hidden)


def _readable_hit(
    session: Session, reader: Reader, bulletin: Bulletin, now: datetime
) -> ReadableHit:
    opened = open_bulletin(session, reader.org_code, bulletin, now=now)
    return ReadableHit(
        bulletin_id=bulletin.id,
        title=None if isinstance(opened, Unopened) else opened.content.title,
        sender_code=bulletin.sender.code,
        created_at=bulletin.created_at,
        marking=bulletin.marking,
        state=bulletin.state,
        version=bulletin.version,
    )


def for_bulletin(
    reader: Reader, sender: Organisation, content: BulletinContent
) -> BulletinDiscovery:
    """For each entity of a bulletin the reader is reading: hidden bulletins that name it too.

    Keys are computed as they were at sealing, with the sender's country for national phones.
    The bulletin itself is readable, so it never counts among the hidden ones.
    """
    _check_reader(reader)
    session = db.session()
    per_entity: dict[str, set[bytes]] = {}
    for entity in content.entities:
        per_entity[entity.ref] = set(_tokens(identifier_keys(entity, sender.country)))
    all_tokens = set().union(*per_entity.values()) if per_entity else set()
    matches = hidden_matches(session, reader, all_tokens)
    hits = []
    for entity in content.entities:
        by_org: dict[int, set[str]] = defaultdict(set)
        for token, bulletin_id, org_id in matches:
            if token in per_entity[entity.ref]:
                by_org[org_id].add(bulletin_id)
        if by_org:
            groups = group_hidden(session, reader, by_org)
            hits.append(EntityHits(entity.ref, entity.type.value, entity.value, groups))
    return BulletinDiscovery(len(content.entities), tuple(hits))


def hidden_for_entity(
    session: Session, reader: Reader, content: BulletinContent, sender: Organisation, ref: str
) -> dict[int, set[str]]:
    """Hidden bulletin ids per sender naming entity ``ref`` of ``content`` (server side only)."""
    entity = next((e for e in content.entities if e.ref == ref), None)
    if entity is None:
        raise InvalidInput(gettext("This bulletin names no such entity."), field="entity")
    return hidden_by_org(session, reader, _tokens(identifier_keys(entity, sender.country)))


def hidden_for_query(
    session: Session, reader: Reader, query: str, platform: str | None
) -> dict[int, set[str]]:
    """Hidden bulletin ids per sender naming a typed query (server side only)."""
    readings = query_keys(reader, query, platform)
    return hidden_by_org(session, reader, _tokens(r.key for r in readings))
