"""What an amendment changed: a version of a bulletin compared with the version it replaced.

The read page of version *n* shows it. The previous version is opened with the reader's own
key ring and only when the reader's organisation may read it (an organisation that received
only the newer version learns nothing of the older one); one that no longer opens (retracted,
expired, shredded) gives no comparison. Entities are matched by type and value, not by their
``ref``, which the compose form reassigns; relations by their two ends' values and their type.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import day, labelled
from portal.models import Bulletin, BulletinRecipient
from portal.services.bulletins.access import readable_ids
from portal.services.bulletins.content import BulletinContent, Category, Entity, Relation
from portal.services.bulletins.reading import OpenedBulletin, open_bulletin
from portal.services.principals import Reader

_DETAILS = {
    "aliases": _l("aliases"),
    "transliterations": _l("transliterations"),
    "platform": _l("platform"),
    "nationality": _l("nationality"),
    "date_of_birth": _l("born"),
    "role": _l("role"),
    "country": _l("country"),
    "traveller": _l("traveller"),
    "origin": _l("from"),
    "via": _l("via"),
    "destination": _l("to"),
    "on": _l("date"),
}
# Entity types and relations in words, in the reader's language.
ENTITY_TYPES = {
    "person": _l("person"),
    "account": _l("account"),
    "group": _l("group"),
    "phone": _l("phone"),
    "email": _l("email"),
    "url": _l("url"),
    "location": _l("location"),
    "travel": _l("travel"),
}
ROLES = {
    "recruiter": _l("recruiter"),
    "facilitator": _l("facilitator"),
    "foreign_fighter": _l("foreign fighter"),
    "financier": _l("financier"),
    "propagandist": _l("propagandist"),
    "other": _l("other"),
}


@dataclass(frozen=True)
class FieldChange:
    """A field of the bulletin whose value changed (``before``/``after`` are display text)."""

    name: str
    before: str
    after: str


@dataclass(frozen=True)
class VersionChanges:
    previous_id: str
    previous_version: int
    fields: tuple[FieldChange, ...]
    added: tuple[str, ...]  # entities and relations, as text
    removed: tuple[str, ...]
    changed: tuple[FieldChange, ...]  # entities whose details changed

    @property
    def nothing(self) -> bool:
        return not (self.fields or self.added or self.removed or self.changed)


def _value(raw: object) -> str:
    if raw is None or raw == ():
        return ""
    if isinstance(raw, tuple):
        return ", ".join(str(part) for part in raw)
    return str(getattr(raw, "value", raw))


def _entity_key(entity: Entity) -> tuple[str, str]:
    return entity.type.value, entity.value.casefold()


def _entity_text(entity: Entity) -> str:
    kind = entity.type.value
    return f"{ENTITY_TYPES.get(kind, kind.replace('_', ' '))} {entity.value}"


def _details(entity: Entity, names: dict[str, str]) -> dict[str, str]:
    """The entity's details as text; a ref (the traveller) is named by its entity's value."""
    shown = {}
    for item in fields(entity):
        if item.name not in _DETAILS:
            continue
        text = _value(getattr(entity, item.name))
        if item.name == "traveller" and text:
            text = names.get(text, text)
        elif item.name == "role" and text:
            text = str(ROLES.get(text, text))
        shown[str(_DETAILS[item.name])] = text
    return shown


def _relation_text(relation: Relation, names: dict[str, str]) -> str:
    on = f" ({relation.on.isoformat()})" if relation.on else ""
    source, target = names.get(relation.source, relation.source), names.get(relation.target, "")
    label = relation.type.label
    return f"{source} {label} {target or relation.target}{on}"


def compare(
    before: BulletinContent, after: BulletinContent, old: Bulletin, new: Bulletin
) -> tuple[tuple[FieldChange, ...], list[str], list[str], list[FieldChange]]:
    """Fields, added, removed and changed entries of ``after`` against ``before``."""
    changed_fields = []
    for name, was, now in (
        (gettext("Title"), before.title, after.title),
        (gettext("Summary"), before.summary, after.summary),
        (gettext("Marking"), old.marking, new.marking),
        (gettext("Category"), _category(old.category), _category(new.category)),
        (gettext("Kept until"), day(old.expires_at), day(new.expires_at)),
    ):
        if was != now:
            changed_fields.append(FieldChange(name, was, now))
    if before.body != after.body:
        changed_fields.append(FieldChange(gettext("Text"), "", gettext("rewritten: read it below")))
    old_names = {e.ref: e.value for e in before.entities}
    new_names = {e.ref: e.value for e in after.entities}
    old_entities = {_entity_key(e): e for e in before.entities}
    new_entities = {_entity_key(e): e for e in after.entities}
    added = [_entity_text(e) for k, e in new_entities.items() if k not in old_entities]
    removed = [_entity_text(e) for k, e in old_entities.items() if k not in new_entities]
    changed = []
    for key, entity in new_entities.items():
        if key not in old_entities:
            continue
        was_details = _details(old_entities[key], old_names)
        now_details = _details(entity, new_names)
        differ = [n for n in now_details if was_details.get(n, "") != now_details[n]]
        if differ:
            changed.append(
                FieldChange(
                    _entity_text(entity),
                    "; ".join(labelled(n, was_details.get(n) or "—") for n in differ),
                    "; ".join(labelled(n, now_details[n] or "—") for n in differ),
                )
            )
    old_relations = [_relation_text(r, old_names) for r in before.relations]
    new_relations = [_relation_text(r, new_names) for r in after.relations]
    added += [
        gettext("relation: %(text)s", text=r) for r in new_relations if r not in old_relations
    ]
    removed += [
        gettext("relation: %(text)s", text=r) for r in old_relations if r not in new_relations
    ]
    return tuple(changed_fields), added, removed, changed


def _category(value: str) -> str:
    try:
        return Category(value).label
    except ValueError:
        return value


def from_previous(
    reader: Reader, bulletin: Bulletin, content: BulletinContent
) -> VersionChanges | None:
    """What ``bulletin`` (opened as ``content``) changed from the version it replaced, or None
    for a first version, or a previous version the reader may not read or that no longer opens."""
    if bulletin.supersedes_id is None:
        return None
    session = db.session()
    previous = session.get(Bulletin, bulletin.supersedes_id)
    if previous is None:
        return None
    readable = session.scalar(
        readable_ids(reader).where(BulletinRecipient.bulletin_id == previous.id)
    )
    if readable is None:
        return None
    opened = open_bulletin(session, reader.org_code, previous)
    if not isinstance(opened, OpenedBulletin):
        return None
    changed_fields, added, removed, changed = compare(opened.content, content, previous, bulletin)
    return VersionChanges(
        previous_id=previous.id,
        previous_version=previous.version,
        fields=changed_fields,
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
    )
