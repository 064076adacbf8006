"""A STIX 2.1 bundle in: turned into a draft bulletin for an officer to review, with a report
of what became of each object.

Nothing is stored here: the draft goes back to the officer (or API client), who posts it as
any bulletin. Only a malformed bundle is refused (not JSON, not a bundle, too large, too many
objects); a bad object is reported by its STIX id and skipped. Each object is kept (as the
entity it describes), merged (into an entity already kept), kept as text (title, summary,
body), used (a marking, a container) or dropped, with the reason. The tables of
:mod:`.mapping` say what becomes what.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from portal.i18n import number
from portal.services import json_text
from portal.services.bulletins.content import (
    MAX_BODY,
    MAX_ENTITIES,
    MAX_RELATIONS,
    MAX_SUMMARY,
    MAX_TITLE,
    parse,
)
from portal.services.bulletins.grading import parse_grading
from portal.services.bulletins.tags import MAX_TAGS, parse_tag
from portal.services.errors import InvalidInput
from portal.services.stix import intake_objects, mapping
from portal.services.stix import vocabulary as vocab
from portal.services.stix.intake_objects import Skip

MAX_BYTES = 10 * 1024 * 1024
MAX_OBJECTS = 10_000
MAX_DEPTH = 20
MAX_STRING = 100_000
_STIX_ID = re.compile(
    r"^([a-z0-9][a-z0-9-]*[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
    r"-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# What is read for its parts, not kept itself.
_CONTAINERS = {
    "observed-data": "its observables are imported on their own",
    "email-message": "its addresses are imported on their own",
    "extension-definition": "it declares properties of other objects",
    "language-content": "translations are not imported",
}


def is_stix_id(value: str, kind: Any) -> bool:
    """Whether ``value`` is a STIX identifier of type ``kind``."""
    match = _STIX_ID.match(value)
    return match is not None and match.group(1) == kind


@dataclass(frozen=True)
class Outcome:
    """What became of one object: ``kept``, ``merged``, ``text``, ``used`` or ``dropped``."""

    id: str
    type: str
    outcome: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "type": self.type, "outcome": self.outcome, "detail": self.detail}


@dataclass
class ImportedDraft:
    document: dict[str, Any]
    marking: str | None
    category: str | None
    report: list[Outcome] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # the source's labels: suggestions only
    markings: list[str] = field(default_factory=list)  # markings other than TLP, as text

    @property
    def ignored(self) -> dict[str, int]:
        """Dropped objects counted by type."""
        counts: dict[str, int] = {}
        for outcome in self.report:
            if outcome.outcome == "dropped":
                counts[outcome.type] = counts.get(outcome.type, 0) + 1
        return counts

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.report:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        return counts


class _BadObject(Exception):
    pass


def _depth_and_strings(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise _BadObject(f"nested more than {MAX_DEPTH} levels")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise _BadObject(f"a text longer than {MAX_STRING:,} characters")
    if isinstance(value, dict):
        for item in value.values():
            _depth_and_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _depth_and_strings(item, depth + 1)


def load_bundle(raw: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """The bundle as JSON, checked for shape and size (not its objects')."""
    if isinstance(raw, (bytes, str)):
        if len(raw) > MAX_BYTES:
            raise InvalidInput(
                gettext(
                    "A bundle of at most %(limit)s MB: this one has %(size)s MB.",
                    limit=MAX_BYTES // 2**20,
                    size=format(len(raw) / 2**20, ".1f"),
                ),
                field="bundle",
            )
        try:
            raw = json_text.loads(raw)
        except json_text.UnreadableJSON as error:
            raise InvalidInput(
                gettext("The bundle cannot be read: %(reason)s", reason=error), field="bundle"
            ) from None
        except ValueError:
            raise InvalidInput(gettext("The bundle is not JSON."), field="bundle") from None
    if not isinstance(raw, dict) or raw.get("type") != "bundle":
        raise InvalidInput(
            gettext('Send a STIX bundle: an object with "type": "bundle".'), field="bundle"
        )
    objects = raw.get("objects")
    if not isinstance(objects, list):
        raise InvalidInput(gettext('The bundle needs an "objects" list.'), field="bundle")
    if len(objects) > MAX_OBJECTS:
        raise InvalidInput(
            gettext(
                "At most %(limit)s objects in a bundle: this one has %(count)s.",
                limit=number(MAX_OBJECTS),
                count=number(len(objects)),
            ),
            field="bundle",
        )
    return raw


def _version(obj: dict[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created") or "")


class _Intake:
    def __init__(self) -> None:
        self.report: list[Outcome] = []
        self.objects: dict[str, dict[str, Any]] = {}
        self.entities: list[dict[str, Any]] = []
        self.ref_of: dict[str, str] = {}  # STIX id → entity ref
        self.kind_of: dict[str, str] = {}  # entity ref → entity type
        self.by_key: dict[tuple[str, ...], str] = {}  # (type, value, platform) → ref
        self.relations: list[dict[str, Any]] = []
        self.relation_keys: set[tuple[str, ...]] = set()
        self.why_not: dict[str, str] = {}  # STIX id → why it was not kept
        self.authors: list[str] = []

    def out(self, obj_id: str, kind: str, outcome: str, detail: str) -> None:
        self.report.append(Outcome(obj_id, kind, outcome, detail))
        if outcome in ("dropped", "used", "text"):
            self.why_not.setdefault(obj_id, detail)

    # -- the objects, checked one by one ------------------------------------------------
    def take(self, objects: list[Any]) -> None:
        seen: dict[str, list[dict[str, Any]]] = {}
        for index, obj in enumerate(objects):
            name = f"objects[{index}]"
            if not isinstance(obj, dict):
                self.out(name, "?", "dropped", "not a JSON object")
                continue
            kind, obj_id = obj.get("type"), obj.get("id")
            if not isinstance(kind, str) or not kind:
                self.out(_label(obj_id, name), "?", "dropped", "it has no type")
                continue
            if not isinstance(obj_id, str) or not (match := _STIX_ID.match(obj_id)):
                self.out(_label(obj_id, name), kind[:60], "dropped", "its id is not a STIX id")
                continue
            if match.group(1) != kind:
                self.out(obj_id, kind[:60], "dropped", f"its id is not of type {kind[:60]}")
                continue
            try:
                _depth_and_strings(obj)
            except _BadObject as error:
                self.out(obj_id, kind, "dropped", str(error))
                continue
            seen.setdefault(obj_id, []).append(obj)
        for obj_id, copies in seen.items():
            kept = self._one_version(obj_id, copies)
            if kept is not None and kept.get("revoked") is True:
                # STIX 2.1 section 3.6: a revoked object is no longer to be used.
                self.out(obj_id, kept["type"], "dropped", "revoked by its creator")
            elif kept is not None:
                self.objects[obj_id] = kept

    def _one_version(self, obj_id: str, copies: list[dict[str, Any]]) -> dict[str, Any] | None:
        kind = copies[0]["type"]
        distinct = {json.dumps(c, sort_keys=True): c for c in copies}
        if len(distinct) == 1:
            if len(copies) > 1:
                self.out(obj_id, kind, "merged", f"the same object {len(copies)} times: read once")
            return copies[0]
        by_version: dict[str, list[dict[str, Any]]] = {}
        for copy in distinct.values():
            by_version.setdefault(_version(copy), []).append(copy)
        newest = max(by_version)
        if len(by_version[newest]) > 1 or not newest:
            self.out(
                obj_id,
                kind,
                "dropped",
                f"{len(distinct)} different objects share this id and version: "
                "which one is meant cannot be told",
            )
            return None
        self.out(
            obj_id,
            kind,
            "merged",
            f"{len(distinct)} versions: the newest ({newest}) is read",
        )
        return by_version[newest][0]

    # -- entities -----------------------------------------------------------------------
    def _ref(self, wanted: Any) -> str:
        used = set(self.kind_of)
        if isinstance(wanted, str) and 0 < len(wanted) <= 40 and wanted not in used:
            return wanted
        n = len(self.entities) + 1
        while f"e{n}" in used:
            n += 1
        return f"e{n}"

    def add_entity(self, entity: dict[str, Any], wanted_ref: Any = None) -> tuple[str, bool]:
        """The entity's ref and whether it is new (False: merged into an equal one).
        InvalidInput if Ischia refuses its value."""
        others = (
            [{"ref": entity["traveller"], "type": "person", "value": "-"}]
            if entity.get("traveller")
            else []
        )
        document = {"title": "-", "entities": [{**entity, "ref": "x"}, *others]}
        checked = parse(document).entities[0]
        platform = checked.platform.value if checked.platform else ""
        key = (checked.type.value, checked.value.casefold(), platform)
        if key in self.by_key and checked.type.value not in ("person", "group", "location"):
            return self.by_key[key], False
        if len(self.entities) >= MAX_ENTITIES:
            raise InvalidInput(f"more than {MAX_ENTITIES} entities: the rest are left out")
        ref = self._ref(wanted_ref)
        self.entities.append({**entity, "ref": ref, "value": checked.value})
        self.kind_of[ref] = checked.type.value
        self.by_key.setdefault(key, ref)
        return ref, True

    def read_entities(self, travel_places: set[str]) -> None:
        authors = {intake_objects.text(o.get("created_by_ref")) for o in self.objects.values()}
        linked = {
            intake_objects.text(o.get(key))
            for o in self.objects.values()
            for key in ("source_ref", "target_ref", "sighting_of_ref")
        }
        for obj_id, obj in self.objects.items():
            kind = obj["type"]
            if obj_id in travel_places:
                self.out(obj_id, kind, "used", "a stop of a journey, kept in the journey")
                continue
            if kind == "identity" and intake_objects.ischia(obj, "code"):
                self.out(obj_id, kind, "used", "the sending organisation")
                continue
            if kind == "identity" and obj_id in authors and obj_id not in linked:
                self.authors.append(intake_objects.text(obj.get("name")) or obj_id)
                self.out(obj_id, kind, "text", "the author of objects: named in the body")
                continue
            if kind not in intake_objects.READERS:
                continue
            try:
                found = intake_objects.read(obj)
                ref, new = self.add_entity(found.entity, intake_objects.ischia(obj, "ref"))
            except Skip as skipped:
                self.out(obj_id, kind, skipped.outcome, skipped.reason)
                continue
            except InvalidInput as error:
                self.out(obj_id, kind, "dropped", _reason(error))
                continue
            self.ref_of[obj_id] = ref
            if new:
                self.out(obj_id, kind, "kept", f"{found.entity['type']} {ref}")
            else:
                self.out(obj_id, kind, "merged", f"into {self.kind_of[ref]} {ref} (same value)")
            for contact, label in found.contacts:
                try:
                    contact_ref, _ = self.add_entity(contact)
                except InvalidInput as error:
                    self.out(obj_id, kind, "dropped", f"{label} {contact['value']!r}: {error}")
                    continue
                self.out(
                    obj_id,
                    kind,
                    "kept",
                    f"{label} as {contact['type']} {contact_ref}, related to {ref}",
                )
                self.relate(ref, contact_ref, "related_to", label)

    def relate(self, source: str, target: str, kind: str, label: str | None) -> bool:
        key = (source, kind, target, label or "")
        if key in self.relation_keys or source == target:
            return False
        if len(self.relations) >= MAX_RELATIONS:
            raise InvalidInput(f"more than {MAX_RELATIONS} relations: the rest are left out")
        self.relation_keys.add(key)
        relation: dict[str, Any] = {"source": source, "type": kind, "target": target}
        if label:
            relation["label"] = label
        self.relations.append(relation)
        return True

    def read_relationships(self) -> None:
        for obj_id, obj in self.objects.items():
            if obj["type"] != "relationship":
                continue
            stix_type = intake_objects.text(obj.get("relationship_type"))
            ends = [intake_objects.text(obj.get(key)) for key in ("source_ref", "target_ref")]
            problem = None
            if not stix_type:
                problem = "it has no relationship_type"
            elif ends[0] == ends[1]:
                problem = "it relates an object to itself"
            for end, name in zip(ends, ("source", "target"), strict=True):
                if problem:
                    break
                if end not in self.objects:
                    problem = f"its {name} {end or '(none)'} is not in the bundle"
                elif end not in self.ref_of:
                    why = self.why_not.get(
                        end, f"no Ischia equivalent for {self.objects[end]['type']}"
                    )
                    problem = f"its {name} {end} was not kept ({why})"
            if problem:
                self.out(obj_id, "relationship", "dropped", problem)
                continue
            source, target = self.ref_of[ends[0]], self.ref_of[ends[1]]
            kind, label = mapping.relation_type(
                stix_type, self.kind_of[source], self.kind_of[target]
            )
            own = intake_objects.text(intake_objects.ischia(obj, "relation"))
            if own in mapping.ISCHIA_TO_RELATIONSHIP:
                kind, label = own, None  # Ischia's own export says which relation it is
            relation_label = label or (
                intake_objects.text(intake_objects.ischia(obj, "label"))[:100] or None
            )
            try:
                new = self.relate(source, target, kind, relation_label)
            except InvalidInput as error:
                self.out(obj_id, "relationship", "dropped", _reason(error))
                continue
            shown = kind.replace("_", " ") + (f" ({relation_label})" if relation_label else "")
            if not new:
                self.out(obj_id, "relationship", "merged", f"same as {source} {shown} {target}")
                continue
            if obj.get("start_time"):
                self.relations[-1]["on"] = str(obj["start_time"])[:10]
            self.out(obj_id, "relationship", "kept", f"relation {source} {shown} {target}")

    def read_places(self) -> None:
        """The places with no country that Ischia's export keeps in a report's extension, and
        their relations (by the refs of Ischia's export)."""
        own = {
            intake_objects.text(intake_objects.ischia(self.objects[obj_id], "ref")): ref
            for obj_id, ref in self.ref_of.items()
        }
        for obj_id, obj in self.objects.items():
            if obj["type"] != "report":
                continue
            places = intake_objects.ischia(obj, "places")
            for place in places if isinstance(places, list) else []:
                if not isinstance(place, dict):
                    continue
                value = intake_objects.text(place.get("value"))
                try:
                    ref, _ = self.add_entity({"type": "location", "value": value}, place.get("ref"))
                except InvalidInput as error:
                    self.out(obj_id, "report", "dropped", f"the place {value!r}: {_reason(error)}")
                    continue
                own[intake_objects.text(place.get("ref"))] = ref
                self.out(obj_id, "report", "kept", f"the place {value!r} as location {ref}")
            links = intake_objects.ischia(obj, "place_relations")
            for link in links if isinstance(links, list) else []:
                if not isinstance(link, dict):
                    continue
                source = own.get(intake_objects.text(link.get("source")))
                target = own.get(intake_objects.text(link.get("target")))
                kind = intake_objects.text(link.get("relation"))
                if source is None or target is None or kind not in mapping.ISCHIA_TO_RELATIONSHIP:
                    self.out(obj_id, "report", "dropped", f"a relation of a place: {link}"[:300])
                    continue
                label = intake_objects.text(link.get("label"))[:100] or None
                try:
                    if not self.relate(source, target, kind, label):
                        continue
                except InvalidInput as error:
                    self.out(obj_id, "report", "dropped", _reason(error))
                    continue
                if intake_objects.text(link.get("on")):
                    self.relations[-1]["on"] = intake_objects.text(link.get("on"))[:10]
                shown = kind.replace("_", " ")
                self.out(obj_id, "report", "kept", f"relation {source} {shown} {target}")

    def read_journeys(self) -> None:
        for obj_id, obj in self.objects.items():
            if obj["type"] != "sighting":
                continue
            destination = intake_objects.ischia(obj, "destination")
            traveller = self.ref_of.get(intake_objects.text(obj.get("sighting_of_ref")))
            if destination is None or traveller is None:
                self.out(obj_id, "sighting", "dropped", "not a journey of a kept person")
                continue
            travel: dict[str, Any] = {
                "type": "travel",
                "traveller": traveller,
                "destination": intake_objects.text(destination),
                "via": intake_objects.texts(intake_objects.ischia(obj, "via")),
            }
            for key, name in (("value", "value"), ("origin", "origin"), ("on", "travel_date")):
                given = intake_objects.ischia(obj, name) or intake_objects.ischia(obj, key)
                if given:
                    travel[key] = intake_objects.text(given)
            try:
                ref, _ = self.add_entity(travel, intake_objects.ischia(obj, "ref"))
            except InvalidInput as error:
                self.out(obj_id, "sighting", "dropped", _reason(error))
                continue
            self.out(obj_id, "sighting", "kept", f"travel {ref}")


def _label(obj_id: Any, fallback: str) -> str:
    return obj_id[:200] if isinstance(obj_id, str) and obj_id else fallback


def _reason(error: InvalidInput) -> str:
    return error.message.rstrip(".")


def _markings(intake: _Intake) -> tuple[str | None, list[str]]:
    """The strictest TLP marking on any object, and the other markings as text."""
    tlps: set[str] = set()
    others: dict[str, str] = {}
    referenced = {
        ref
        for obj in intake.objects.values()
        for ref in (obj.get("object_marking_refs") or [])
        if isinstance(ref, str)
    } | {
        m.get("marking_ref")
        for obj in intake.objects.values()
        for m in (obj.get("granular_markings") or [])
        if isinstance(m, dict) and isinstance(m.get("marking_ref"), str)
    }
    for obj_id, obj in intake.objects.items():
        if obj["type"] != "marking-definition":
            continue
        tlp = mapping.tlp_of(obj, obj_id)
        if tlp:
            intake.out(obj_id, "marking-definition", "used", f"the marking {tlp}")
        else:
            others[obj_id] = mapping.marking_text(obj)
            intake.out(obj_id, "marking-definition", "text", f"kept in the body: {others[obj_id]}")
    for ref in sorted(r for r in referenced if isinstance(r, str)):
        tlp = mapping.tlp_of(intake.objects.get(ref), ref)
        if tlp:
            tlps.add(tlp)
        elif ref not in others and ref not in intake.objects:
            others[ref] = f"a marking not defined in the bundle [{ref}]"
    marking = max(tlps, key=vocab.TLP_ORDER.index) if tlps else None
    return marking, [others[k] for k in sorted(others)]


def _texts_of(intake: _Intake) -> tuple[str, str, list[str], list[str]]:
    """Title, summary, body paragraphs and labels from reports, groupings, notes, opinions."""
    title, summary, body, labels = "", "", [], []
    for obj_id, obj in intake.objects.items():
        kind = obj["type"]
        name = intake_objects.text(obj.get("name"))
        description = intake_objects.text(obj.get("description"))
        if kind in ("report", "grouping"):
            labels += intake_objects.texts(obj.get("labels"))
            if not title and name:
                title = name
                if kind == "grouping" and description:
                    summary = description
                elif description:
                    body.append(description)
                where = "title" + (" and summary" if kind == "grouping" and description else "")
                intake.out(obj_id, kind, "text", f"its name and description give the {where}")
                continue
            body.append("\n\n".join(p for p in (f"{kind.title()}: {name}", description) if p))
            intake.out(obj_id, kind, "text", "its name and description are kept in the body")
        elif kind == "note":
            content = intake_objects.text(obj.get("content"))
            abstract = intake_objects.text(obj.get("abstract"))
            authors = ", ".join(intake_objects.texts(obj.get("authors")))
            head = (
                "Note"
                + (f" by {authors}" if authors else "")
                + (f": {abstract}" if abstract else "")
            )
            body.append(f"{head}\n\n{content}".strip())
            intake.out(obj_id, kind, "text", "its text is kept in the body")
        elif kind == "opinion":
            opinion = intake_objects.text(obj.get("opinion"))
            explanation = intake_objects.text(obj.get("explanation"))
            body.append(f"Opinion ({opinion}): {explanation}".strip())
            intake.out(obj_id, kind, "text", "its opinion and explanation are kept in the body")
    return title, summary, body, labels


def _grading_and_tags(intake: _Intake, labels: list[str]) -> dict[str, Any]:
    """The grading an Ischia report carries in its extension, and the labels that are tags of
    a known taxonomy (others, MISP's own ``misp:`` and ``tlp:`` among them, stay suggestions;
    TLP is read from the markings). Only what the bundle has: an amendment keeps the rest."""
    found: dict[str, Any] = {}
    for obj_id, obj in intake.objects.items():
        if obj["type"] != "report" or "grading" in found:
            continue
        raw = intake_objects.ischia(obj, "grading")
        if raw is None:
            continue
        try:
            grading = parse_grading(raw)
        except InvalidInput as error:
            intake.out(obj_id, "report", "dropped", f"its grading: {_reason(error)}")
            continue
        if grading is not None:
            found["grading"] = grading.document()
            intake.out(obj_id, "report", "used", f"its grading {grading.code}")
    tags = []
    for label in labels:
        try:
            tags.append(parse_tag(label))
        except InvalidInput:
            continue
    if tags:
        found["tags"] = list(dict.fromkeys(tags))[:MAX_TAGS]
    return found


def draft_from_bundle(raw: bytes | str | dict[str, Any]) -> ImportedDraft:
    """The draft bulletin a bundle describes and what became of each object; InvalidInput
    only when the bundle itself is malformed."""
    bundle = load_bundle(raw)
    intake = _Intake()
    intake.take(bundle["objects"])
    travel_places = {
        place
        for obj in intake.objects.values()
        if obj["type"] == "sighting" and intake_objects.ischia(obj, "destination") is not None
        for place in (obj.get("where_sighted_refs") or [])
        if isinstance(place, str)
    }
    intake.read_entities(travel_places)
    intake.read_relationships()
    intake.read_places()
    intake.read_journeys()
    marking, other_markings = _markings(intake)
    title, summary, body, labels = _texts_of(intake)
    if intake.authors:
        body.append("Authored by: " + ", ".join(intake.authors))
    if other_markings:
        body.append("Markings from the source:\n" + "\n".join(f"- {m}" for m in other_markings))
    if len(summary) > MAX_SUMMARY:
        body.insert(0, summary)
        summary = summary[: MAX_SUMMARY - 1] + "…"
    text = "\n\n".join(body)
    if len(text) > MAX_BODY:
        text = text[: MAX_BODY - 1] + "…"
        intake.out("bundle", "bundle", "dropped", f"the body is cut at {MAX_BODY:,} characters")
    handled = {o.id for o in intake.report}
    for obj_id, obj in intake.objects.items():
        if obj_id in handled:
            continue
        kind = obj["type"]
        if kind in _CONTAINERS:
            intake.out(obj_id, kind, "used", _CONTAINERS[kind])
        else:
            intake.out(obj_id, kind, "dropped", f"no Ischia equivalent for {kind}")
    document = {
        "title": (title or "Imported STIX bundle")[:MAX_TITLE],
        "summary": summary,
        "body": text,
        "entities": intake.entities,
        "relations": intake.relations,
    }
    try:
        parse(document)
    except InvalidInput as error:  # each part was checked: this would be a bug
        raise InvalidInput(
            f"The bundle's content: {error.message} ({error.field})", field="bundle"
        ) from None
    labels = list(dict.fromkeys(labels))
    document.update(_grading_and_tags(intake, labels))
    return ImportedDraft(
        document,
        marking,
        mapping.category(labels),
        intake.report,
        labels,
        other_markings,
    )
