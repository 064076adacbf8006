"""What a bulletin says: the plaintext that goes into the sealed envelope, and its validation.

Everything here is encrypted as one payload; nothing in it is stored in clear. Validation
errors name the field with its path (``entities[2].number``) so the form and the API can show
the error where it belongs.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, TypeVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from portal.services.bulletins.grading import Grading, grading_problems, parse_grading
from portal.services.bulletins.tags import parse_tags, tag_problems
from portal.services.errors import InvalidInput

_T = TypeVar("_T")

FORMAT = "ischia.bulletin/1"
MAX_TITLE = 200
MAX_SUMMARY = 1000
MAX_BODY = 100_000
MAX_ENTITIES = 500
MAX_RELATIONS = 1000
MAX_TEXT = 500
COUNTRY = re.compile(r"^[A-Z]{2}$")
# Control characters other than tab, line feed and carriage return (below U+0020): one regex
# search instead of a Python test per character, as every opened bulletin is parsed again.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class Category(enum.StrEnum):
    RECRUITMENT = "recruitment"
    INCITEMENT = "incitement_to_violence"
    ATTACK_INSTRUCTIONS = "attack_instructions"
    EXPLOSIVES = "explosive_device_manuals"
    PROPAGANDA = "propaganda_promotion"
    TRAVEL = "foreign_fighter_travel"
    FINANCING = "financing"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The category in the reader's language ("Recruitment")."""
        return str(CATEGORY_LABELS[self])


class Marking(enum.StrEnum):
    """Traffic Light Protocol 2.0, exactly."""

    CLEAR = "TLP:CLEAR"
    GREEN = "TLP:GREEN"
    AMBER = "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT"
    RED = "TLP:RED"

    @property
    def css(self) -> str:
        return "tlp-" + self.value.split(":")[1].lower().replace("+", "-")

    @property
    def rank(self) -> int:
        return list(Marking).index(self)

    @property
    def colour(self) -> str:
        """The label's colour on black, as TLP 2.0 prints it."""
        return _TLP_COLOURS[self]

    @property
    def meaning(self) -> str:
        """Who may receive it, in a few words (the hint beside each marking when composing)."""
        return str(_TLP_MEANINGS[self])

    @property
    def rule(self) -> str:
        """What a recipient may do with it, in one sentence (printed on a briefing's cover)."""
        return str(_TLP_RULES[self])


# TLP 2.0 (FIRST): the label colours, and what the recipient may do.
_TLP_COLOURS = {
    Marking.CLEAR: "#FFFFFF",
    Marking.GREEN: "#33FF00",
    Marking.AMBER: "#FFC000",
    Marking.AMBER_STRICT: "#FFC000",
    Marking.RED: "#FF2B2B",
}
_TLP_MEANINGS = {
    Marking.CLEAR: _l("no limit on disclosure"),
    Marking.GREEN: _l("the community, not public channels"),
    Marking.AMBER: _l("recipient organisations and their clients, on a need-to-know basis"),
    Marking.AMBER_STRICT: _l("recipient organisations only"),
    Marking.RED: _l("named recipients only; no sharing groups"),
}
_TLP_RULES = {
    Marking.CLEAR: _l("TLP:CLEAR: disclosure is not limited."),
    Marking.GREEN: _l(
        "TLP:GREEN: limited disclosure; recipients may share it within their "
        "community, not through publicly accessible channels."
    ),
    Marking.AMBER: _l(
        "TLP:AMBER: limited disclosure; recipients may share it on a need-to-know "
        "basis within their organisation and its clients only."
    ),
    Marking.AMBER_STRICT: _l(
        "TLP:AMBER+STRICT: limited disclosure; recipients may share it on a "
        "need-to-know basis within their organisation only."
    ),
    Marking.RED: _l(
        "TLP:RED: for the eyes and ears of individual recipients only; no further disclosure."
    ),
}
# The categories as people read them (lazy: form choices are built when the module loads).
CATEGORY_LABELS = {
    Category.RECRUITMENT: _l("Recruitment"),
    Category.INCITEMENT: _l("Incitement to violence"),
    Category.ATTACK_INSTRUCTIONS: _l("Attack instructions"),
    Category.EXPLOSIVES: _l("Explosive device manuals"),
    Category.PROPAGANDA: _l("Propaganda promotion"),
    Category.TRAVEL: _l("Foreign fighter travel"),
    Category.FINANCING: _l("Financing"),
    Category.OTHER: _l("Other"),
}


class EntityType(enum.StrEnum):
    PERSON = "person"
    ACCOUNT = "account"
    GROUP = "group"
    PHONE = "phone"
    EMAIL = "email"
    URL = "url"
    LOCATION = "location"
    TRAVEL = "travel"


class PersonRole(enum.StrEnum):
    RECRUITER = "recruiter"
    FACILITATOR = "facilitator"
    FOREIGN_FIGHTER = "foreign_fighter"
    FINANCIER = "financier"
    PROPAGANDIST = "propagandist"
    OTHER = "other"


class Platform(enum.StrEnum):
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    X = "x"
    YOUTUBE = "youtube"
    TELEGRAM = "telegram"
    TIKTOK = "tiktok"
    WHATSAPP = "whatsapp"
    VK = "vk"
    OTHER = "other"


class RelationType(enum.StrEnum):
    USES_ACCOUNT = "uses_account"
    USES_PHONE = "uses_phone"
    USES_EMAIL = "uses_email"
    MEMBER_OF = "member_of"
    RECRUITED = "recruited"
    CONTACTED = "contacted"
    TRAVELLED_TO = "travelled_to"
    FINANCED = "financed"
    SAME_AS = "same_as"
    RELATED_TO = "related_to"  # any other link; ``label`` says what its source called it

    @property
    def label(self) -> str:
        """How people read it: "uses e-mail", "member of"."""
        return str(RELATION_LABELS[self])


RELATION_LABELS = {
    RelationType.USES_ACCOUNT: _l("uses account"),
    RelationType.USES_PHONE: _l("uses phone"),
    RelationType.USES_EMAIL: _l("uses e-mail"),
    RelationType.MEMBER_OF: _l("member of"),
    RelationType.RECRUITED: _l("recruited"),
    RelationType.CONTACTED: _l("contacted"),
    RelationType.TRAVELLED_TO: _l("travelled to"),
    RelationType.FINANCED: _l("financed"),
    RelationType.SAME_AS: _l("same as"),
    RelationType.RELATED_TO: _l("related to"),
}


@dataclass(frozen=True)
class Entity:
    """One entity named in a bulletin. ``ref`` identifies it within the bulletin only.

    ``value`` is the entity's main text: a person's or group's name, an account's handle or URL,
    a phone number, an e-mail address, a URL, a place name; for a travel event, a description.
    """

    ref: str
    type: EntityType
    value: str
    aliases: tuple[str, ...] = ()
    transliterations: tuple[str, ...] = ()
    platform: Platform | None = None
    nationality: str | None = None
    date_of_birth: date | None = None
    role: PersonRole | None = None
    country: str | None = None
    traveller: str | None = None  # ref of the person who travelled
    origin: str | None = None
    via: tuple[str, ...] = ()
    destination: str | None = None
    on: date | None = None


@dataclass(frozen=True)
class Relation:
    source: str
    type: RelationType
    target: str
    on: date | None = None
    label: str | None = None  # the source's own name for the link (an imported STIX type)


@dataclass(frozen=True)
class AttachmentInfo:
    """What the envelope says about an attachment; its bytes are sealed separately."""

    id: str
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class BulletinContent:
    title: str
    summary: str
    body: str
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()
    attachments: tuple[AttachmentInfo, ...] = field(default=())
    # Evaluation and handling codes, and taxonomy tags: None and () in a bulletin sealed
    # before they existed ("not graded").
    grading: Grading | None = None
    tags: tuple[str, ...] = ()

    def to_json(self) -> bytes:
        document = {"format": FORMAT, **asdict(self)}
        return json.dumps(document, ensure_ascii=False, sort_keys=True, default=str).encode()

    @classmethod
    def from_json(cls, data: bytes) -> BulletinContent:
        document = json.loads(data)
        if document.get("format") != FORMAT:
            raise ValueError(f"unknown bulletin format {document.get('format')!r}")
        return parse(document)


def _text(raw: Any, path: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise InvalidInput(gettext("Must be text."), field=path)
    value = raw.strip()
    if required and not value:
        raise InvalidInput(gettext("This field is required."), field=path)
    if len(value) > limit:
        raise InvalidInput(gettext("At most %(limit)s characters.", limit=limit), field=path)
    if _CONTROL.search(value):
        raise InvalidInput(gettext("Control characters are not allowed."), field=path)
    return value


def choose_one_of(allowed: str) -> str:
    """The message for a value outside a list of codes (the compose form words its own)."""
    return str(gettext("Choose one of: %(allowed)s.", allowed=allowed))


def is_choose_one_of(message: str) -> bool:
    """Whether ``message`` is :func:`choose_one_of`'s, in the reader's language or in English
    (services that do not translate their messages yet)."""
    translated = choose_one_of("\x00").partition("\x00")[0]
    return message.startswith("Choose one of:") or bool(
        translated and message.startswith(translated)
    )


def _optional(raw: Any, path: str) -> str | None:
    return _text(raw, path, required=False) or None


def _choice(kind: type[enum.StrEnum], raw: Any, path: str, *, required: bool = True) -> Any:
    if raw in (None, "") and not required:
        return None
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(choose_one_of(allowed), field=path) from None


def _date(raw: Any, path: str) -> date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise InvalidInput(gettext("A date as YYYY-MM-DD."), field=path) from None


def _country(raw: Any, path: str) -> str | None:
    value = _optional(raw, path)
    if value is None:
        return None
    value = value.upper()
    if not COUNTRY.match(value):
        raise InvalidInput(gettext("A two-letter ISO 3166 country code, such as SY."), field=path)
    return value


def _list(raw: Any, path: str) -> tuple[str, ...]:
    if raw in (None, ""):
        return ()
    items = raw.split(";") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise InvalidInput(gettext("A list of names."), field=path)
    values = tuple(
        v for i, item in enumerate(items) if (v := _text(item, f"{path}[{i}]", required=False))
    )
    if len(values) > 50:
        raise InvalidInput(gettext("At most %(count)s entries.", count=50), field=path)
    return values


# Reserved and special-use top-level domains (RFC 2606, 6761, 7686) that intelligence names as
# they are: an address at a .onion service, or a .test one in an exercise.
_SPECIAL_TLDS = ("onion", "test", "invalid", "example", "local")


def _email(value: str, path: str) -> str:
    domain = value.rpartition("@")[2].rstrip(".").lower()
    tld = domain.rpartition(".")[2]
    special = "." in domain and tld in _SPECIAL_TLDS and value.lower().endswith("." + tld)
    checked = value[: len(value) - len(tld)] + "com" if special else value
    try:
        normalized = validate_email(checked, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(
            gettext("Not a valid e-mail address: %(reason)s", reason=exc), field=path
        ) from None
    return normalized[: -len("com")] + tld if special else normalized


def _check_value(kind: EntityType, value: str, path: str) -> str:
    if kind is EntityType.PHONE:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            raise InvalidInput(
                gettext(
                    "A phone number in international form, starting with + and the country code."
                ),
                field=path,
            ) from None
        if not phonenumbers.is_possible_number(number):
            raise InvalidInput(gettext("This is not a possible phone number."), field=path)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind is EntityType.EMAIL:
        return _email(value, path)
    if kind is EntityType.URL and not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", value, re.IGNORECASE):
        raise InvalidInput(gettext("A full address such as https://example.org/page."), field=path)
    return value


def _entity(raw: Any, index: int) -> Entity:
    path = f"entities[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInput(gettext("Each entity must be an object."), field=path)
    kind = _choice(EntityType, raw.get("type"), f"{path}.type")
    ref = _text(raw.get("ref") or f"e{index + 1}", f"{path}.ref", limit=40)
    travel = kind is EntityType.TRAVEL
    value = _text(raw.get("value"), f"{path}.value", required=not travel)
    via = _list(raw.get("via"), f"{path}.via")
    if travel and not value:
        places = [raw.get("origin"), *via, raw.get("destination")]
        value = " → ".join(str(p).strip() for p in places if isinstance(p, str) and p.strip())
    value = _check_value(kind, value, f"{path}.value")
    entity = Entity(
        ref=ref,
        type=kind,
        value=value,
        aliases=_list(raw.get("aliases"), f"{path}.aliases"),
        transliterations=_list(raw.get("transliterations"), f"{path}.transliterations"),
        platform=_choice(Platform, raw.get("platform"), f"{path}.platform", required=False),
        nationality=_country(raw.get("nationality"), f"{path}.nationality"),
        date_of_birth=_date(raw.get("date_of_birth"), f"{path}.date_of_birth"),
        role=_choice(PersonRole, raw.get("role"), f"{path}.role", required=False),
        country=_country(raw.get("country"), f"{path}.country"),
        traveller=_optional(raw.get("traveller"), f"{path}.traveller"),
        origin=_optional(raw.get("origin"), f"{path}.origin"),
        via=via,
        destination=_optional(raw.get("destination"), f"{path}.destination"),
        on=_date(raw.get("on"), f"{path}.on"),
    )
    if kind is EntityType.ACCOUNT and entity.platform is None:
        raise InvalidInput(gettext("Choose the platform of the account."), field=f"{path}.platform")
    if kind is EntityType.TRAVEL and not (entity.origin or entity.destination):
        raise InvalidInput(
            gettext("A travel event needs a place of origin or destination."),
            field=f"{path}.destination",
        )
    return entity


def _relation(raw: Any, index: int, refs: set[str]) -> Relation:
    path = f"relations[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInput(gettext("Each relation must be an object."), field=path)
    source = _text(raw.get("source"), f"{path}.source", limit=40)
    target = _text(raw.get("target"), f"{path}.target", limit=40)
    for end, name in ((source, "source"), (target, "target")):
        if end not in refs:
            raise InvalidInput(
                gettext("No entity %(ref)s in this bulletin.", ref=repr(end)),
                field=f"{path}.{name}",
            )
    if source == target:
        raise InvalidInput(
            gettext("A relation links two different entities."), field=f"{path}.target"
        )
    kind = _choice(RelationType, raw.get("type"), f"{path}.type")
    label = _text(raw.get("label"), f"{path}.label", required=False, limit=100) or None
    return Relation(
        source=source, type=kind, target=target, on=_date(raw.get("on"), f"{path}.on"), label=label
    )


def _attachment(raw: Any, index: int) -> AttachmentInfo:
    path = f"attachments[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInput(gettext("Each attachment must be an object."), field=path)
    return AttachmentInfo(
        id=_text(raw.get("id"), f"{path}.id", limit=64),
        filename=_text(raw.get("filename"), f"{path}.filename", limit=255),
        content_type=_text(raw.get("content_type"), f"{path}.content_type", limit=100),
        size=int(raw.get("size", 0)),
        sha256=_text(raw.get("sha256"), f"{path}.sha256", limit=64),
    )


def parse(document: dict[str, Any]) -> BulletinContent:
    """Validate and normalise what an officer submitted (from the form, the API or an import)."""
    title = _text(document.get("title"), "title", limit=MAX_TITLE)
    summary = _text(document.get("summary"), "summary", required=False, limit=MAX_SUMMARY)
    body = _text(document.get("body"), "body", required=False, limit=MAX_BODY)
    entities_raw = document.get("entities") or []
    relations_raw = document.get("relations") or []
    if not isinstance(entities_raw, list) or len(entities_raw) > MAX_ENTITIES:
        raise InvalidInput(
            gettext("At most %(count)s entities.", count=MAX_ENTITIES), field="entities"
        )
    if not isinstance(relations_raw, list) or len(relations_raw) > MAX_RELATIONS:
        raise InvalidInput(
            gettext("At most %(count)s relations.", count=MAX_RELATIONS), field="relations"
        )
    entities = tuple(_entity(raw, i) for i, raw in enumerate(entities_raw))
    refs = [e.ref for e in entities]
    duplicates = {r for r in refs if refs.count(r) > 1}
    if duplicates:
        raise InvalidInput(
            gettext("Entity reference %(ref)s is used twice.", ref=repr(sorted(duplicates)[0])),
            field="entities",
        )
    for i, entity in enumerate(entities):
        if entity.traveller is not None and entity.traveller not in refs:
            raise InvalidInput(
                gettext("No entity %(ref)s in this bulletin.", ref=repr(entity.traveller)),
                field=f"entities[{i}].traveller",
            )
    relations = tuple(_relation(raw, i, set(refs)) for i, raw in enumerate(relations_raw))
    return BulletinContent(
        title=title,
        summary=summary,
        body=body,
        entities=entities,
        relations=relations,
        attachments=tuple(
            _attachment(raw, i) for i, raw in enumerate(document.get("attachments") or [])
        ),
        grading=parse_grading(document.get("grading")),
        tags=parse_tags(document.get("tags")),
    )


def _attempt_entity(found: list[InvalidInput], raw: Any, index: int) -> Entity | None:
    try:
        return _entity(raw, index)
    except InvalidInput as error:
        found.append(error)
        return None


def problems(document: dict[str, Any], *, graded: bool = True) -> list[InvalidInput]:
    """Every problem :func:`parse` (then :func:`check_links`) would find, not only the first,
    each naming its field, in the order of the form; empty when the document is accepted."""
    found: list[InvalidInput] = []

    def attempt(check: Callable[[], _T]) -> _T | None:
        try:
            return check()
        except InvalidInput as error:
            found.append(error)
            return None

    attempt(lambda: _text(document.get("title"), "title", limit=MAX_TITLE))
    attempt(lambda: _text(document.get("summary"), "summary", required=False, limit=MAX_SUMMARY))
    attempt(lambda: _text(document.get("body"), "body", required=False, limit=MAX_BODY))
    wrong_grading = grading_problems(document.get("grading"))
    found.extend(wrong_grading)
    if graded and not wrong_grading and parse_grading(document.get("grading")) is None:
        attempt(lambda: check_graded(None))  # absent, not wrong
    found.extend(tag_problems(document.get("tags")))
    entities_raw = document.get("entities") or []
    relations_raw = document.get("relations") or []
    if not isinstance(entities_raw, list) or len(entities_raw) > MAX_ENTITIES:
        found.append(
            InvalidInput(
                gettext("At most %(count)s entities.", count=MAX_ENTITIES), field="entities"
            )
        )
        return found
    if not isinstance(relations_raw, list) or len(relations_raw) > MAX_RELATIONS:
        found.append(
            InvalidInput(
                gettext("At most %(count)s relations.", count=MAX_RELATIONS), field="relations"
            )
        )
        return found
    refs = []
    for i, raw in enumerate(entities_raw):
        entity = _attempt_entity(found, raw, i)
        fallback = raw.get("ref") if isinstance(raw, dict) else None
        refs.append(entity.ref if entity else str(fallback or f"e{i + 1}").strip())
    for i, raw in enumerate(relations_raw):
        try:
            _relation(raw, i, set(refs))
        except InvalidInput as error:
            found.append(error)
    if not found:  # the rest needs the whole content
        attempt(lambda: check_links(parse(document)))
    return found


def date_problems(document: Mapping[str, Any], today: date) -> list[InvalidInput]:
    """No one is born in the future (checked when posting, not when reading: a bulletin sealed
    with such a date still opens). Travel dates may be ahead: a booked journey. Entities that
    do not read are left to :func:`problems`."""
    found = []
    entities = document.get("entities")
    for index, raw in enumerate(entities if isinstance(entities, list) else []):
        try:
            born = _date(raw.get("date_of_birth"), "") if isinstance(raw, dict) else None
        except InvalidInput:
            continue
        if born is not None and born > today:
            found.append(
                InvalidInput(
                    gettext("A date of birth cannot be in the future."),
                    field=f"entities[{index}].date_of_birth",
                )
            )
    return found


def check_dates(document: Mapping[str, Any], today: date) -> None:
    for problem in date_problems(document, today):
        raise problem


def check_graded(grading: Grading | None) -> Grading:
    """A new bulletin carries its evaluation and handling codes (one sealed before they
    existed still opens: this is checked when posting, not when reading)."""
    if grading is None:
        raise InvalidInput(
            gettext(
                "Grade the bulletin: source reliability (A, B, C, X), information reliability "
                "(1-4) and a handling code (H0-H3)."
            ),
            field="grading",
        )
    return grading


def check_links(content: BulletinContent) -> None:
    """Rules a new bulletin must meet beyond its shape: only a person travels, and a relation
    links two entities, never a travel event. Checked when posting, not when reading, so a
    bulletin sealed before a rule existed still opens."""
    types = {e.ref: e.type for e in content.entities}
    for i, entity in enumerate(content.entities):
        if entity.traveller is not None and types.get(entity.traveller) is not EntityType.PERSON:
            raise InvalidInput(
                gettext("The traveller %(ref)s must be a person.", ref=repr(entity.traveller)),
                field=f"entities[{i}].traveller",
            )
    for i, relation in enumerate(content.relations):
        for end, ref in (("source", relation.source), ("target", relation.target)):
            if types.get(ref) is EntityType.TRAVEL:
                raise InvalidInput(
                    gettext(
                        "A relation links entities, not the travel event %(ref)s.", ref=repr(ref)
                    ),
                    field=f"relations[{i}].{end}",
                )
