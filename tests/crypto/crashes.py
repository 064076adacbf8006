"""Crash injection for the keystore tests: a fuse that blows on the n-th write."""

from __future__ import annotations

from crypto.envelope_format import Envelope
from crypto.storage import MemoryEnvelopes, MemoryStorage


class Crash(Exception):
    """The simulated power cut."""


class Fuse:
    """Lets ``steps`` mutating calls through, then raises :class:`Crash` on the next one."""

    def __init__(self, steps: int) -> None:
        self.remaining = steps
        self.blown = False

    def tick(self) -> None:
        if self.remaining == 0:
            self.blown = True
            raise Crash
        self.remaining -= 1


class CrashingStorage:
    """A storage whose writes go through a fuse; reads always work."""

    def __init__(self, inner: MemoryStorage, fuse: Fuse) -> None:
        self.inner, self.fuse = inner, fuse

    def get(self, name: str) -> bytes | None:
        return self.inner.get(name)

    def put(self, name: str, blob: bytes) -> None:
        self.fuse.tick()
        self.inner.put(name, blob)

    def delete(self, name: str) -> None:
        self.fuse.tick()
        self.inner.delete(name)

    def names(self, prefix: str = "") -> list[str]:
        return self.inner.names(prefix)


class CrashingEnvelopes:
    """An envelope repository whose replacements go through the same fuse."""

    def __init__(self, inner: MemoryEnvelopes, fuse: Fuse) -> None:
        self.inner, self.fuse = inner, fuse

    def holding_key(self, org: str, key_version: int) -> list[str]:
        return self.inner.holding_key(org, key_version)

    def load(self, envelope_id: str) -> Envelope:
        return self.inner.load(envelope_id)

    def replace(self, envelope: Envelope) -> None:
        self.fuse.tick()
        self.inner.replace(envelope)


def copy_storage(storage: MemoryStorage) -> MemoryStorage:
    clone = MemoryStorage()
    for name in storage.names():
        blob = storage.get(name)
        assert blob is not None
        clone.put(name, blob)
    return clone
