"""One STIX object at a time: what Ischia entity (if any) it describes.

Each function returns the entity dicts (the content parser's shape, refs left to the caller)
or raises :class:`Skip` with the reason the object is not kept. Nothing here refuses a
bundle: a bad object is the caller's to report and skip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from portal.services.stix import mapping
from portal.services.stix import vocabulary as vocab

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_HANDLE = re.compile(r"^[A-Za-z0-9_.]+$")
_HANDLE_PLATFORMS = ("telegram", "x", "instagram", "tiktok")
# MISP attribute types (x-misp-attribute, x_misp_type) that name an Ischia entity.
_MISP_ATTRIBUTES = {
    "phone-number": "phone",
    "whois-registrant-phone": "phone",
    "email": "email",
    "email-src": "email",
    "email-dst": "email",
    "url": "url",
}
_PERSON_THREAT_ACTOR = {"lone-wolf"}


class Skip(Exception):
    """The object is not kept: ``reason`` says why."""

    def __init__(self, reason: str, outcome: str = "dropped") -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome


@dataclass
class Found:
    """The entity an object describes and the identifiers found inside it (phones and
    e-mail addresses in contact details), each with the label of its link to the entity."""

    entity: dict[str, Any]
    contacts: list[tuple[dict[str, Any], str]] = field(default_factory=list)


def text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return str(value).strip()


def texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [t for t in (text(v) for v in value) if t][:50]


def _country(value: Any) -> str | None:
    upper = text(value).upper()
    return upper if re.fullmatch(r"[A-Z]{2}", upper) else None


def ischia(obj: dict[str, Any], key: str) -> Any:
    """An Ischia property, from the Ischia extension or as a top-level ``x_ischia_`` one."""
    extension = (obj.get("extensions") or {}).get(vocab.ISCHIA_EXTENSION)
    if isinstance(extension, dict) and key in extension:
        return extension[key]
    return obj.get(f"x_ischia_{key}")


def is_ischia(obj: dict[str, Any]) -> bool:
    return ischia(obj, "ref") is not None


def contacts_in(text: str) -> list[tuple[dict[str, Any], str]]:
    """Phone numbers (international form) and e-mail addresses written in free text."""
    found: list[tuple[dict[str, Any], str]] = []
    for match in phonenumbers.PhoneNumberMatcher(text, None):
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.append(({"type": "phone", "value": number}, "contact information"))
    for address in _EMAIL.findall(text):
        found.append(({"type": "email", "value": address}, "contact information"))
    return found


def _person(obj: dict[str, Any], name: str) -> dict[str, Any]:
    person: dict[str, Any] = {"type": "person", "value": name}
    aliases = texts(obj.get("aliases")) or texts(ischia(obj, "aliases"))
    if aliases:
        person["aliases"] = aliases
    if ischia(obj, "transliterations"):
        person["transliterations"] = texts(ischia(obj, "transliterations"))
    for key in ("nationality", "date_of_birth", "role"):
        if ischia(obj, key):
            person[key] = text(ischia(obj, key))
    return person


def _group(obj: dict[str, Any], name: str) -> dict[str, Any]:
    group: dict[str, Any] = {"type": "group", "value": name}
    aliases = texts(obj.get("aliases")) or texts(ischia(obj, "aliases"))
    if aliases:
        group["aliases"] = aliases
    country = _country(ischia(obj, "country"))
    if country:
        group["country"] = country
    return group


def _named(obj: dict[str, Any]) -> str:
    name = text(obj.get("name"))
    if not name:
        raise Skip("it has no name")
    return name


def _threat_actor(obj: dict[str, Any]) -> Found:
    name = _named(obj)
    kinds = set(texts(obj.get("threat_actor_types")))
    individual = (
        ischia(obj, "role") is not None
        or ischia(obj, "kind") == "person"
        or obj.get("resource_level") == "individual"
        or bool(kinds & _PERSON_THREAT_ACTOR)
    )
    return Found(_person(obj, name) if individual else _group(obj, name))


def _identity(obj: dict[str, Any]) -> Found:
    if ischia(obj, "kind") == "phone":  # Ischia's export of a phone number
        number = text(ischia(obj, "value")) or text(obj.get("name"))
        if not number:
            raise Skip("it has no number")
        return Found({"type": "phone", "value": number})
    name = _named(obj)
    kind = text(obj.get("identity_class")) or "unknown"
    if kind == "individual":
        entity = _person(obj, name)
    elif kind in ("organization", "group", "class", "unknown"):
        entity = _group(obj, name)
    else:
        raise Skip(f"an identity of class {kind!r} has no Ischia equivalent")
    contacts = contacts_in(text(obj.get("contact_information")))
    return Found(entity, contacts)


def _account(obj: dict[str, Any]) -> Found:
    platform = mapping.platform(obj.get("account_type"))
    if ischia(obj, "platform"):
        platform = mapping.platform(ischia(obj, "platform"))
    value = text(ischia(obj, "value"))
    if not value:
        value = text(obj.get("account_login")) or text(obj.get("user_id"))
        if value and platform in _HANDLE_PLATFORMS and _HANDLE.match(value):
            value = f"@{value}"  # a bare handle, as Ischia writes them
    if not value:
        value = text(obj.get("display_name"))
    if not value:
        raise Skip("the account has no login, user id or display name")
    contacts = []
    phone = text(obj.get("x_misp_phone"))
    if phone:
        contacts.append(({"type": "phone", "value": phone}, "phone of the account"))
    return Found({"type": "account", "platform": platform, "value": value}, contacts)


def _identifier(kind: str) -> Any:
    def read(obj: dict[str, Any]) -> Found:
        value = text(ischia(obj, "value")) or text(obj.get("value"))
        if not value:
            raise Skip("it has no value")
        return Found({"type": kind, "value": value})

    return read


def _misp_attribute(obj: dict[str, Any]) -> Found:
    misp_type = text(obj.get("x_misp_type"))
    kind = _MISP_ATTRIBUTES.get(misp_type)
    if kind is None:
        raise Skip(f"a MISP attribute of type {misp_type or 'unknown'!r} has no Ischia equivalent")
    value = text(obj.get("x_misp_value"))
    if not value:
        raise Skip("the MISP attribute has no value")
    return Found({"type": kind, "value": value})


def _location(obj: dict[str, Any]) -> Found:
    name = next(
        (
            text(obj.get(key))
            for key in ("name", "city", "administrative_area", "country", "region")
            if text(obj.get(key)) and text(obj.get(key)) != "unknown"
        ),
        "",
    )
    if not name:
        raise Skip("the location has no name, city, area, country or region")
    place: dict[str, Any] = {"type": "location", "value": name}
    country = _country(obj.get("country"))
    if country:
        place["country"] = country
    return Found(place)


READERS: dict[str, Any] = {
    "threat-actor": _threat_actor,
    "intrusion-set": lambda obj: Found(_group(obj, _named(obj))),
    "identity": _identity,
    "user-account": _account,
    "email-addr": _identifier("email"),
    "url": _identifier("url"),
    vocab.PHONE_TYPE: _identifier("phone"),
    "phone-number": _identifier("phone"),
    "x-misp-attribute": _misp_attribute,
    "location": _location,
}


def read(obj: dict[str, Any]) -> Found:
    """The entity ``obj`` describes; :class:`Skip` if it describes none."""
    reader = READERS.get(obj["type"])
    if reader is None:
        raise Skip(f"no Ischia equivalent for {obj['type']}")
    found: Found = reader(obj)
    return found
