"""Canonical keys for phone numbers (E.164) and e-mail addresses.

Examples
--------
>>> phone_key("0170 123 4567", default_region="DE")
'phone:+491701234567'
>>> email_key("Abu.Adnani@Bücher.Example")
'email:abu.adnani@xn--bcher-kva.example'
"""

from __future__ import annotations

import unicodedata

import phonenumbers

from graph.normalise.errors import NotNormalisable
from graph.normalise.urls import canonical_host

__all__ = ["e164", "email_key", "phone_key"]


def e164(text: str, default_region: str | None = None) -> str:
    """Phone number ``text`` in E.164 form (``+`` and digits).

    Parameters
    ----------
    text : str
        A number as written: spaces, dashes, brackets, ``00`` or ``+`` prefixes,
        Arabic-Indic digits and ``tel:`` URIs are all accepted.
    default_region : str, optional
        ISO 3166-1 alpha-2 code of the country a national number (no ``+``/``00``)
        belongs to, typically the reporting organisation's country.

    Raises
    ------
    NotNormalisable
        When the text is not a possible phone number, or is national and no
        ``default_region`` is given.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    if text.lower().startswith("tel:"):
        text = text[4:]
    if default_region is None and text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise NotNormalisable(f"not a phone number: {text!r}") from exc
    if not phonenumbers.is_possible_number(number):
        raise NotNormalisable(f"not a possible phone number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_key(text: str, default_region: str | None = None) -> str:
    """Canonical key of a phone number: ``phone:`` and its E.164 form.

    See :func:`e164` for the parameters.
    """
    return "phone:" + e164(text, default_region)


def email_key(text: str) -> str:
    """Canonical key of an e-mail address: ``email:local@domain``, case-folded, IDNA domain.

    The local part is case-folded too: mail providers treat it case-insensitively
    in practice, and a missed link costs more to an analyst than a rare false one.
    Provider-specific rules (dots or ``+tags`` at one provider) are not applied.

    Raises
    ------
    NotNormalisable
        When ``text`` has no single ``@`` with text on both sides.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or "@" in local or any(c.isspace() for c in text):
        raise NotNormalisable(f"not an e-mail address: {text!r}")
    domain = canonical_host(domain)
    if "." not in domain:
        raise NotNormalisable(f"e-mail domain without a dot: {text!r}")
    return f"email:{local.casefold()}@{domain}"
