"""Machine tags from taxonomies: ``namespace:predicate`` or ``namespace:predicate="value"``,
as MISP writes them.

The taxonomies are data shipped with the portal (``portal/data/taxonomies/*.json``), each in
the MISP taxonomy format (``machinetag.json``: ``namespace``, ``predicates``, optional
``values``), so one of MISP's own files can be dropped beside them. A tag is accepted only if
its namespace, predicate and value are in a taxonomy; anything else is refused naming the tag.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from portal.i18n import source_of
from portal.services.errors import InvalidInput

MAX_TAGS = 20
MAX_TAG = 200
# MISP's machine-tag syntax: a namespace and predicate of lower-case words, an optional value
# in double quotes (no quote or control character inside).
_SYNTAX = re.compile(
    r'^(?P<ns>[a-z0-9][a-z0-9._-]*):(?P<pred>[a-z0-9][a-z0-9._-]*)(?:="(?P<value>[^"\x00-\x1f]+)")?$'
)

__all__ = [
    "MAX_TAGS",
    "TagChoice",
    "Taxonomy",
    "choices",
    "filter_tags",
    "parse_tag",
    "parse_tags",
    "taxonomies",
]


# The words of the shipped taxonomies in the reader's language; the machine tags themselves stay
# as MISP writes them. Words not listed here (a taxonomy dropped in later) are shown as written.
_TRANSLATED = (
    _l("Jihadist terrorism"),
    _l("Right-wing terrorism"),
    _l("Left-wing and anarchist terrorism"),
    _l("Ethno-nationalist and separatist terrorism"),
    _l("Other or not yet attributed"),
    _l("Islamic State (ISIL/Da'esh) and its affiliates"),
    _l("Al-Qaeda and its affiliates"),
    _l("Accelerationist networks"),
    _l("Recruitment through online contact"),
    _l("Incitement to violence"),
    _l("Production and translation of propaganda"),
    _l("Financing through crowdfunding or donations"),
    _l("Lone actor, self-initiated"),
    _l("Planning or preparing an attack"),
    _l("Mainstream social media"),
    _l("Encrypted messaging"),
    _l("Video sharing"),
    _l("Gaming platforms and their chats"),
    _l("File hosting and sharing"),
    _l("Decentralised or self-hosted services"),
    _l("Through the Western Balkans"),
    _l("Through Türkiye and the Eastern Mediterranean"),
    _l("Through North Africa and the Central Mediterranean"),
    _l("To or through the Sahel"),
    _l("Return towards Europe"),
)
_WORDS = {source_of(message): message for message in _TRANSLATED}


def _words(text: str) -> str:
    return str(_WORDS[text]) if text in _WORDS else text


@dataclass(frozen=True)
class Taxonomy:
    namespace: str
    description: str
    predicates: dict[str, str]  # value -> expanded
    values: dict[str, dict[str, str]]  # predicate -> {value -> expanded}


@dataclass(frozen=True)
class TagChoice:
    tag: str
    meaning: str


def _taxonomy(document: dict[str, Any]) -> Taxonomy:
    predicates = {p["value"]: p.get("expanded", p["value"]) for p in document["predicates"]}
    values = {
        v["predicate"]: {e["value"]: e.get("expanded", e["value"]) for e in v["entry"]}
        for v in document.get("values", [])
    }
    return Taxonomy(document["namespace"], document.get("description", ""), predicates, values)


@functools.cache
def taxonomies() -> dict[str, Taxonomy]:
    """Every shipped taxonomy by namespace."""
    folder = resources.files("portal").joinpath("data/taxonomies")
    found = {}
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".json"):
            taxonomy = _taxonomy(json.loads(item.read_text("utf-8")))
            found[taxonomy.namespace] = taxonomy
    return found


def parse_tag(raw: Any, path: str = "tags") -> str:
    """One tag, checked against the taxonomies, in its canonical form."""
    if not isinstance(raw, str):
        raise InvalidInput(
            gettext('A tag is text such as group:jihadist="islamic-state".'), field=path
        )
    text = raw.strip()
    if len(text) > MAX_TAG:
        raise InvalidInput(
            gettext("At most %(limit)s characters per tag.", limit=MAX_TAG), field=path
        )
    match = _SYNTAX.match(text)
    if match is None:
        raise InvalidInput(
            gettext(
                "%(tag)s is not a machine tag: write namespace:predicate or "
                'namespace:predicate="value", in lower case.',
                tag=repr(text),
            ),
            field=path,
        )
    namespace, predicate, value = match["ns"], match["pred"], match["value"]
    taxonomy = taxonomies().get(namespace)
    if taxonomy is None:
        known = ", ".join(sorted(taxonomies()))
        raise InvalidInput(
            gettext(
                "%(tag)s: unknown namespace %(namespace)s (known: %(known)s).",
                tag=repr(text),
                namespace=repr(namespace),
                known=known,
            ),
            field=path,
        )
    if predicate not in taxonomy.predicates:
        raise InvalidInput(
            gettext(
                "%(tag)s: %(namespace)s has no %(predicate)s (known: %(known)s).",
                tag=repr(text),
                namespace=namespace,
                predicate=repr(predicate),
                known=", ".join(sorted(taxonomy.predicates)),
            ),
            field=path,
        )
    entries = taxonomy.values.get(predicate, {})
    if value is not None and value not in entries:
        known = ", ".join(sorted(entries)) or gettext("none")
        raise InvalidInput(
            gettext(
                "%(tag)s: %(predicate)s has no value %(value)s (known: %(known)s).",
                tag=repr(text),
                predicate=namespace + ":" + predicate,
                value=repr(value),
                known=known,
            ),
            field=path,
        )
    return text


def parse_tags(raw: Any, path: str = "tags") -> tuple[str, ...]:
    """A list of tags (or one per line), each checked; duplicates dropped, order kept."""
    if raw in (None, ""):
        return ()
    items = raw.splitlines() if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise InvalidInput(gettext("A list of tags."), field=path)
    tags: list[str] = []
    for i, item in enumerate(items):
        if isinstance(item, str) and not item.strip():
            continue
        tag = parse_tag(item, f"{path}[{i}]")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInput(gettext("At most %(count)s tags.", count=MAX_TAGS), field=path)
    return tuple(tags)


def tag_problems(raw: Any, path: str = "tags") -> list[InvalidInput]:
    """Every problem :func:`parse_tags` would raise, one per bad tag, not only the first."""
    items = raw.splitlines() if isinstance(raw, str) else raw
    if raw in (None, "") or not isinstance(items, list | tuple):
        try:
            parse_tags(raw, path)
        except InvalidInput as error:
            return [error]
        return []
    found: list[InvalidInput] = []
    for i, item in enumerate(items):
        if isinstance(item, str) and not item.strip():
            continue
        try:
            parse_tag(item, f"{path}[{i}]")
        except InvalidInput as error:
            found.append(error)
    if not found:
        try:
            parse_tags(raw, path)  # the count
        except InvalidInput as error:
            found.append(error)
    return found


def meaning(tag: str) -> str:
    """The taxonomy's words for a tag (the tag itself if it is not in one any more)."""
    match = _SYNTAX.match(tag)
    taxonomy = taxonomies().get(match["ns"]) if match else None
    if match is None or taxonomy is None:
        return tag
    words = _words(taxonomy.predicates.get(match["pred"], match["pred"]))
    if match["value"]:
        value = _words(taxonomy.values.get(match["pred"], {}).get(match["value"], match["value"]))
        return _both(words, value)
    return words


def _both(predicate: str, value: str) -> str:
    return str(gettext("%(predicate)s: %(value)s", predicate=predicate, value=value))


def choices() -> list[TagChoice]:
    """Every tag the taxonomies allow, for the compose form's list."""
    found = []
    for namespace, taxonomy in taxonomies().items():
        for predicate, expanded in taxonomy.predicates.items():
            found.append(TagChoice(f"{namespace}:{predicate}", _words(expanded)))
            for value, words in taxonomy.values.get(predicate, {}).items():
                tag = f'{namespace}:{predicate}="{value}"'
                found.append(TagChoice(tag, _both(_words(expanded), _words(words))))
    return found


_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def filter_tags(raw: Any, path: str = "tag") -> tuple[str, ...]:
    """The tags an inbox filter stands for: a namespace (``platform``) means every tag of its
    taxonomy, a predicate without a value (``group:jihadist``) itself and every value under it,
    and a full tag only itself. The tags are indexed whole by a keyed token, so a prefix cannot
    be looked up: the taxonomy's own list of tags is what expands it."""
    text = raw.strip() if isinstance(raw, str) else raw
    if isinstance(text, str) and _NAMESPACE.match(text):
        if text not in taxonomies():
            known = ", ".join(sorted(taxonomies()))
            raise InvalidInput(
                gettext(
                    "%(tag)s: unknown namespace (known: %(known)s).", tag=repr(text), known=known
                ),
                field=path,
            )
        return tuple(c.tag for c in choices() if c.tag.startswith(text + ":"))
    tag = parse_tag(text, path)
    if "=" in tag:
        return (tag,)
    return (tag, *(c.tag for c in choices() if c.tag.startswith(tag + "=")))


def index_key(tag: str) -> str:
    """The canonical key whose blind-index token lets an inbox filter by this tag."""
    return "tag:" + tag
