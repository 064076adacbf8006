"""Short free text that may name an entity, sealed at rest under the derivation root.

What a person types beside an action (an access request's reason, a same-person decision's
note, a retraction's reason) can name an account, a telephone number or a person, so it is
never stored in clear: each kind has its own AES-256-GCM key derived from the derivation root
(``vault.derivation_root()``, unchanged by a master-key rotation), and each value is bound as
associated data to the row it belongs to (the organisations and the bulletin or the decision),
so a sealed value copied to another row, kind or organisation does not open. Who may read it
is the portal's rule for the row (the asking and the answering organisation, the deciding
organisation, every recipient of the bulletin); the key only keeps a copy of the database
without the master key from reading it.

``migrations/versions/0017_sealed_reasons.py`` writes the same purposes and contexts out, so
that the migration keeps doing what it did when this module changes.
"""

from __future__ import annotations

from crypto.secretbox import SecretBox
from portal import vault

ACCESS_REQUEST_REASON = b"access-request-reasons"
PERSON_DECISION_NOTE = b"person-decision-notes"
RETRACTION_REASON = b"retraction-reasons"


def access_request_context(bulletin_id: str, requester_org_id: int) -> bytes:
    """An access request's reason belongs to the bulletin (so its originator) and the asker."""
    return b"access-request:bulletin:%s:org:%d" % (bulletin_id.encode(), requester_org_id)


def person_decision_context(org_id: int, first: str, second: str) -> bytes:
    """A decision's note belongs to the organisation and the pair of mentions decided on."""
    return b"person-decision:org:%d:%s\n%s" % (org_id, first.encode(), second.encode())


def retraction_context(bulletin_id: str) -> bytes:
    """A retraction's reason belongs to the version's tombstone (the ids are unique)."""
    return b"retraction:bulletin:%s" % bulletin_id.encode()


def seal(purpose: bytes, context: bytes, text: str | None) -> bytes | None:
    """The sealed text, or None for no text (nothing was written, nothing is stored)."""
    if not text:
        return None
    return SecretBox(vault.derivation_root(), purpose).seal(text.encode(), context)


def open_text(purpose: bytes, context: bytes, sealed: bytes | None) -> str | None:
    """The text sealed under ``purpose`` and ``context``; SecretBoxError if it was altered,
    moved to another row, or sealed for another purpose."""
    if sealed is None:
        return None
    return SecretBox(vault.derivation_root(), purpose).open(sealed, context).decode()
