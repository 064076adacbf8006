"""What a person would write for a node: the one labelling function of the link graph.

Node ids are keys (``account:facebook:meadowpillar36146``, ``phone:+447700900123``): exact,
stable, and unreadable. :func:`display_label` turns a node into what an analyst would write
on a whiteboard: ``@meadowpillar36146 (Facebook)``, ``+44 7700 900123``, the e-mail address
as a bulletin wrote it, a person's or group's name. The workspace, its search results and
downloads, and the briefings' figure all call it, so a node reads the same everywhere.

A label is text: callers put it into a page as text, never as HTML (names come from
adversaries).

Examples
--------
>>> display_label("account:facebook:meadowpillar36146", {"type": "account"})
'@meadowpillar36146 (Facebook)'
>>> display_label("phone:+447700900123", {"type": "phone"})
'+44 7700 900123'
>>> display_label("location:raqqa", {"type": "location", "label": "location:raqqa"})
'raqqa'
>>> display_label("person:B-1:p", {"type": "person", "label": "Abu Muhammad al-Adnani"})
'Abu Muhammad al-Adnani'
>>> from datetime import date
>>> display_label("bulletin:B-7", {"type": "bulletin", "label": "B-7",
...     "organisation": "FR", "reported_on": date(2025, 3, 1)})
'Bulletin from FR, 2025-03-01'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Final

import phonenumbers

__all__ = ["PLATFORM_NAMES", "display_label", "platform_name", "record_label"]

PLATFORM_NAMES: Final[dict[str, str]] = {
    "telegram": "Telegram",
    "x": "X",
    "twitter": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "whatsapp": "WhatsApp",
    "signal": "Signal",
    "vk": "VK",
}
"""How platforms are written, by the platform part of an account key."""


def platform_name(platform: str) -> str:
    """``"facebook"`` → ``"Facebook"``; an unknown platform is capitalised.

    >>> platform_name("tiktok"), platform_name("mastodon")
    ('TikTok', 'Mastodon')
    """
    return PLATFORM_NAMES.get(platform.lower(), platform.capitalize())


def _first_written(data: Mapping[str, Any]) -> Any | None:
    """The entity of the first bulletin (by id) that names the node, or None."""
    mentions: Mapping[str, Sequence[Any]] = data.get("mentions") or {}
    if not mentions:
        return None
    first_bulletin = min(mentions)
    records = mentions[first_bulletin]
    return records[0] if records else None


def _phone(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _tail(key: str) -> str:
    return key.split(":", 1)[1] if ":" in key else key


def display_label(key: str, data: Mapping[str, Any]) -> str:
    """How an analyst names node ``key`` whose attributes are ``data``.

    - a person, group or location: its name (the graph's chosen label), else the key's
      words;
    - an account: ``@handle (Platform)`` (a channel path keeps no ``@``);
    - a phone number: international format (``+33 6 12 34 56 78``);
    - an e-mail address or URL: as the first bulletin naming it wrote it;
    - a bulletin node: its sender and date (the portal, which can read titles, shows
      the title next to it).

    >>> display_label("account:youtube:channel/UCabc", {"type": "account"})
    'channel/UCabc (YouTube)'
    >>> display_label("email:a@b.example", {"type": "email"})
    'a@b.example'
    """
    kind = str(data.get("type", ""))
    label = str(data.get("label") or "")
    if kind == "account":
        parts = key.split(":", 2)
        if len(parts) == 3:
            platform, handle = parts[1], parts[2]
            handle = handle if "/" in handle or handle.startswith("@") else f"@{handle}"
            return f"{handle} ({platform_name(platform)})"
    if kind == "phone":
        return _phone(_tail(key))
    if kind == "bulletin":
        organisation, reported = data.get("organisation"), data.get("reported_on")
        if organisation and reported is not None:
            return f"Bulletin from {organisation}, {reported.isoformat()}"
        return f"Bulletin {label or _tail(key)}"
    if label and label != key:
        return label  # a person's, group's or place's name, chosen by the graph
    if kind in ("email", "url"):
        first = _first_written(data)
        written = getattr(first, "value", None) or getattr(first, "url", None)
        if written:
            return " ".join(str(written).split())
    if kind in ("group", "location"):
        return _tail(key).split(":", 1)[-1]
    return _tail(key)


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%b')} {day.year}"


def record_label(
    label: str,
    provenances: Sequence[Any],
    where: Callable[[str, date, int], str] | None = None,
) -> str:
    """``label`` with where the record comes from: the first bulletin's sender and date.

    Several records of one name ("Hasan al-Ghatufi" four times) then read apart: each says
    which organisation reported it and when, and how many other bulletins name it.
    ``provenances`` are :class:`graph.model.Provenance` (``organisation``, ``reported_on``),
    oldest first, as :func:`graph.node_provenance` gives them.

    >>> from graph.model import Provenance
    >>> first = Provenance("B-1", "IT-MININT", date(2026, 5, 2), "TLP:AMBER")
    >>> later = Provenance("B-9", "FR-MININT", date(2026, 6, 1), "TLP:GREEN")
    >>> record_label("Hasan al-Ghatufi", [first])
    'Hasan al-Ghatufi (IT-MININT, 2 May 2026)'
    >>> record_label("Hasan al-Ghatufi", [first, later])
    'Hasan al-Ghatufi (IT-MININT, 2 May 2026, and 1 more bulletin)'
    >>> record_label("Hasan al-Ghatufi", [])
    'Hasan al-Ghatufi'

    ``where(organisation, reported_on, more)`` words the parenthesis in the reader's language
    (the portal passes one; this package has no translations):

    >>> record_label("Hasan", [first, later], lambda org, on, more: f"{org}, {on}, +{more}")
    'Hasan (IT-MININT, 2026-05-02, +1)'
    """
    if not provenances:
        return label
    first, more = provenances[0], len(provenances) - 1
    if where is not None:
        return f"{label} ({where(first.organisation, first.reported_on, more)})"
    said = f"{first.organisation}, {_day(first.reported_on)}"
    if more:
        said += f", and {more} more bulletin{'' if more == 1 else 's'}"
    return f"{label} ({said})"
