"""The input that the portal hands to ``graph/``: plain, typed, immutable records.

One bulletin, as far as the graph is concerned, is a :class:`Bulletin`: its
:class:`Provenance` (who reported it, when, under which TLP marking), the
:class:`Entity` records it names, the :class:`Relation` records between them and
the :class:`TravelEvent` records of the people it follows.  Entities are referred
to inside a bulletin by ``ref``, a local identifier chosen by the author (the
compose form, the API or the STIX importer); the graph decides which node each
one becomes (see :func:`graph.normalise.entity_key`).

Nothing here knows about Flask, SQLAlchemy or cryptography: the portal opens a
bulletin, then converts its entities into these records.

Examples
--------
>>> from datetime import date
>>> b = Bulletin(
...     provenance=Provenance("B-1", "FR", date(2025, 3, 1), "TLP:AMBER"),
...     entities=(
...         Entity("p1", "person", name="Abu Muhammad al-Adnani"),
...         Entity("a1", "account", platform="telegram", handle="@adnani_media"),
...     ),
...     relations=(Relation("uses_account", "p1", "a1"),),
... )
>>> b.bulletin_id, len(b.entities)
('B-1', 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal, get_args

__all__ = [
    "ENTITY_TYPES",
    "MARKINGS",
    "NODE_TYPES",
    "RELATION_TYPES",
    "Bulletin",
    "Entity",
    "EntityType",
    "InvalidBulletin",
    "Marking",
    "NodeType",
    "Provenance",
    "Relation",
    "RelationType",
    "TravelEvent",
]

EntityType = Literal["person", "account", "group", "phone", "email", "url", "location"]
"""What an entity named in a bulletin is."""

NodeType = Literal["person", "account", "group", "phone", "email", "url", "location", "bulletin"]
"""What a graph node is: an entity type, or the bulletin that reported entities."""

RelationType = Literal[
    "uses_account",
    "uses_phone",
    "uses_email",
    "member_of",
    "recruited",
    "contacted",
    "travelled_to",
    "financed",
    "same_as",
    "related_to",
]
"""What a bulletin says about two of its entities (source → target)."""

Marking = Literal["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
"""Traffic Light Protocol 2.0 markings, exactly as written in the standard."""

ENTITY_TYPES: Final[tuple[EntityType, ...]] = get_args(EntityType)
NODE_TYPES: Final[tuple[NodeType, ...]] = get_args(NodeType)
RELATION_TYPES: Final[tuple[RelationType, ...]] = get_args(RelationType)
MARKINGS: Final[tuple[Marking, ...]] = get_args(Marking)


class InvalidBulletin(ValueError):
    """A bulletin's graph content is inconsistent (unknown type, dangling reference, ...)."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a bulletin comes from.

    Parameters
    ----------
    bulletin_id : str
        The portal's identifier of the bulletin; unique across all organisations.
    organisation : str
        Code of the reporting organisation (``"DE"``, ``"FR"``, ``"INTERPOL"``, ...).
    reported_on : datetime.date
        The date the bulletin was issued.
    marking : Marking
        Its TLP 2.0 marking.
    """

    bulletin_id: str
    organisation: str
    reported_on: date
    marking: Marking

    def __post_init__(self) -> None:
        if not self.bulletin_id:
            raise InvalidBulletin("a bulletin needs an id")
        if not self.organisation:
            raise InvalidBulletin(f"bulletin {self.bulletin_id} has no organisation")
        if self.marking not in MARKINGS:
            raise InvalidBulletin(f"bulletin {self.bulletin_id}: unknown marking {self.marking!r}")


@dataclass(frozen=True, slots=True)
class Entity:
    """One person, account, group, phone, e-mail address, URL or location named in a bulletin.

    Only the fields that make sense for ``type`` need to be set: a person has a
    ``name`` (and perhaps ``aliases``, ``transliterations``, ``nationality``,
    ``date_of_birth``, ``role``); an account a ``platform`` and a ``handle`` or
    ``url``; a phone, e-mail address or URL a ``value``; a group or location a
    ``name``.

    Parameters
    ----------
    ref : str
        Identifier of the entity inside its bulletin; relations refer to it.
    type : EntityType
        What the entity is.
    name : str, optional
        Display name (person, group, location; optional display name of an account).
    aliases : tuple of str
        Other names, noms de guerre, kunyas.
    transliterations : tuple of str
        The same name written in other scripts, as the author gave them.
    nationality : str, optional
        ISO 3166-1 alpha-2 code.
    date_of_birth : datetime.date, optional
    role : str, optional
        Free text ("facilitator", "recruiter", ...).
    platform : str, optional
        Platform of an account (``"telegram"``, ``"x"``, ...); guessed from ``url``
        when omitted.
    handle : str, optional
        Account handle or numeric id as the author wrote it.
    url : str, optional
        Profile URL of an account.
    value : str, optional
        The phone number, e-mail address or URL for those types; for an account,
        its URL or handle when ``url`` and ``handle`` are not given; for a person,
        group or location, its name when ``name`` is not given (the portal's
        bulletin content keeps every entity's main text in one ``value``).
    key : str, optional
        Canonical key computed at intake by :func:`graph.normalise.entity_key`;
        when given, the builder trusts it instead of normalising again.
    """

    ref: str
    type: EntityType
    name: str | None = None
    aliases: tuple[str, ...] = ()
    transliterations: tuple[str, ...] = ()
    nationality: str | None = None
    date_of_birth: date | None = None
    role: str | None = None
    platform: str | None = None
    handle: str | None = None
    url: str | None = None
    value: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if not self.ref:
            raise InvalidBulletin("an entity needs a ref")
        if self.type not in ENTITY_TYPES:
            raise InvalidBulletin(f"entity {self.ref}: unknown type {self.type!r}")

    @property
    def all_names(self) -> tuple[str, ...]:
        """The name, aliases and transliterations, in that order, without blanks.

        A person, group or location given only a ``value`` is named by it.
        """
        first = self.name
        if first is None and self.type in ("person", "group", "location"):
            first = self.value
        names = (first, *self.aliases, *self.transliterations)
        return tuple(n for n in names if n)


@dataclass(frozen=True, slots=True)
class Relation:
    """A typed, directed statement between two entities of the same bulletin.

    Parameters
    ----------
    type : RelationType
        ``uses_account`` (person → account), ``uses_phone`` (person → phone),
        ``uses_email`` (person → e-mail address), ``member_of`` (person → group),
        ``recruited`` (recruiter → recruit), ``contacted``, ``travelled_to``
        (person → location), ``financed`` (funder → beneficiary), ``same_as``,
        ``related_to`` (any other link, as an imported source named it).
    source, target : str
        ``ref`` of entities of the same bulletin.
    on : datetime.date, optional
        When it happened, if the bulletin says.
    """

    type: RelationType
    source: str
    target: str
    on: date | None = None

    def __post_init__(self) -> None:
        if self.type not in RELATION_TYPES:
            raise InvalidBulletin(f"unknown relation type {self.type!r}")


@dataclass(frozen=True, slots=True)
class TravelEvent:
    """A journey of a person: from an origin, through stop-overs, to a destination.

    Parameters
    ----------
    traveller : str
        ``ref`` of the person.
    origin : str, optional
        ``ref`` of the location left.
    via : tuple of str
        ``ref`` of each stop-over location, in order.
    destination : str
        ``ref`` of the location reached.
    on : datetime.date, optional
        Date of departure (or of the report, if unknown).
    """

    traveller: str
    destination: str
    origin: str | None = None
    via: tuple[str, ...] = ()
    on: date | None = None


@dataclass(frozen=True, slots=True)
class Bulletin:
    """What the graph needs of one bulletin: provenance, entities, relations, journeys.

    Raises
    ------
    InvalidBulletin
        When two entities share a ``ref`` or a relation or journey names a ``ref``
        that the bulletin does not define.
    """

    provenance: Provenance
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()
    travels: tuple[TravelEvent, ...] = field(default=())

    def __post_init__(self) -> None:
        refs: dict[str, Entity] = {}
        for entity in self.entities:
            if entity.ref in refs:
                raise InvalidBulletin(f"bulletin {self.bulletin_id}: duplicate ref {entity.ref!r}")
            refs[entity.ref] = entity
        for relation in self.relations:
            for ref in (relation.source, relation.target):
                if ref not in refs:
                    raise InvalidBulletin(f"bulletin {self.bulletin_id}: unknown ref {ref!r}")
        for travel in self.travels:
            stops = (travel.traveller, travel.origin, *travel.via, travel.destination)
            for stop in stops:
                if stop is not None and stop not in refs:
                    raise InvalidBulletin(f"bulletin {self.bulletin_id}: unknown ref {stop!r}")
            if refs[travel.traveller].type != "person":
                raise InvalidBulletin(f"bulletin {self.bulletin_id}: only persons travel")

    @property
    def bulletin_id(self) -> str:
        """Shortcut for ``provenance.bulletin_id``."""
        return self.provenance.bulletin_id
