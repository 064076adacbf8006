"""What Ischia's entities and markings are called in STIX 2.1."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, Final

# OASIS's TLP 2.0 marking definitions (STIX common objects), not the STIX 2.1 TLP 1.0 ids.
TLP_EXTENSION: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_IDS: Final[dict[str, str]] = {
    "TLP:CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "TLP:GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "TLP:AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "TLP:AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "TLP:RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# STIX 2.1's own TLP 1.0 marking definitions, as MISP, OpenCTI and the stix2 library write them.
TLP1_IDS: Final[dict[str, str]] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "TLP:CLEAR",  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "TLP:GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "TLP:AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "TLP:RED",
}
TLP_OF_ID: Final = {**{value: key for key, value in TLP_IDS.items()}, **TLP1_IDS}
TLP_ORDER: Final = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")
TLP_CREATOR: Final = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"


def tlp_marking(marking: str) -> dict[str, Any]:
    """The OASIS marking-definition object of a TLP 2.0 marking."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_IDS[marking],
        "created_by_ref": TLP_CREATOR,
        "created": "2022-10-01T00:00:00.000Z",
        "name": marking,
        "extensions": {
            TLP_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": marking.split(":", 1)[1].lower(),
            }
        },
    }


# Ischia's exports before 2026-12 wrote phone numbers as this SCO type (read on import only).
PHONE_TYPE: Final = "x-ischia-phone-number"


def uuid4_of(text: str) -> str:
    """A UUIDv4 (its version and variant bits as RFC 9562 sets them) whose other bits are a
    hash of ``text``: what STIX 2.1 and TAXII 2.1 ask of SDO, SRO, bundle and collection ids,
    yet the same for the same object every time (ids stay stable across exports)."""
    digest = hashlib.sha256(f"ischia-stix|{text}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


# Ischia's own properties of SDOs and SCOs (a property extension, STIX 2.1 section 7.3).
ISCHIA_EXTENSION: Final = "extension-definition--" + uuid4_of("https://ischia/stix/properties")
ISCHIA_IDENTITY: Final = "identity--" + uuid4_of("https://ischia/")
SCO_NAMESPACE: Final = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1, 2.9
OBJECT_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "https://ischia/stix/objects")


def ischia_identity() -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": ISCHIA_IDENTITY,
        "created": "2026-11-29T00:00:00.000Z",
        "modified": "2026-11-29T00:00:00.000Z",
        "name": "Ischia",
        "identity_class": "system",
    }


def phone_id(number: str) -> str:
    """A phone number's identity id: from the number alone, as an observable's, so one number
    has one id in every bulletin and every export."""
    return f"identity--{uuid4_of(f'phone|{number}')}"


def object_id(kind: str, *parts: str) -> str:
    """A deterministic id for an SDO of a bulletin (same bulletin, same ids)."""
    return f"{kind}--{uuid4_of('|'.join((kind, *parts)))}"


def ischia_extension_definition() -> dict[str, Any]:
    """The property extension that carries what STIX has no property for (a bulletin's entity
    ref, the value as written, a person's role, a journey's stops...)."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ISCHIA_EXTENSION,
        "created_by_ref": ISCHIA_IDENTITY,
        "created": "2026-12-03T00:00:00.000Z",
        "modified": "2026-12-04T09:00:00.000Z",
        "name": "Ischia bulletin properties",
        "description": (
            "What an Ischia bulletin says that STIX 2.1 has no property for: ref (the entity's "
            "reference in the bulletin), value (as written), platform, role, nationality, "
            "date_of_birth, transliterations, aliases, country, code (an organisation's), "
            'relation and label (a relation\'s Ischia type and imported name), kind ("phone" on '
            "the identity of a phone number), origin, via, destination and on (a journey), "
            "places and place_relations (a report's places that have no country, which STIX "
            "cannot locate, and their relations, by ref), grading (a report's evaluation and "
            "handling codes: source A, B, C or X, information 1 to 4, handling H0 to H3, and "
            "conditions, the provider's restrictions under H3)."
        ),
        "schema": "https://ischia.invalid/stix/ischia-properties.json",
        "version": "1.2.0",
        "extension_types": ["property-extension"],
    }
