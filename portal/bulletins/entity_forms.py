"""Rows of the compose form for entities and relations, so officers never write JSON.

Each entity row carries every field any entity type can have; :data:`TYPE_FIELDS` says which
ones belong to which type. Only those are sent to the service (a value typed under another type
and then hidden is not sealed), and compose.js shows only them. Entity refs (``e1``, ``e2``...)
travel in a hidden field so they stay the same when rows are added, removed or re-numbered.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import Form, HiddenField, SelectField, StringField

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.widgets import DateInput

from graph.labels import platform_name
from portal.services.bulletins.content import (
    RELATION_LABELS,
    Entity,
    EntityType,
    PersonRole,
    Platform,
    Relation,
    RelationType,
)

ENTITY_LABELS = {
    EntityType.PERSON: _l("Person"),
    EntityType.ACCOUNT: _l("Online account"),
    EntityType.GROUP: _l("Group"),
    EntityType.PHONE: _l("Phone number"),
    EntityType.EMAIL: _l("E-mail address"),
    EntityType.URL: _l("Web address (URL)"),
    EntityType.LOCATION: _l("Location"),
    EntityType.TRAVEL: _l("Travel"),
}
# What the main text means for each type (compose.js swaps the label; without it all are named).
VALUE_LABELS = {
    EntityType.PERSON: _l("Name (any script)"),
    EntityType.ACCOUNT: _l("Handle or URL"),
    EntityType.GROUP: _l("Group name"),
    EntityType.PHONE: _l("Number, with + and country code"),
    EntityType.EMAIL: _l("E-mail address"),
    EntityType.URL: _l("Full address, such as https://example.org/page"),
    EntityType.LOCATION: _l("Place name"),
    EntityType.TRAVEL: _l("Description (optional)"),
}
ROLE_LABELS = {
    PersonRole.RECRUITER: _l("Recruiter"),
    PersonRole.FACILITATOR: _l("Facilitator"),
    PersonRole.FOREIGN_FIGHTER: _l("Foreign fighter"),
    PersonRole.FINANCIER: _l("Financier"),
    PersonRole.PROPAGANDIST: _l("Propagandist"),
    PersonRole.OTHER: _l("Other"),
}
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    EntityType.PERSON: (
        "value",
        "aliases",
        "transliterations",
        "nationality",
        "date_of_birth",
        "role",
    ),
    EntityType.ACCOUNT: ("platform", "value"),
    EntityType.GROUP: ("value", "aliases"),
    EntityType.PHONE: ("value",),
    EntityType.EMAIL: ("value",),
    EntityType.URL: ("value",),
    EntityType.LOCATION: ("value", "country"),
    EntityType.TRAVEL: ("traveller", "origin", "via", "destination", "on", "value"),
}
DETAIL_FIELDS = tuple(dict.fromkeys(name for names in TYPE_FIELDS.values() for name in names))
# For the template: which types each field belongs to (data-types="person group").
FIELD_TYPES = {
    name: " ".join(t for t, names in TYPE_FIELDS.items() if name in names) for name in DETAIL_FIELDS
}
# Platform names are proper names; only "other" is words.
PLATFORM_LABELS: dict[Platform, Any] = {
    p: _l("Other") if p is Platform.OTHER else platform_name(p.value) for p in Platform
}


def _capitalised(text: Any) -> LazyString:
    """``text`` (a lazy message) with a capital first letter, in the reader's language."""

    def written() -> str:
        words = str(text)
        return words[:1].upper() + words[1:]

    return LazyString(written)


# The relation types as a select offers them: "Uses account", "Member of".
RELATION_CHOICE_LABELS = {t: _capitalised(label) for t, label in RELATION_LABELS.items()}
# Ref inputs suggest the refs of the rows above (a <datalist> the compose page keeps current).
_REF_INPUT = {"list": "entity-refs", "autocomplete": "off", "maxlength": 40}


def _choices(
    kind: Any, labels: dict[Any, Any] | None = None, blank: Any = None
) -> list[SelectChoice]:
    items = [SelectChoice("", blank)] if blank is not None else []
    return items + [
        SelectChoice(m.value, (labels or {}).get(m, m.value.replace("_", " ").capitalize()))
        for m in kind
    ]


class EntityRowForm(Form):
    """One entity. Sub-form of the compose form (no CSRF token of its own)."""

    ref = HiddenField()
    type = SelectField(
        _l("Type"), choices=_choices(EntityType, ENTITY_LABELS), validate_choice=False
    )
    value = StringField(_l("Name, handle, number, address or place"))
    aliases = StringField(_l("Aliases (separate with ;)"))
    transliterations = StringField(_l("Transliterations (separate with ;)"))
    nationality = StringField(_l("Nationality (two letters, such as SY)"))
    date_of_birth = StringField(_l("Date of birth"), widget=DateInput())
    role = SelectField(
        _l("Role"),
        choices=_choices(PersonRole, ROLE_LABELS, _l("Not known")),
        validate_choice=False,
    )
    platform = SelectField(
        _l("Platform"),
        choices=_choices(Platform, PLATFORM_LABELS, _l("Choose a platform")),
        validate_choice=False,
    )
    country = StringField(_l("Country (two letters, such as TR)"))
    traveller = StringField(_l("Traveller (ref of a person, such as e1)"), render_kw=_REF_INPUT)
    origin = StringField(_l("Place of origin"))
    via = StringField(_l("Via (separate with ;)"))
    destination = StringField(_l("Destination"))
    on = StringField(_l("Date of travel"), widget=DateInput())


class RelationRowForm(Form):
    """One relation between two entity refs."""

    source = StringField(_l("From entity (ref, such as e1)"), render_kw=_REF_INPUT)
    type = SelectField(
        _l("Relation"),
        choices=_choices(RelationType, RELATION_CHOICE_LABELS),
        validate_choice=False,
    )
    target = StringField(_l("To entity (ref, such as e2)"), render_kw=_REF_INPUT)
    on = StringField(_l("Date"), widget=DateInput())
    label = StringField(_l("As the source calls it (for “related to”)"))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def entity_is_empty(row: EntityRowForm) -> bool:
    """An untouched row: nothing typed in any detail field (its type select always has a value)."""
    return all(_blank(row[name].data) for name in DETAIL_FIELDS)


def relation_is_empty(row: RelationRowForm) -> bool:
    return all(_blank(row[name].data) for name in ("source", "target", "on", "label"))


def entity_document(row: EntityRowForm) -> dict[str, Any]:
    """The row as the service's entity dict: only the fields of the chosen type."""
    kind = row.type.data or ""
    document: dict[str, Any] = {"ref": (row.ref.data or "").strip(), "type": kind}
    for name in TYPE_FIELDS.get(kind, ("value",)):
        document[name] = row[name].data or ""
    return document


def relation_document(row: RelationRowForm) -> dict[str, Any]:
    return {name: row[name].data or "" for name in ("source", "type", "target", "on", "label")}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def entity_row_data(entity: Entity) -> dict[str, str]:
    """Form data that shows ``entity`` again (amending a bulletin)."""
    data = {"ref": entity.ref, "type": entity.type.value}
    data.update({name: _text(getattr(entity, name)) for name in DETAIL_FIELDS})
    return data


def relation_row_data(relation: Relation) -> dict[str, str]:
    return {
        "source": relation.source,
        "type": relation.type.value,
        "target": relation.target,
        "on": _text(relation.on),
        "label": relation.label or "",
    }
