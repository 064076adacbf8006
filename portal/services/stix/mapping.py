"""How STIX 2.1 names map to Ischia's, both ways (the tables of docs/stix-taxii.md).

Relationship types, account types, report labels and marking definitions, as MISP, OpenCTI
and the OASIS examples write them (upper-case ``definition_type: "TLP"`` included).
"""

from __future__ import annotations

from typing import Any, Final

from portal.services.stix import vocabulary as vocab

# STIX relationship type → Ischia relation type. A type not listed (or listed with a condition
# its ends do not meet) becomes ``related_to``, with the STIX type kept as its label.
RELATIONSHIP_TO_ISCHIA: Final[dict[str, str]] = {
    "member-of": "member_of",
    "uses-account": "uses_account",  # Ischia's exports before the specification's "uses"
    "uses-phone": "uses_phone",
    "uses-email": "uses_email",
    "recruited": "recruited",
    "contacted": "contacted",
    "travelled-to": "travelled_to",
    "financed": "financed",
    "same-as": "same_as",
    "duplicate-of": "same_as",
    "related-to": "related_to",
}
# Relationship types that mean more when their ends are of the right kinds.
RELATIONSHIP_BY_ENDS: Final[dict[tuple[str, str, str], str]] = {
    ("uses", "person", "account"): "uses_account",
    ("uses", "group", "account"): "uses_account",
    ("uses", "person", "phone"): "uses_phone",
    ("uses", "person", "email"): "uses_email",
    ("part-of", "person", "group"): "member_of",
    ("employed-by", "person", "group"): "member_of",
    ("affiliated-with", "person", "group"): "member_of",
    ("located-at", "person", "location"): "travelled_to",
}

# Ischia relation type → STIX relationship type on export. The specification's vocabulary
# suggests none of Ischia's for persons, groups and accounts, so each is the common
# "related-to" (or "duplicate-of" for the same entity), and the Ischia property extension says
# which relation it is ("relation"), as ``stix2-validator --strict`` wants.
ISCHIA_TO_RELATIONSHIP: Final[dict[str, str]] = {
    "uses_account": "related-to",
    "uses_phone": "related-to",
    "uses_email": "related-to",
    "member_of": "related-to",
    "recruited": "related-to",
    "contacted": "related-to",
    "travelled_to": "related-to",
    "financed": "related-to",
    "same_as": "duplicate-of",
    "related_to": "related-to",
}

# STIX account_type (account-type-ov, and what MISP and OpenCTI write) → Ischia platform.
ACCOUNT_TYPES: Final[dict[str, str]] = {
    "twitter": "x",
    "x": "x",
    "x.com": "x",
    "facebook": "facebook",
    "instagram": "instagram",
    "youtube": "youtube",
    "telegram": "telegram",
    "tiktok": "tiktok",
    "whatsapp": "whatsapp",
    "vk": "vk",
    "vkontakte": "vk",
}
# Ischia platform → account_type in the specification's account-type-ov (others: none, the
# platform is in the Ischia extension).
PLATFORM_TO_ACCOUNT_TYPE: Final[dict[str, str]] = {"x": "twitter", "facebook": "facebook"}

# Report and grouping labels (case-insensitive) that name an Ischia category.
CATEGORY_LABELS: Final[dict[str, str]] = {
    "recruitment": "recruitment",
    "incitement_to_violence": "incitement_to_violence",
    "incitement": "incitement_to_violence",
    "attack_instructions": "attack_instructions",
    "explosive_device_manuals": "explosive_device_manuals",
    "explosives": "explosive_device_manuals",
    "propaganda_promotion": "propaganda_promotion",
    "propaganda": "propaganda_promotion",
    "foreign_fighter_travel": "foreign_fighter_travel",
    "foreign-fighters": "foreign_fighter_travel",
    "financing": "financing",
    "terrorist-financing": "financing",
    "other": "other",
}

_TLP_WORDS: Final = {
    "white": "TLP:CLEAR",
    "clear": "TLP:CLEAR",
    "green": "TLP:GREEN",
    "amber": "TLP:AMBER",
    "amber+strict": "TLP:AMBER+STRICT",
    "red": "TLP:RED",
}


def relation_type(stix_type: str, source_kind: str, target_kind: str) -> tuple[str, str | None]:
    """Ischia's relation type for a STIX relationship, and the label that keeps the STIX
    type when Ischia's says less."""
    by_ends = RELATIONSHIP_BY_ENDS.get((stix_type, source_kind, target_kind))
    if by_ends:
        return by_ends, None
    mapped = RELATIONSHIP_TO_ISCHIA.get(stix_type)
    if mapped == "related_to":
        return "related_to", None
    if mapped:
        return mapped, None
    return "related_to", stix_type[:100]


def platform(account_type: Any) -> str:
    return ACCOUNT_TYPES.get(str(account_type or "").strip().lower(), "other")


def category(labels: list[str]) -> str | None:
    for label in labels:
        found = CATEGORY_LABELS.get(label.strip().lower())
        if found:
            return found
    return None


def tlp_of(definition: dict[str, Any] | None, marking_id: str) -> str | None:
    """The TLP 2.0 marking a marking definition stands for (by its id, its TLP 1.0
    ``definition``, its TLP 2.0 extension or its name), None for any other marking."""
    if marking_id in vocab.TLP_OF_ID:
        return vocab.TLP_OF_ID[marking_id]
    if not isinstance(definition, dict):
        return None
    kind = str(definition.get("definition_type") or "").lower()
    body = definition.get("definition")
    if kind == "tlp" and isinstance(body, dict):
        values = {str(k).lower(): str(v).lower() for k, v in body.items()}
        said = values.get("tlp", "")
        found = _TLP_WORDS.get(said[4:] if said.startswith("tlp:") else said)
        if found:
            return found
    extension = (definition.get("extensions") or {}).get(vocab.TLP_EXTENSION)
    if isinstance(extension, dict):
        found = _TLP_WORDS.get(str(extension.get("tlp_2_0") or "").lower())
        if found:
            return found
    name = str(definition.get("name") or "").strip().lower()
    if name.startswith("tlp:") and kind in ("", "tlp"):
        return _TLP_WORDS.get(name[4:])
    return None


def marking_text(definition: dict[str, Any]) -> str:
    """A marking other than TLP, as a line an officer can read (and keep in the body)."""
    kind = str(definition.get("definition_type") or "").strip()
    body = definition.get("definition")
    name = str(definition.get("name") or "").strip()
    if kind.lower() == "statement" and isinstance(body, dict) and body.get("statement"):
        text = f"Statement: {body['statement']}"
    elif name:
        text = name if not kind or name.lower().startswith(kind.lower()) else f"{kind}: {name}"
    elif isinstance(body, dict) and body:
        text = f"{kind or 'marking'}: " + ", ".join(str(v) for v in body.values())
    else:
        extensions = sorted((definition.get("extensions") or {}).keys())
        text = f"{kind or 'marking'} ({', '.join(extensions) or 'no definition'})"
    return f"{text[:300]} [{definition.get('id')}]"
