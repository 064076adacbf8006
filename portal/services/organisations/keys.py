"""Organisations' encryption and signing keys: the keystore kept in the database, sealed under
the master key, and the public directory that verification looks keys up in.

Private bundles are cached per process by (organisation, version): a version's keys never
change, and loading one costs about a millisecond. Which version is current is read from the
database each time, so a rotation made by another process is seen at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crypto import (
    Directory,
    Keystore,
    PrivateBundle,
    PublicBundle,
    UnknownKeyVersion,
    format_fingerprint,
)
from crypto.blindindex import BlindIndex
from crypto.secretbox import derive_key
from portal import vault
from portal.extensions import db
from portal.models import KeyBlob, Organisation

_PRIVATE = "ischia.private_bundles"
_PUBLIC = "ischia.public_bundles"


class DatabaseBlobs:
    """:class:`crypto.BlobStorage` over the ``key_blobs`` table, inside the caller's transaction."""

    def __init__(self, session: Session, prefetched: dict[str, bytes | None] | None = None) -> None:
        self._session = session
        self._prefetched = prefetched or {}

    def get(self, name: str) -> bytes | None:
        if name in self._prefetched:
            return self._prefetched[name]
        return self._session.scalar(select(KeyBlob.blob).where(KeyBlob.name == name))

    def put(self, name: str, blob: bytes) -> None:
        row = self._session.get(KeyBlob, name)
        if row is None:
            self._session.add(KeyBlob(name=name, blob=blob))
        else:
            row.blob = blob
        self._session.flush()

    def delete(self, name: str) -> None:
        self._session.execute(delete(KeyBlob).where(KeyBlob.name == name))

    def names(self, prefix: str = "") -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = select(KeyBlob.name).where(KeyBlob.name.like(escaped + "%", escape="\\"))
        return sorted(self._session.scalars(query))


def _private_cache() -> dict[tuple[str, int], PrivateBundle]:
    return current_app.extensions.setdefault(_PRIVATE, {})  # type: ignore[no-any-return]


def _public_cache() -> dict[tuple[str, int], PublicBundle]:
    return current_app.extensions.setdefault(_PUBLIC, {})  # type: ignore[no-any-return]


def keystore(session: Session | None = None) -> Keystore:
    current, *previous = vault.master_keys()
    return Keystore(DatabaseBlobs(session or db.session()), current, previous_master_keys=previous)


def ensure_keys(session: Session, org_code: str, *, now: datetime) -> PublicBundle:
    """``org_code``'s current public bundle, generating version 1 if it has no keys yet."""
    store = keystore(session)
    try:
        version = store.current_version(org_code)
    except UnknownKeyVersion:
        return store.create_organisation(org_code, now=now)
    return store.public_bundle(org_code, version)


def current_versions(org_codes: Iterable[str]) -> dict[str, int]:
    """The current key version of each organisation that has keys, read in one query."""
    names = {code: f"orgs/{code}/current" for code in set(org_codes)}
    session = db.session()
    query = select(KeyBlob.name, KeyBlob.blob).where(KeyBlob.name.in_(names.values()))
    rows: dict[str, bytes] = {name: blob for name, blob in session.execute(query)}
    prefetched = {name: rows.get(name) for name in names.values()}
    current, *previous = vault.master_keys()
    store = Keystore(DatabaseBlobs(session, prefetched), current, previous_master_keys=previous)
    versions = {}
    for code in names:
        try:
            versions[code] = store.current_version(code)
        except UnknownKeyVersion:
            continue
    return versions


def has_keys(org_code: str) -> bool:
    try:
        keystore().current_version(org_code)
    except UnknownKeyVersion:
        return False
    return True


def private_bundle(org_code: str, version: int | None = None) -> PrivateBundle:
    """The private bundle to seal or sign with (current version unless one is asked for)."""
    store = keystore()
    version = store.current_version(org_code) if version is None else version
    cache = _private_cache()
    bundle = cache.get((org_code, version))
    if bundle is None:
        bundle = cache[org_code, version] = store.private_bundle(org_code, version)
    return bundle


def keyring(org_code: str) -> list[PrivateBundle]:
    """Every private bundle still held for ``org_code``, newest first: what opens its envelopes."""
    versions = sorted(
        {int(name.split("/")[3]) for name in store_names(org_code) if name.endswith("/private")},
        reverse=True,
    )
    return [private_bundle(org_code, version) for version in versions]


def store_names(org_code: str) -> list[str]:
    return DatabaseBlobs(db.session()).names(f"orgs/{org_code}/keys/")


class PortalDirectory:
    """:class:`crypto.PublicKeys` for verification: public halves of the bundles held here."""

    def public_bundle(self, org: str, version: int) -> PublicBundle:
        cache = _public_cache()
        bundle = cache.get((org, version))
        if bundle is None:
            bundle = cache[org, version] = keystore().public_bundle(org, version)
        return bundle

    def latest(self, org: str) -> PublicBundle:
        """The bundle new envelopes are sealed to. Raises UnknownKeyVersion if ``org`` has none."""
        return self.public_bundle(org, keystore().current_version(org))


def directory() -> PortalDirectory:
    return PortalDirectory()


def blind_index() -> BlindIndex:
    return BlindIndex(derive_key(vault.derivation_root(), b"blind-index", 32))


def tag_index() -> BlindIndex:
    """The blind index of taxonomy tags (the inbox's tag filter), apart from identifiers'."""
    return BlindIndex(derive_key(vault.derivation_root(), b"tag-index", 32))


@dataclass(frozen=True)
class KeyCard:
    """What people compare out of band: an organisation's current key version and fingerprint."""

    org_code: str
    org_name: str
    version: int
    fingerprint: str
    created_at: datetime


def key_cards() -> list[KeyCard]:
    """Current public keys of every organisation that has keys, by organisation code."""
    cards = []
    store = keystore()
    for org in db.session().scalars(select(Organisation).order_by(Organisation.code)):
        try:
            version = store.current_version(org.code)
        except UnknownKeyVersion:
            continue
        bundle = PortalDirectory().public_bundle(org.code, version)
        cards.append(
            KeyCard(
                org.code,
                org.name,
                version,
                format_fingerprint(bundle.fingerprint),
                bundle.created_at,
            )
        )
    return cards


def public_directory() -> Directory:
    """Every organisation's public keys, all versions: what offline verifiers are given."""
    bundles = []
    store = keystore()
    for code in db.session().scalars(select(Organisation.code).order_by(Organisation.code)):
        try:
            current = store.current_version(code)
        except UnknownKeyVersion:
            continue
        for version in range(1, current + 1):
            try:
                bundles.append(PortalDirectory().public_bundle(code, version))
            except UnknownKeyVersion:
                continue  # a version retired from the store
    return Directory(bundles)
