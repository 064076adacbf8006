"""Changing who holds the content key of a sealed envelope: grant, re-wrap, shred.

Security property: none of these re-encrypts or re-signs the content. A grant is made only by
the originator, which unwraps its own copy and signs a grant record; a re-wrap is made by the
organisation moving its own copy to its new key version, signed with that new key; shredding
removes wrapped keys, after which nobody whose key was removed can open the envelope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from crypto.envelope_format import Envelope
from crypto.errors import NotTheOriginator
from crypto.keys import PrivateBundle, PublicBundle, PublicKeys
from crypto.records import KeyRecord, WrappedKey
from crypto.sealing import Keyring, keyring_of, unwrap_content_key, wrap_content_key
from crypto.verify import WithOwnKeys

__all__ = ["grant", "rewrap", "shred"]


def grant(
    envelope: Envelope,
    *,
    originator: Keyring,
    recipient: PublicBundle,
    directory: PublicKeys,
    now: datetime,
) -> Envelope:
    """Release ``envelope`` to ``recipient`` without re-encrypting: the originator unwraps its
    own copy, wraps it for the new recipient and signs a grant record with its newest key.

    Raises NotTheOriginator if ``originator`` is not the envelope's sender, EnvelopeExpired past
    the expiry, and whatever :func:`open_envelope` raises for the originator's own copy.
    """
    keyring = keyring_of(originator)
    signer = keyring[max(keyring)]
    if signer.org != envelope.header.sender.org:
        raise NotTheOriginator(
            f"only {envelope.header.sender.org} may release envelope {envelope.id}, "
            f"not {signer.org}"
        )
    if any(
        (w.org, w.key_version) == (recipient.org, recipient.version) for w in envelope.wrapped_keys
    ):
        return envelope
    _, content_key = unwrap_content_key(envelope, keyring, directory, now=now)
    wrapped = wrap_content_key(content_key, envelope.header.suite, envelope.id, recipient)
    record = KeyRecord.create(
        "grant",
        envelope_id=envelope.id,
        header_sha256=envelope.header_sha256,
        recipient=recipient,
        wrapped=wrapped,
        signer=signer,
        now=now,
    )
    return _with_keys(envelope, added=wrapped, record=record)


def rewrap(
    envelope: Envelope,
    *,
    old: PrivateBundle,
    new: PrivateBundle,
    directory: PublicKeys,
    now: datetime,
) -> Envelope:
    """Move an organisation's copy of the content key from its ``old`` to its ``new`` key version.

    The new wrapped key is vouched for by a re-wrap record signed with ``new``; the copy for the
    old version is removed, so once every envelope is re-wrapped the old private key can go.
    """
    if old.org != new.org or old.version == new.version:
        raise ValueError("rewrap moves one organisation's key between two different versions")
    # Expiry is not checked: an expired envelope awaits shredding, and the rotation job must
    # still be able to move its key so that the old private key can be retired.
    _, content_key = unwrap_content_key(
        envelope, {old.version: old}, WithOwnKeys(directory, [new.public]), now=None
    )
    wrapped = wrap_content_key(content_key, envelope.header.suite, envelope.id, new.public)
    record = KeyRecord.create(
        "rewrap",
        envelope_id=envelope.id,
        header_sha256=envelope.header_sha256,
        recipient=new.public,
        wrapped=wrapped,
        signer=new,
        now=now,
    )
    return _with_keys(envelope, added=wrapped, record=record, removed=(old.org, old.version))


def _with_keys(
    envelope: Envelope,
    *,
    added: WrappedKey,
    record: KeyRecord,
    removed: tuple[str, int] | None = None,
) -> Envelope:
    kept = [w for w in envelope.wrapped_keys if (w.org, w.key_version) != removed]
    keys = sorted([*kept, added], key=lambda w: (w.org, w.key_version))
    return replace(envelope, wrapped_keys=tuple(keys), key_records=(*envelope.key_records, record))


def shred(envelope: Envelope, orgs: Iterable[str] | None = None) -> Envelope:
    """Remove every wrapped content key (or those of ``orgs`` only: a revocation).

    The returned envelope still verifies, and opens for nobody whose key was removed. The caller
    must destroy the stored copies of the removed keys; that is what makes shredding real.
    """
    if orgs is None:
        return replace(envelope, wrapped_keys=())
    gone = set(orgs)
    return replace(
        envelope, wrapped_keys=tuple(w for w in envelope.wrapped_keys if w.org not in gone)
    )
