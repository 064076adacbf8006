"""A STIX 2.1 bundle in: checked, then turned into a draft bulletin for an officer to review.

Nothing is stored here: the draft goes back to the officer (or API client), who posts it as
any bulletin. Bundles from Ischia, MISP and OpenCTI import; object types with no Ischia
entity (indicators, malware, notes...) are counted as ignored, never guessed at. Any invalid
object refuses the whole bundle with a 400 that names the object and the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import stix2
import stix2.exceptions

from portal.services import json_text
from portal.services.bulletins.content import MAX_ENTITIES, Platform, parse
from portal.services.errors import InvalidInput
from portal.services.stix import vocabulary as vocab

MAX_BYTES = 10 * 1024 * 1024
MAX_OBJECTS = 10_000
MAX_DEPTH = 20
MAX_STRING = 100_000


@dataclass
class ImportedDraft:
    document: dict[str, Any]
    marking: str | None
    category: str | None
    ignored: dict[str, int] = field(default_factory=dict)


def _depth_and_strings(value: Any, where: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput(f"{where}: nested more than {MAX_DEPTH} levels.", field="bundle")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise InvalidInput(
            f"{where}: a text longer than {MAX_STRING:,} characters.", field="bundle"
        )
    if isinstance(value, dict):
        for item in value.values():
            _depth_and_strings(item, where, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _depth_and_strings(item, where, depth + 1)


def load_bundle(raw: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """The bundle as JSON, checked for shape and size before any STIX parsing."""
    if isinstance(raw, (bytes, str)):
        if len(raw) > MAX_BYTES:
            raise InvalidInput(f"A bundle of at most {MAX_BYTES // 2**20} MB.", field="bundle")
        try:
            raw = json_text.loads(raw)
        except ValueError:
            raise InvalidInput("The bundle is not JSON.", field="bundle") from None
    if not isinstance(raw, dict) or raw.get("type") != "bundle":
        raise InvalidInput('Send a STIX bundle: an object with "type": "bundle".', field="bundle")
    objects = raw.get("objects")
    if not isinstance(objects, list):
        raise InvalidInput('The bundle needs an "objects" list.', field="bundle")
    if len(objects) > MAX_OBJECTS:
        raise InvalidInput(f"At most {MAX_OBJECTS:,} objects in a bundle.", field="bundle")
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
            raise InvalidInput(f"objects[{index}] is not a STIX object.", field="bundle")
        if not isinstance(obj.get("id"), str) or len(obj["id"]) > 200:
            raise InvalidInput(f"objects[{index}] has no STIX id.", field="bundle")
        _depth_and_strings(obj, f"{obj.get('id') or f'objects[{index}]'}")
    return raw


def _checked(obj: dict[str, Any], index: int) -> None:
    where = obj.get("id") or f"objects[{index}]"
    try:
        stix2.parse(obj, allow_custom=True, version="2.1")
    except (stix2.exceptions.STIXError, ValueError, TypeError, KeyError) as error:
        message = str(error).splitlines()[0][:300]
        raise InvalidInput(f"{where}: {message}", field="bundle") from None


def _ref(obj: dict[str, Any], name: str) -> str:
    """``obj[name]`` when it is a text, else "": a list or object where STIX wants an id or a
    vocabulary word matches nothing (rather than failing as a dictionary key)."""
    value = obj.get(name)
    return value if isinstance(value, str) else ""


def _items(obj: dict[str, Any], name: str) -> list[Any]:
    """``obj[name]`` when it is a list, else nothing."""
    value = obj.get(name)
    return value if isinstance(value, list) else []


def _texts(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{where}: a list of texts.", field="bundle")
    return list(value)


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InvalidInput(f"{where}: a text.", field="bundle")
    return str(value)


def _platform(value: Any) -> str:
    text = str(value or "").lower()
    return text if text in {p.value for p in Platform} else "other"


def _entity(obj: dict[str, Any], ref: str) -> dict[str, Any] | None:
    kind = obj["type"]
    if kind in ("threat-actor",) or (
        kind == "identity" and obj.get("identity_class") == "individual"
    ):
        where = obj["id"]
        aliases = _texts(obj.get("aliases"), where) or _texts(obj.get("x_ischia_aliases"), where)
        person: dict[str, Any] = {
            "ref": ref,
            "type": "person",
            "value": _text(obj.get("name"), where) or "",
        }
        if aliases:
            person["aliases"] = aliases
        if obj.get("x_ischia_transliterations"):
            person["transliterations"] = _texts(obj["x_ischia_transliterations"], where)
        for key in ("nationality", "date_of_birth", "role"):
            if obj.get(f"x_ischia_{key}"):
                person[key] = _text(obj[f"x_ischia_{key}"], where)
        return person
    if kind == "intrusion-set":
        group: dict[str, Any] = {
            "ref": ref,
            "type": "group",
            "value": _text(obj.get("name"), obj["id"]) or "",
        }
        if obj.get("aliases"):
            group["aliases"] = _texts(obj["aliases"], obj["id"])
        if obj.get("x_ischia_country"):
            group["country"] = _text(obj["x_ischia_country"], obj["id"])
        return group
    if kind == "user-account":
        value = obj.get("x_ischia_value") or obj.get("account_login") or obj.get("user_id")
        platform = _platform(obj.get("account_type"))
        if value and platform != "other" and not str(value).startswith(("@", "http")):
            value = f"@{value}" if platform in ("telegram", "x", "instagram", "tiktok") else value
        return {"ref": ref, "type": "account", "platform": platform, "value": str(value or "")}
    if kind == "email-addr":
        return {
            "ref": ref,
            "type": "email",
            "value": obj.get("x_ischia_value") or obj.get("value", ""),
        }
    if kind == "url":
        return {
            "ref": ref,
            "type": "url",
            "value": obj.get("x_ischia_value") or obj.get("value", ""),
        }
    if kind in (vocab.PHONE_TYPE, "phone-number"):
        return {
            "ref": ref,
            "type": "phone",
            "value": obj.get("x_ischia_value") or obj.get("value", ""),
        }
    if kind == "location":
        name = obj.get("name") or obj.get("city") or obj.get("country") or obj.get("region")
        place = {"ref": ref, "type": "location", "value": str(name or "")}
        if obj.get("country"):
            place["country"] = obj["country"]
        return place
    return None


def draft_from_bundle(raw: bytes | str | dict[str, Any]) -> ImportedDraft:
    """The draft bulletin a bundle describes; InvalidInput naming the object otherwise."""
    bundle = load_bundle(raw)
    objects = bundle["objects"]
    for index, obj in enumerate(objects):
        _checked(obj, index)
    refs: dict[str, str] = {}
    entities: list[dict[str, Any]] = []
    ignored: dict[str, int] = {}
    locations: dict[str, dict[str, Any]] = {}
    reports = [o for o in objects if o["type"] == "report"]
    travel_places = {
        place
        for o in objects
        if o["type"] == "sighting" and "x_ischia_destination" in o
        for place in _items(o, "where_sighted_refs")
        if isinstance(place, str)
    }
    for obj in objects:
        if obj["id"] in travel_places:
            continue  # a journey's stops come back as the journey itself
        ref = obj.get("x_ischia_ref")
        if not isinstance(ref, str) or not ref or len(ref) > 40:
            ref = f"e{len(entities) + 1}"
        if ref in {e["ref"] for e in entities}:
            ref = f"e{len(entities) + 1}"
        entity = _entity(obj, ref)
        if entity is None:
            if obj["type"] not in (
                "report",
                "relationship",
                "sighting",
                "marking-definition",
                "extension-definition",
                "identity",
            ):
                ignored[obj["type"]] = ignored.get(obj["type"], 0) + 1
            continue
        refs[obj["id"]] = ref
        if obj["type"] == "location":
            locations[obj["id"]] = entity
        entities.append(entity)
    if len(entities) > MAX_ENTITIES:
        raise InvalidInput(f"The bundle names more than {MAX_ENTITIES} entities.", field="bundle")
    relations = []
    for obj in (o for o in objects if o["type"] == "relationship"):
        kind = vocab.RELATION_OF.get(_ref(obj, "relationship_type"))
        source, target = refs.get(_ref(obj, "source_ref")), refs.get(_ref(obj, "target_ref"))
        if kind is None and _ref(obj, "relationship_type") == "uses":
            kind = "uses_account"
        if kind is None or source is None or target is None:
            ignored["relationship"] = ignored.get("relationship", 0) + 1
            continue
        relation = {"source": source, "type": kind, "target": target}
        if obj.get("start_time"):
            relation["on"] = str(obj["start_time"])[:10]
        relations.append(relation)
    for obj in (o for o in objects if o["type"] == "sighting"):
        traveller = refs.get(_ref(obj, "sighting_of_ref"))
        if traveller is None or "x_ischia_destination" not in obj:
            ignored["sighting"] = ignored.get("sighting", 0) + 1
            continue
        where = obj["id"]
        travel_ref = obj.get("x_ischia_ref")
        if not isinstance(travel_ref, str) or not travel_ref or len(travel_ref) > 40:
            travel_ref = f"e{len(entities) + 1}"
        travel = {
            "ref": travel_ref,
            "type": "travel",
            "traveller": traveller,
            "destination": _text(obj["x_ischia_destination"], where),
            "via": _texts(obj.get("x_ischia_via"), where),
        }
        if obj.get("x_ischia_value"):
            travel["value"] = obj["x_ischia_value"]
        if obj.get("x_ischia_origin"):
            travel["origin"] = obj["x_ischia_origin"]
        if obj.get("x_ischia_on"):
            travel["on"] = obj["x_ischia_on"]
        entities.append(travel)
    report = reports[0] if reports else {}
    document = {
        "title": str(report.get("name") or "Imported STIX bundle")[:200],
        "summary": "",
        "body": str(report.get("description") or ""),
        "entities": entities,
        "relations": relations,
    }
    try:
        parse(document)
    except InvalidInput as error:
        raise InvalidInput(
            f"The bundle's content: {error.message} ({error.field})", field="bundle"
        ) from None
    # The most restrictive marking on any object, TLP 2.0 or STIX's TLP 1.0 ids alike.
    found = {
        vocab.TLP_OF_ID[ref]
        for obj in objects
        for ref in _items(obj, "object_marking_refs")
        if isinstance(ref, str) and ref in vocab.TLP_OF_ID
    }
    marking = max(found, key=vocab.TLP_ORDER.index) if found else None
    labels = [label for label in _items(report, "labels") if isinstance(label, str)]
    return ImportedDraft(document, marking, labels[0] if labels else None, ignored)
