"""Signing a finished briefing PDF with the organisation's key, and verifying one offline.

The rendered PDF's SHA-256 and length, the copy id, who it was made for and the content digest
printed in its appendix are signed as a :class:`~crypto.statement.SignedStatement`. The
statement travels inside the file as one metadata entry, appended as a PDF incremental update,
so the pages stay byte for byte what was signed. Verification recomputes the digest of those
bytes, checks both signatures against the organisation's public key, and checks that nothing
but that one entry was appended: any edit, even a valid incremental update, fails.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from crypto import BadSignature, Directory, TamperedEnvelope, UnknownKeyVersion
from crypto.keys import PrivateBundle, PublicKeys, format_fingerprint
from crypto.statement import SignedStatement, sign_statement, verify_statement
from portal.services.organisations import keys as org_keys

DOMAIN = "ischia/briefing/v1"
METADATA_KEY = "/IschiaBriefing"
MAX_FILE = 200 * 1024 * 1024


class NotVerified(Exception):
    """The file is not an unaltered briefing signed by a key the verifier knows."""


class NotAKeyDirectory(ValueError):
    """Keys given for an offline check that are not a public key directory."""


@dataclass(frozen=True)
class Verdict:
    """What a valid signature establishes about a briefing file."""

    claims: dict[str, Any]
    org: str
    key_version: int
    fingerprint: str

    @property
    def copy_id(self) -> str:
        return str(self.claims["copy"])


def _with_statement(pdf: bytes, statement_json: str) -> bytes:
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_metadata({METADATA_KEY: statement_json})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sign_pdf(pdf: bytes, claims: dict[str, Any], signer: PrivateBundle) -> bytes:
    """``pdf`` with a signed statement of ``claims`` plus the PDF's own digest and length."""
    full = {**claims, "pdf_sha256": hashlib.sha256(pdf).hexdigest(), "pdf_length": len(pdf)}
    statement = sign_statement(DOMAIN, full, signer)
    return _with_statement(pdf, statement.to_json())


def _statement_text(data: bytes) -> str:
    try:
        metadata = PdfReader(io.BytesIO(data)).metadata
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as error:
        raise NotVerified(gettext("This file is not a readable PDF.")) from error
    text = metadata.get(METADATA_KEY) if metadata is not None else None
    if not isinstance(text, str) or not text:
        raise NotVerified(gettext("This PDF carries no Ischia briefing signature."))
    return text


def verify_pdf(data: bytes, keys: PublicKeys) -> Verdict:
    """The signed claims of an unaltered briefing; :class:`NotVerified` says what failed."""
    if len(data) > MAX_FILE:
        raise NotVerified(gettext("This file is larger than any briefing the portal makes."))
    text = _statement_text(data)
    try:
        statement = SignedStatement.from_json(text)
        claims = verify_statement(statement, DOMAIN, keys)
    except TamperedEnvelope as error:
        raise NotVerified(gettext("The briefing signature is malformed.")) from error
    except UnknownKeyVersion as error:
        raise NotVerified(
            gettext(
                "The briefing is signed with a key this verifier does not know: "
                "use the organisation's current public key directory."
            )
        ) from error
    except BadSignature as error:
        raise NotVerified(gettext("The briefing signature does not verify.")) from error
    length = claims.get("pdf_length")
    if not isinstance(length, int) or not 0 < length < len(data):
        raise NotVerified(gettext("The briefing signature names no valid length."))
    signed_part = data[:length]
    if hashlib.sha256(signed_part).hexdigest() != claims.get("pdf_sha256"):
        raise NotVerified(gettext("The pages were altered after the portal signed them."))
    try:
        expected = _with_statement(signed_part, text)
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as error:
        raise NotVerified(gettext("The signed part of the file is not a readable PDF.")) from error
    if expected != data:
        raise NotVerified(gettext("Something was added to the file after the portal signed it."))
    return Verdict(
        claims=dict(claims),
        org=statement.org,
        key_version=statement.key_version,
        fingerprint=format_fingerprint(statement.fingerprint),
    )


def signing_key(org_code: str) -> tuple[int, str]:
    """Version and fingerprint of the key that will sign ``org_code``'s briefings."""
    bundle = org_keys.private_bundle(org_code)
    return bundle.version, bundle.public.fingerprint_text


def sign_for(org_code: str, pdf: bytes, claims: dict[str, Any]) -> bytes:
    """Sign with the organisation's current signing key."""
    return sign_pdf(pdf, claims, org_keys.private_bundle(org_code))


def key_directory(data: bytes) -> PublicKeys:
    """A public key directory as the portal publishes it (/bulletins/keys.json), for checks
    with no database and no secret; :class:`NotAKeyDirectory` for anything else."""
    try:
        return Directory.from_json(data)
    except TamperedEnvelope as error:
        raise NotAKeyDirectory(str(error)) from error


def verify_with_portal_keys(data: bytes) -> Verdict:
    """Verify against every organisation's public keys, as this portal knows them."""
    return verify_pdf(data, org_keys.directory())
