"""Canonical keys for what bulletins name: accounts, phones, e-mails, URLs, names.

The key of an identifier is the id of its node in the graph: two bulletins that
name the same Telegram account, however they spell it, reach the same node.
Persons have no key here: names only ever suggest a match (see
:mod:`graph.resolution`); the builder gives each person mention its own node.

Keys are plain strings that start with the node type (``account:``, ``phone:``,
``email:``, ``url:``, ``group:``, ``location:``). The portal may compute them at
intake (:func:`entity_key`), store them in :attr:`graph.model.Entity.key` and
keep a keyed blind index of them for hit/no-hit discovery.

Examples
--------
>>> from graph.model import Entity
>>> entity_key(Entity("a", "account", url="https://t.me/s/Adnani_Media"))
'account:telegram:adnani_media'
>>> entity_key(Entity("p", "phone", value="030 1234567"), default_region="DE")
'phone:+49301234567'
>>> entity_key(Entity("p", "person", name="Abu Muhammad")) is None
True
"""

from __future__ import annotations

from graph.model import Entity
from graph.normalise.accounts import account_key, canonical_platform
from graph.normalise.contacts import e164, email_key, phone_key
from graph.normalise.errors import NotNormalisable
from graph.normalise.names import fold_name, name_key, name_similarity, name_skeleton, romanise
from graph.normalise.urls import url_key

__all__ = [
    "NotNormalisable",
    "account_key",
    "canonical_platform",
    "e164",
    "email_key",
    "entity_key",
    "fold_name",
    "label_key",
    "name_key",
    "name_similarity",
    "name_skeleton",
    "phone_key",
    "romanise",
    "url_key",
]


def label_key(kind: str, name: str) -> str:
    """Key of a group or location: its romanised, case-folded name.

    Only spellings that romanise identically share a key ("Ansar al-Sharia" and
    "ANSAR AL SHARIA" do; "ISIS" and "Islamic State" do not).

    Raises
    ------
    NotNormalisable
        When the name is blank.
    """
    folded = " ".join(romanise(name).replace("-", " ").split())
    if not folded:
        raise NotNormalisable(f"{kind} without a name")
    return f"{kind}:{folded}"


def entity_key(entity: Entity, default_region: str | None = None) -> str | None:
    """The node key of an entity, or ``None`` for a person (never merged by name).

    Parameters
    ----------
    entity : Entity
        What a bulletin names. For an account, ``url`` wins over ``handle``.
    default_region : str, optional
        Country of national phone numbers (see :func:`e164`).

    Raises
    ------
    NotNormalisable
        When the entity lacks the field its type needs or the field is not
        an identifier of that type.
    """
    if entity.type == "person":
        return None
    if entity.type == "account":
        if entity.url:
            return account_key(entity.url)
        if entity.handle or entity.value:
            return account_key(entity.handle or entity.value or "", entity.platform)
        raise NotNormalisable(f"account {entity.ref} has no url, handle or value")
    if entity.type in ("group", "location"):
        return label_key(entity.type, entity.name or entity.value or "")
    value = entity.value or (entity.url if entity.type == "url" else None)
    if not value:
        raise NotNormalisable(f"{entity.type} {entity.ref} has no value")
    if entity.type == "phone":
        return phone_key(value, default_region)
    if entity.type == "email":
        return email_key(value)
    return url_key(value)
