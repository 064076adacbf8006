"""Ischia's cryptography: a pure library over ``cryptography`` (no Flask, no SQLAlchemy).

What the portal calls::

    from crypto import seal, open_envelope, grant, shred

    envelope = seal(payload, sender=fr_private_bundle,
                    recipients=[directory.latest("DE")], marking="TLP:AMBER", now=now)
    opened = open_envelope(envelope, recipient=de_private_bundle, directory=directory, now=now)

Modules, one concept each: :mod:`~crypto.keys` (bundles, fingerprints, directories),
:mod:`~crypto.header`, :mod:`~crypto.document` and :mod:`~crypto.records` (what an envelope
holds), :mod:`~crypto.envelope` (seal, open), :mod:`~crypto.verify` (offline checks),
:mod:`~crypto.release` (grant, re-wrap, shred), :mod:`~crypto.stream` (attachments),
:mod:`~crypto.errors`, :mod:`~crypto.canonical`, :mod:`~crypto.primitives` (the only new code
that touches ``cryptography.hazmat``), and the portal's :mod:`~crypto.masterkey`,
:mod:`~crypto.secretbox` and :mod:`~crypto.chain`.
"""

from crypto.document import Envelope
from crypto.envelope import Opened, open_envelope, seal
from crypto.errors import (
    BadSignature,
    EnvelopeError,
    EnvelopeExpired,
    KeystoreError,
    NotARecipient,
    NotTheOriginator,
    Shredded,
    TamperedEnvelope,
    UnknownKeyVersion,
    UnsupportedSuite,
)
from crypto.header import MARKINGS, SUITE_V1, Header
from crypto.keys import Directory, PrivateBundle, PublicBundle, PublicKeys, format_fingerprint
from crypto.release import grant, rewrap, shred
from crypto.verify import Verification, verify_envelope

__all__ = [
    "MARKINGS",
    "SUITE_V1",
    "BadSignature",
    "Directory",
    "Envelope",
    "EnvelopeError",
    "EnvelopeExpired",
    "Header",
    "KeystoreError",
    "NotARecipient",
    "NotTheOriginator",
    "Opened",
    "PrivateBundle",
    "PublicBundle",
    "PublicKeys",
    "Shredded",
    "TamperedEnvelope",
    "UnknownKeyVersion",
    "UnsupportedSuite",
    "Verification",
    "format_fingerprint",
    "grant",
    "open_envelope",
    "rewrap",
    "seal",
    "shred",
    "verify_envelope",
]
