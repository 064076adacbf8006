"""Ischia's cryptography: a pure library over ``cryptography`` (no Flask, no SQLAlchemy).

What the portal calls::

    from crypto import Keystore, seal, open_envelope, grant, shred

    keystore = Keystore(storage, master_key)              # storage: a BlobStorage
    envelope = seal(payload, sender=keystore.private_bundle("FR"),
                    recipients=[directory.latest("DE")], marking="TLP:AMBER", now=now)
    opened = open_envelope(envelope, recipient=keystore.private_bundles("DE"),
                           directory=directory, now=now)

Modules, one concept each: :mod:`~crypto.keys` (bundles, fingerprints, directories),
:mod:`~crypto.envelope_format` (the :class:`Envelope` document), :mod:`~crypto.header` and
:mod:`~crypto.records` (what an envelope holds), :mod:`~crypto.sealing` (seal, open),
:mod:`~crypto.verify` (offline checks), :mod:`~crypto.release` (grant, re-wrap, shred),
:mod:`~crypto.stream` (attachments), :mod:`~crypto.keystore` and :mod:`~crypto.storage` (keys at
rest, rotations), :mod:`~crypto.errors`, :mod:`~crypto.canonical`, :mod:`~crypto.primitives` (the
only module that touches ``cryptography.hazmat``), and the portal's :mod:`~crypto.masterkey`,
:mod:`~crypto.secretbox` and :mod:`~crypto.chain`.
"""

from crypto.envelope_format import Envelope
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
from crypto.keystore import Keystore
from crypto.release import grant, rewrap, shred
from crypto.sealing import Opened, open_envelope, seal
from crypto.storage import BlobStorage, EnvelopeRepository, MemoryEnvelopes, MemoryStorage
from crypto.verify import Verification, verify_envelope

__all__ = [
    "MARKINGS",
    "SUITE_V1",
    "BadSignature",
    "BlobStorage",
    "Directory",
    "Envelope",
    "EnvelopeError",
    "EnvelopeExpired",
    "EnvelopeRepository",
    "Header",
    "Keystore",
    "KeystoreError",
    "MemoryEnvelopes",
    "MemoryStorage",
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
