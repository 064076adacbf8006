"""Readable bulletins as one STIX 2.1 bundle.

Each bulletin becomes a ``report`` by its sending ministry (an ``identity`` of class
organization) with its TLP 2.0 marking; persons of interest (a role) become ``threat-actor``
objects of type terrorist, other persons ``identity`` objects of class individual, groups
``intrusion-set``; accounts, e-mail addresses and URLs the cyber-observables ``user-account``,
``email-addr`` and ``url`` with the spec's deterministic ids (UUIDv5 of their canonical
identifier), so the same account exported by two ministries has one id; phone numbers an
``identity`` whose ``contact_information`` names the number (as MISP writes it); places with
a country ``location`` (those without are in the report's extension); relations
``relationship``; dated journeys ``sighting``. ``x_ischia_*`` properties (moved into Ischia's
property extension) keep what STIX has no field for, so a re-imported bundle gives the same
entities. The versions of an amended bulletin are versions of the same objects; a retracted
bulletin is its report, revoked.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import graph
from crypto.canonical import canonical_json
from portal.extensions import db
from portal.models import Bulletin, BulletinState, Organisation, utcnow
from portal.services import audit
from portal.services.bulletins import lifecycle
from portal.services.bulletins.access import visible_bulletin
from portal.services.bulletins.content import BulletinContent, Entity, EntityType, Relation
from portal.services.bulletins.entities import graph_type
from portal.services.bulletins.reading import Unopened, open_bulletin
from portal.services.errors import Conflict, InvalidInput
from portal.services.principals import Actor, Reader
from portal.services.stix import mapping
from portal.services.stix import vocabulary as vocab

MAX_BULLETINS = 1_000
# The dates of an object defined by its value alone (a phone number's identity): the same in
# every bulletin, so the same number is one object, of one version, everywhere.
_VALUE_OBJECT_TIME = "2020-01-01T00:00:00.000Z"
_PERSONS_OF_INTEREST = {"recruiter", "facilitator", "foreign_fighter", "financier"}
_SCO_TYPES = {"user-account", "email-addr", "url"}


def _time(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _sco_id(kind: str, contributing: dict[str, Any]) -> str:
    return f"{kind}--{uuid.uuid5(vocab.SCO_NAMESPACE, canonical_json(contributing).decode())}"


def _organisation(org: Organisation) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": "identity--" + vocab.uuid4_of(f"organisation|{org.code}"),
        "created": "2020-01-01T00:00:00.000Z",
        "modified": "2020-01-01T00:00:00.000Z",
        "name": org.name,
        "identity_class": "organization",
        "x_ischia_code": org.code,
    }


def _canonical(entity: Entity, region: str | None, platform: str | None = None) -> str | None:
    """The graph's canonical key of an identifier, as sealing keyed it (None if it has none)."""
    node = graph.Entity(
        ref=entity.ref, type=graph_type(entity.type), value=entity.value, platform=platform
    )
    try:
        return graph.entity_key(node, default_region=region)
    except graph.NotNormalisable:
        return None


def _account(entity: Entity, region: str | None) -> dict[str, Any]:
    platform = entity.platform.value if entity.platform else "other"
    key = _canonical(entity, region, platform)
    handle = key.split(":", 2)[2] if key and key.count(":") >= 2 else entity.value
    # The id as the platform's own account type would give it, so that the same account has
    # the same id wherever it is exported; account_type itself only from the spec's vocabulary.
    contributing = {"account_type": platform, "user_id": handle, "account_login": handle}
    account_type = mapping.PLATFORM_TO_ACCOUNT_TYPE.get(platform)
    return {
        "type": "user-account",
        "spec_version": "2.1",
        "id": _sco_id("user-account", contributing),
        "user_id": handle,
        "account_login": handle,
        **({"account_type": account_type} if account_type else {}),
        "x_ischia_platform": platform,
        "x_ischia_value": entity.value,
    }


def _identifier_key(entity: Entity, region: str | None) -> str:
    key = _canonical(entity, region)
    return key.split(":", 1)[1] if key else entity.value


def _entity_object(series_id: str, entity: Entity, region: str | None) -> dict[str, Any]:
    common = {"spec_version": "2.1", "x_ischia_ref": entity.ref}
    kind = entity.type
    if kind is EntityType.ACCOUNT:
        return {**_account(entity, region), "x_ischia_ref": entity.ref}
    if kind is EntityType.EMAIL:
        value = _identifier_key(entity, region)
        return {
            "type": "email-addr",
            "id": _sco_id("email-addr", {"value": value}),
            "value": value,
            "x_ischia_value": entity.value,
            **common,
        }
    if kind is EntityType.URL:
        value = _identifier_key(entity, region)
        return {
            "type": "url",
            "id": _sco_id("url", {"value": value}),
            "value": value,
            "x_ischia_value": entity.value,
            **common,
        }
    if kind is EntityType.PHONE:
        # MISP's importer reads no phone observable (STIX has none): an identity whose contact
        # information names the number, as MISP's own exporter writes a person's phone. Its
        # id, dates and content come from the number alone, as an observable's would.
        value = _identifier_key(entity, region)
        return {
            "type": "identity",
            "id": vocab.phone_id(value),
            "created": _VALUE_OBJECT_TIME,
            "modified": _VALUE_OBJECT_TIME,
            "name": value,
            "identity_class": "unknown",
            "contact_information": f"phone-number: {value}",
            "x_ischia_kind": "phone",
            "x_ischia_value": entity.value,
            **common,
        }
    sdo = {"created": None, "modified": None, **common}
    if kind is EntityType.PERSON:
        extra = {
            "x_ischia_transliterations": list(entity.transliterations) or None,
            "x_ischia_nationality": entity.nationality,
            "x_ischia_date_of_birth": entity.date_of_birth.isoformat()
            if entity.date_of_birth
            else None,
            "x_ischia_role": entity.role.value if entity.role else None,
        }
        extra = {k: v for k, v in extra.items() if v}
        if entity.role and entity.role.value in _PERSONS_OF_INTEREST:
            return {
                **sdo,
                "type": "threat-actor",
                "id": vocab.object_id("threat-actor", series_id, entity.ref),
                "name": entity.value,
                "threat_actor_types": ["terrorist"],
                **({"aliases": list(entity.aliases)} if entity.aliases else {}),
                **extra,
            }
        return {
            **sdo,
            "type": "identity",
            "id": vocab.object_id("identity", series_id, entity.ref),
            "name": entity.value,
            "identity_class": "individual",
            **({"x_ischia_aliases": list(entity.aliases)} if entity.aliases else {}),
            **extra,
        }
    if kind is EntityType.GROUP:
        return {
            **sdo,
            "type": "intrusion-set",
            "id": vocab.object_id("intrusion-set", series_id, entity.ref),
            "name": entity.value,
            **({"aliases": list(entity.aliases)} if entity.aliases else {}),
            **({"x_ischia_country": entity.country} if entity.country else {}),
        }
    # A place with a country (one without is in the report's extension: see bulletin_objects).
    return {
        **sdo,
        "type": "location",
        "id": vocab.object_id("location", series_id, entity.ref),
        "name": entity.value,
        "country": entity.country,
    }


def _relationship_type(relation: Relation) -> dict[str, Any]:
    """The specification's relationship type where it has one (mapping table), and the
    label an imported link kept."""
    found: dict[str, Any] = {
        "relationship_type": mapping.ISCHIA_TO_RELATIONSHIP[relation.type.value],
        "x_ischia_relation": relation.type.value,
    }
    if relation.label:
        found["x_ischia_label"] = relation.label
    return found


def _series_created(bulletin: Bulletin) -> datetime:
    """When the bulletin's first version was sealed: ``created`` of every version's objects."""
    if bulletin.series_id == bulletin.id:
        return bulletin.created_at
    first = db.session.get(Bulletin, bulletin.series_id)
    return first.created_at if first is not None else bulletin.created_at


def _version_moment(bulletin: Bulletin) -> datetime:
    """The ``modified`` of a version's objects: when it was sealed (an envelope says it to the
    second), its version number as milliseconds, so two versions sealed in one second differ
    and a later version is always the newer."""
    sealed = bulletin.created_at.replace(microsecond=0)
    return sealed + timedelta(milliseconds=min(bulletin.version - 1, 999))


def bulletin_objects(
    bulletin: Bulletin, sender: Organisation, content: BulletinContent
) -> list[dict[str, Any]]:
    """The STIX objects of one opened bulletin (report last), markings not included.

    Every version of a bulletin gives the same ids (from its series, the first version's id):
    an amendment is a new version of the same objects, ``created`` when the first version was
    sealed and ``modified`` when this one was (STIX 2.1 section 3.6).
    """
    series = bulletin.series_id
    created = _time(_series_created(bulletin))
    modified = _time(_version_moment(bulletin))
    marking = [vocab.TLP_IDS[bulletin.marking]]
    organisation = _organisation(sender)
    objects: list[dict[str, Any]] = []
    by_ref: dict[str, str] = {}
    # A place with no country is no STIX location (it needs a country, a region or
    # coordinates, and "unknown" is no region): it and its relations are in the report's
    # Ischia extension, so Ischia reads them back and other consumers are told nothing false.
    unplaced: dict[str, str] = {}
    place_relations: list[dict[str, Any]] = []
    for entity in content.entities:
        if entity.type is EntityType.TRAVEL:
            continue
        if entity.type is EntityType.LOCATION and not entity.country:
            unplaced[entity.ref] = entity.value
            continue
        obj = _entity_object(series, entity, sender.country)
        by_ref[entity.ref] = obj["id"]
        objects.append(obj)
    relation_keys: set[str] = set()
    for i, relation in enumerate(content.relations):
        ends = (relation.source, relation.target)
        if any(end in unplaced for end in ends) and all(
            end in unplaced or end in by_ref for end in ends
        ):
            place_relations.append(
                {
                    "source": relation.source,
                    "relation": relation.type.value,
                    "target": relation.target,
                    **({"label": relation.label} if relation.label else {}),
                    **({"on": relation.on.isoformat()} if relation.on else {}),
                }
            )
            continue
        if relation.source not in by_ref or relation.target not in by_ref:
            continue  # sealed before relations to travel events were refused: not STIX
        # By what it relates, not its place in the list: a version keeps its relations' ids.
        key = "|".join(
            (relation.source, relation.type.value, relation.target, relation.label or "")
        )
        key = key if key not in relation_keys else f"{key}|{i}"
        relation_keys.add(key)
        objects.append(
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": vocab.object_id("relationship", series, key),
                "created": None,
                "modified": None,
                **_relationship_type(relation),
                "source_ref": by_ref[relation.source],
                "target_ref": by_ref[relation.target],
                **(
                    {"start_time": _time(datetime.combine(relation.on, datetime.min.time(), UTC))}
                    if relation.on
                    else {}
                ),
            }
        )
    for travel in (e for e in content.entities if e.type is EntityType.TRAVEL):
        # The stops are names, not places STIX can locate (no country or region): they are
        # the sighting's Ischia properties, not location objects.
        places = [name for name in (travel.origin, *travel.via, travel.destination) if name]
        traveller = by_ref.get(travel.traveller or "")
        if (
            traveller is None
            or not places
            or not traveller.startswith(("threat-actor--", "identity--"))
        ):
            continue  # only a person is sighted (older bulletins may say otherwise)
        when = (
            datetime.combine(travel.on, datetime.min.time(), UTC)
            if travel.on
            else bulletin.created_at
        )
        objects.append(
            {
                "type": "sighting",
                "spec_version": "2.1",
                "id": vocab.object_id("sighting", series, travel.ref),
                "created": None,
                "modified": None,
                "sighting_of_ref": traveller,
                "first_seen": _time(when),
                "x_ischia_ref": travel.ref,
                "x_ischia_value": travel.value,
                "x_ischia_origin": travel.origin,
                "x_ischia_via": list(travel.via),
                "x_ischia_destination": travel.destination,
                **({"x_ischia_travel_date": travel.on.isoformat()} if travel.on else {}),
            }
        )
    for obj in objects:
        if "created" in obj and obj["created"] is None:
            obj["created"], obj["modified"] = created, modified
            obj["created_by_ref"] = organisation["id"]
        obj["object_marking_refs"] = marking
        for key in [k for k, v in obj.items() if v is None]:
            del obj[key]
    report = {
        **_report(bulletin, organisation, created, modified),
        "name": content.title,
        "description": "\n\n".join(part for part in (content.summary, content.body) if part),
        "object_refs": [organisation["id"], *(o["id"] for o in objects)],
        "x_ischia_places": [{"ref": ref, "value": value} for ref, value in unplaced.items()],
        "x_ischia_place_relations": place_relations,
        "x_ischia_grading": _grading(content),
    }
    # Taxonomy tags are labels, as MISP writes an event's tags (machine tags are valid labels).
    report["labels"] = [*report["labels"], *content.tags]
    return [_extended(o) for o in (organisation, *objects, report)]


def _grading(content: BulletinContent) -> dict[str, str] | None:
    """The evaluation and handling codes, in the report's Ischia extension."""
    if content.grading is None:
        return None
    return {k: v for k, v in content.grading.document().items() if v is not None}


def _report(
    bulletin: Bulletin, organisation: dict[str, Any], created: str, modified: str
) -> dict[str, Any]:
    """What every version of a bulletin's report says, whatever its content."""
    return {
        "type": "report",
        "spec_version": "2.1",
        "id": vocab.object_id("report", bulletin.series_id),
        "created": created,
        "modified": modified,
        "created_by_ref": organisation["id"],
        "published": created,
        "report_types": ["threat-report"],
        "labels": [bulletin.category],
        "object_marking_refs": [vocab.TLP_IDS[bulletin.marking]],
        "external_references": [
            {
                "source_name": "ischia",
                "external_id": bulletin.id,
                "description": f"version {bulletin.version}",
            }
        ],
    }


def revoked_objects(bulletin: Bulletin, sender: Organisation) -> list[dict[str, Any]]:
    """A retracted bulletin: the last version of its report, ``revoked`` when it was retracted
    (STIX 2.1 section 3.6). Its content was destroyed, so the report names only its sender,
    and what it named is not revoked object by object."""
    organisation = _organisation(sender)
    ended = max(
        bulletin.ended_at or bulletin.created_at,
        _version_moment(bulletin) + timedelta(milliseconds=1),
    )
    given = lifecycle.retraction_reason_of(bulletin)
    reason = f": {given}" if given else ""
    report = {
        **_report(bulletin, organisation, _time(_series_created(bulletin)), _time(ended)),
        "name": "Retracted bulletin",
        "description": f"Retracted by its originator{reason}.",
        "object_refs": [organisation["id"]],
        "revoked": True,
    }
    return [_extended(organisation), report]


def _extended(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with its ``x_ischia_*`` properties moved into the Ischia property extension
    (STIX 2.1 section 7.3), as ``stix2-validator --strict`` and ``stix2`` without custom
    properties want them."""
    props = {k[len("x_ischia_") :]: obj.pop(k) for k in list(obj) if k.startswith("x_ischia_")}
    props = {k: v for k, v in props.items() if v not in (None, [], "")}
    if props:
        obj.setdefault("extensions", {})[vocab.ISCHIA_EXTENSION] = {
            "extension_type": "property-extension",
            **props,
        }
    return obj


def _shared(obj: dict[str, Any]) -> bool:
    """Whether the object is defined by its value (an observable, a phone number's identity),
    so that several bulletins may carry it: marked, with no author."""
    return "object_marking_refs" in obj and "created_by_ref" not in obj


def _copy_id(object_id: str, marking: str) -> str:
    kind, _, _ = object_id.partition("--")
    name = f"{object_id}|{marking}"
    if kind in _SCO_TYPES:  # an observable's id stays a UUIDv5, as STIX 2.1 (2.9) says
        return f"{kind}--{uuid.uuid5(vocab.SCO_NAMESPACE, name)}"
    return f"{kind}--{vocab.uuid4_of(name)}"


def _with_refs_renamed(value: Any, renamed: dict[str, str], key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _with_refs_renamed(v, renamed, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_refs_renamed(v, renamed, key) for v in value]
    if isinstance(value, str) and (key == "id" or key.endswith(("_ref", "_refs"))):
        return renamed.get(value, value)
    return value


def copies_per_marking(objects: list[dict[str, Any]], marking: str) -> list[dict[str, Any]]:
    """One bulletin's objects for a feed (TAXII) that serves bulletins one at a time: each
    value-defined object (an observable, a phone number's identity) becomes the copy marked
    with this bulletin's marking, under an id of its own per marking, and every reference to
    it follows. A shared object has no version of its own, so one id must always carry the
    same content: the same account named by a TLP:GREEN and a TLP:AMBER bulletin is two
    copies, one per marking, each referenced by the reports so marked (a bundle, made at
    once, carries one copy with the strictest marking instead: see :func:`bundle`)."""
    renamed = {o["id"]: _copy_id(o["id"], marking) for o in objects if _shared(o)}
    if not renamed:
        return objects
    return [_with_refs_renamed(obj, renamed) for obj in objects]


def bundle(
    reader: Reader,
    bulletin_ids: list[str],
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A bundle of the readable bulletins named (NotFound for any other)."""
    if not bulletin_ids:
        raise InvalidInput("Name at least one bulletin.", field="ids")
    if len(bulletin_ids) > MAX_BULLETINS:
        raise InvalidInput(f"At most {MAX_BULLETINS} bulletins in one bundle.", field="ids")
    session = db.session()
    now = now or utcnow()
    bulletins = [visible_bulletin(reader, bid, session) for bid in dict.fromkeys(bulletin_ids)]
    objects: dict[str, dict[str, Any]] = {}
    strictest_marking: dict[str, str] = {}
    markings: set[str] = set()
    for bulletin in bulletins:
        if bulletin.state == BulletinState.RETRACTED.value:
            found = revoked_objects(bulletin, bulletin.sender)
        else:
            opened = open_bulletin(session, reader.org_code, bulletin, now=now)
            if isinstance(opened, Unopened):
                raise Conflict(
                    f"Bulletin {bulletin.id} does not open (expired, or failed verification): "
                    "it cannot be exported.",
                    field="ids",
                )
            found = bulletin_objects(bulletin, bulletin.sender, opened.content)
        for obj in found:
            # Each version of a bulletin's objects once (two versions of a bulletin may be
            # asked for); a shared observable once, with the strictest marking of the
            # bulletins that name it.
            key = obj["id"] if _shared(obj) else f"{obj['id']}|{obj.get('modified', '')}"
            if key in objects and _shared(obj):
                current = strictest_marking.get(
                    key, vocab.TLP_OF_ID[objects[key]["object_marking_refs"][0]]
                )
                strictest_marking[key] = max(current, bulletin.marking, key=vocab.TLP_ORDER.index)
            objects.setdefault(key, obj)
        markings.add(bulletin.marking)
    if actor is not None:
        with db.write() as writing:
            audit.record(
                writing,
                "stix.exported",
                actor,
                subject_org=reader.org_id,
                details={"bulletins": [b.id for b in bulletins]},
            )
    for key, strictest in strictest_marking.items():
        objects[key]["object_marking_refs"] = [vocab.TLP_IDS[strictest]]
    extra = [vocab.tlp_marking(m) for m in sorted(markings)]
    extra += [vocab.ischia_identity(), vocab.ischia_extension_definition()]
    content_id = json.dumps(sorted(objects)).encode()
    return {
        "type": "bundle",
        "id": f"bundle--{vocab.uuid4_of(content_id.decode())}",
        "objects": [*extra, *objects.values()],
    }
