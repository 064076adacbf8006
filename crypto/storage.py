"""Where the keystore and the re-wrap job keep things: two small interfaces and in-memory versions.

The portal backs :class:`BlobStorage` with a database table of sealed blobs and
:class:`EnvelopeRepository` with its envelope and wrapped-key tables; the in-memory classes here
serve tests and single-process tools. Each ``put``, ``delete`` and ``replace`` must be atomic on
its own (a row upsert or delete in its own transaction is enough): the rotations in
:mod:`crypto.keystore` are written so that a crash between any two of these calls loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from crypto.envelope_format import Envelope

__all__ = ["BlobStorage", "EnvelopeRepository", "MemoryEnvelopes", "MemoryStorage"]


class BlobStorage(Protocol):
    """Named opaque blobs (already sealed by the keystore)."""

    def get(self, name: str) -> bytes | None: ...

    def put(self, name: str, blob: bytes) -> None: ...

    def delete(self, name: str) -> None:
        """Remove ``name``; removing a name that is absent is not an error."""

    def names(self, prefix: str = "") -> list[str]:
        """Every stored name that starts with ``prefix``, sorted."""


class EnvelopeRepository(Protocol):
    """The envelopes whose wrapped keys an organisation-key rotation must move."""

    def holding_key(self, org: str, key_version: int) -> list[str]:
        """Ids of the envelopes still holding a content key wrapped for ``org`` v``key_version``."""

    def load(self, envelope_id: str) -> Envelope: ...

    def replace(self, envelope: Envelope) -> None:
        """Store ``envelope`` in place of the one with the same id, atomically."""


class MemoryStorage:
    """A dict of blobs."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def get(self, name: str) -> bytes | None:
        return self._blobs.get(name)

    def put(self, name: str, blob: bytes) -> None:
        self._blobs[name] = bytes(blob)

    def delete(self, name: str) -> None:
        self._blobs.pop(name, None)

    def names(self, prefix: str = "") -> list[str]:
        return sorted(name for name in self._blobs if name.startswith(prefix))


class MemoryEnvelopes:
    """A dict of envelopes by id."""

    def __init__(self, envelopes: Iterable[Envelope] = ()) -> None:
        self._envelopes = {envelope.id: envelope for envelope in envelopes}

    def add(self, envelope: Envelope) -> None:
        self._envelopes[envelope.id] = envelope

    def holding_key(self, org: str, key_version: int) -> list[str]:
        return sorted(
            envelope_id
            for envelope_id, envelope in self._envelopes.items()
            if any((w.org, w.key_version) == (org, key_version) for w in envelope.wrapped_keys)
        )

    def load(self, envelope_id: str) -> Envelope:
        return self._envelopes[envelope_id]

    def replace(self, envelope: Envelope) -> None:
        if envelope.id not in self._envelopes:
            raise KeyError(envelope.id)
        self._envelopes[envelope.id] = envelope

    def __iter__(self) -> Iterator[Envelope]:
        return iter(list(self._envelopes.values()))

    def __len__(self) -> int:
        return len(self._envelopes)
