"""A STIX 2.1 bundle in: checked, then turned into a draft bulletin for an officer to review.

Nothing is stored here: the draft goes back to the officer (or API client), who posts it as
any bulletin. Bundles from Ischia, MISP and OpenCTI import; object types with no Ischia
entity (indicators, malware, notes...) are counted as ignored, never guessed at. Any invalid
object refuses the whole bundle with a 400 that names the object and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import stix2
import stix2.exceptions

from portal.services.bulletin_content import MAX_ENTITIES, Platform, parse
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
            raw = json.loads(raw)
        except (ValueError, RecursionError):
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
        _depth_and_strings(obj, f"{obj.get('id') or f'objects[{index}]'}")
    return raw


def _checked(obj: dict[str, Any], index: int) -> None:
    where = obj.get("id") or f"objects[{index}]"
    try:
        stix2.parse(obj, allow_custom=True, version="2.1")
    except (stix2.exceptions.STIXError, ValueError, TypeError, KeyError) as error:
        message = str(error).splitlines()[0][:300]
        raise InvalidInput(f"{where}: {message}", field="bundle") from None


def _platform(value: Any) -> str:
    text = str(value or "").lower()
    return text if text in {p.value for p in Platform} else "other"


def _entity(obj: dict[str, Any], ref: str) -> dict[str, Any] | None:
    kind = obj["type"]
    if kind in ("threat-actor",) or (
        kind == "identity" and obj.get("identity_class") == "individual"
    ):
        aliases = obj.get("aliases") or obj.get("x_ischia_aliases") or []
        person = {"ref": ref, "type": "person", "value": obj.get("name", "")}
        if aliases:
            person["aliases"] = [str(a) for a in aliases]
        for key in ("transliterations", "nationality", "date_of_birth", "role"):
            if obj.get(f"x_ischia_{key}"):
                person[key] = obj[f"x_ischia_{key}"]
        return person
    if kind == "intrusion-set":
        group = {"ref": ref, "type": "group", "value": obj.get("name", "")}
        if obj.get("aliases"):
            group["aliases"] = [str(a) for a in obj["aliases"]]
        if obj.get("x_ischia_country"):
            group["country"] = obj["x_ischia_country"]
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
        for place in o.get("where_sighted_refs", [])
    }
    for obj in objects:
        if obj["id"] in travel_places:
            continue  # a journey's stops come back as the journey itself
        ref = obj.get("x_ischia_ref") or f"e{len(entities) + 1}"
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
        kind = vocab.RELATION_OF.get(obj.get("relationship_type", ""))
        source, target = refs.get(obj.get("source_ref", "")), refs.get(obj.get("target_ref", ""))
        if kind is None and obj.get("relationship_type") == "uses":
            kind = "uses_account"
        if kind is None or source is None or target is None:
            ignored["relationship"] = ignored.get("relationship", 0) + 1
            continue
        relation = {"source": source, "type": kind, "target": target}
        if obj.get("start_time"):
            relation["on"] = str(obj["start_time"])[:10]
        relations.append(relation)
    for obj in (o for o in objects if o["type"] == "sighting"):
        traveller = refs.get(obj.get("sighting_of_ref", ""))
        if traveller is None or "x_ischia_destination" not in obj:
            ignored["sighting"] = ignored.get("sighting", 0) + 1
            continue
        travel = {
            "ref": obj.get("x_ischia_ref") or f"e{len(entities) + 1}",
            "type": "travel",
            "traveller": traveller,
            "destination": obj["x_ischia_destination"],
            "via": list(obj.get("x_ischia_via") or []),
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
    markings = [
        vocab.TLP_OF_ID[m] for m in report.get("object_marking_refs", []) if m in vocab.TLP_OF_ID
    ]
    labels = report.get("labels") or []
    return ImportedDraft(
        document, markings[0] if markings else None, labels[0] if labels else None, ignored
    )
