"""Typed failures of the envelope and keystore operations.

Security property: every message says *what* failed (which check, which organisation and key
version, which field) and never carries key material, plaintext or the bytes that failed to
verify, so an error may be logged or shown to a user as it is.
"""

from __future__ import annotations

__all__ = [
    "BadSignature",
    "EnvelopeError",
    "EnvelopeExpired",
    "KeystoreError",
    "NotARecipient",
    "NotTheOriginator",
    "Shredded",
    "TamperedEnvelope",
    "UnknownKeyVersion",
    "UnsupportedSuite",
]


class EnvelopeError(Exception):
    """An envelope could not be sealed, verified, opened, granted or re-wrapped."""


class NotARecipient(EnvelopeError):
    """The organisation holds no wrapped content key in this envelope."""


class Shredded(NotARecipient):
    """Every wrapped content key was destroyed: nobody can open this envelope any more."""


class BadSignature(EnvelopeError):
    """A signature is missing, was made by another key, or does not verify."""


class TamperedEnvelope(EnvelopeError):
    """The envelope, or a key document it relies on, is malformed or was altered."""


class UnknownKeyVersion(EnvelopeError):
    """A key version the envelope names is not in the directory or the key ring at hand."""


class UnsupportedSuite(EnvelopeError):
    """The envelope names a format or cipher suite this library does not implement."""


class EnvelopeExpired(EnvelopeError):
    """The envelope's expiry time has passed."""


class NotTheOriginator(EnvelopeError):
    """Only the organisation that sealed an envelope may release it to another one."""


class KeystoreError(Exception):
    """A sealed key blob is missing, does not open under the master keys at hand, or a rotation
    left the store in a state that needs the caller's attention."""
