"""Offline verification of briefing PDFs refuses every forgery, not only edited pages.

The signing service is tested here on its own, with real keys and small real PDFs: a verifier
that trusted the statement's claims without checking its signatures would still catch edited
pages (the digest no longer matches), so each forgery below keeps the digest right and
attacks the signature, the key or the statement instead.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pypdf import PdfWriter

from crypto import Directory
from crypto.canonical import b64decode, b64encode
from crypto.keys import PrivateBundle, format_fingerprint
from crypto.statement import sign_statement
from portal.services.briefings import signing
from portal.services.briefings.signing import (
    DOMAIN,
    NotAKeyDirectory,
    NotVerified,
    key_directory,
    sign_pdf,
    verify_pdf,
)

NOW = datetime(2026, 11, 1, tzinfo=UTC)
CLAIMS = {"copy": "c0ffee", "for": "analyst@fr.example", "org": "FR", "bulletins": 3}


def _pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def fr() -> PrivateBundle:
    return PrivateBundle.generate("FR", now=NOW)


@pytest.fixture(scope="module")
def de() -> PrivateBundle:
    return PrivateBundle.generate("DE", now=NOW)


@pytest.fixture(scope="module")
def keys(fr: PrivateBundle, de: PrivateBundle) -> Directory:
    """What a verifier knows: both organisations' first keys."""
    return Directory([fr.public, de.public])


@pytest.fixture(scope="module")
def pages() -> bytes:
    return _pdf(2)


@pytest.fixture(scope="module")
def signed(pages: bytes, fr: PrivateBundle) -> bytes:
    return sign_pdf(pages, CLAIMS, fr)


def _statement(data: bytes) -> dict[str, Any]:
    text = signing._statement_text(data)
    doc: dict[str, Any] = json.loads(text)
    return doc


def _with(pages: bytes, statement: dict[str, Any] | str) -> bytes:
    """``pages`` carrying ``statement`` exactly as the portal appends one."""
    text = statement if isinstance(statement, str) else json.dumps(statement)
    return signing._with_statement(pages, text)


# What the verification page and the command line tell the user, word for word.
MESSAGES = {
    "does not verify": "The briefing signature does not verify.",
    "does not know": "The briefing is signed with a key this verifier does not know: "
    "use the organisation's current public key directory.",
    "malformed": "The briefing signature is malformed.",
    "carries no Ischia briefing signature": "This PDF carries no Ischia briefing signature.",
    "not a readable PDF": "This file is not a readable PDF.",
    "names no valid length": "The briefing signature names no valid length.",
    "altered": "The pages were altered after the portal signed them.",
    "added to the file": "Something was added to the file after the portal signed it.",
    "larger than any briefing": "This file is larger than any briefing the portal makes.",
}


def _refused(data: bytes, keys: Directory, problem: str) -> None:
    with pytest.raises(NotVerified, match=f"^{re.escape(MESSAGES[problem])}$"):
        verify_pdf(data, keys)


def test_an_unaltered_briefing_verifies_and_says_who_signed_it(signed, pages, fr, keys):
    verdict = verify_pdf(signed, keys)
    assert verdict.org == "FR" and verdict.key_version == 1
    assert verdict.fingerprint == format_fingerprint(fr.public.fingerprint)
    assert verdict.copy_id == "c0ffee"
    assert verdict.claims == {
        **CLAIMS,
        "pdf_sha256": hashlib.sha256(pages).hexdigest(),
        "pdf_length": len(pages),
    }


def test_other_pages_with_a_recomputed_digest_and_the_old_signatures_are_refused(signed, keys):
    other = _pdf(3)
    doc = _statement(signed)
    doc["claims"] |= {"pdf_sha256": hashlib.sha256(other).hexdigest(), "pdf_length": len(other)}
    _refused(_with(other, doc), keys, "does not verify")


def test_a_changed_claim_on_unchanged_pages_is_refused(signed, pages, keys):
    doc = _statement(signed)
    doc["claims"]["for"] = "someone@else.example"
    _refused(_with(pages, doc), keys, "does not verify")


def test_a_key_the_verifier_does_not_know_is_refused(pages, fr, keys):
    second = PrivateBundle.generate("FR", version=2, now=NOW)
    _refused(sign_pdf(pages, CLAIMS, second), keys, "does not know")
    stranger = PrivateBundle.generate("IT", now=NOW)
    _refused(sign_pdf(pages, CLAIMS, stranger), keys, "does not know")
    # Known to a verifier that has the new key: the refusal was about the key only.
    assert verify_pdf(sign_pdf(pages, CLAIMS, second), Directory([second.public])).key_version == 2


@pytest.mark.parametrize("name", ["ed25519", "ml_dsa_65"])
def test_a_signature_of_the_wrong_length_or_bytes_is_refused(signed, pages, keys, name):
    doc = _statement(signed)
    doc["signatures"][name] = doc["signatures"][name][:-8]  # still base64, too short
    _refused(_with(pages, doc), keys, "does not verify")
    doc = _statement(signed)
    raw = bytearray(_b64(doc["signatures"][name]))
    raw[7] ^= 0x40
    doc["signatures"][name] = b64encode(bytes(raw))
    _refused(_with(pages, doc), keys, "does not verify")


@pytest.mark.parametrize("name", ["ed25519", "ml_dsa_65"])
def test_a_signature_that_is_not_base64_is_refused_as_malformed(signed, pages, keys, name):
    doc = _statement(signed)
    doc["signatures"][name] = "not base64 at all!"
    _refused(_with(pages, doc), keys, "malformed")


def test_a_signature_by_another_organisations_key_is_refused(pages, fr, de, keys):
    by_de = _statement(sign_pdf(pages, CLAIMS, de))
    # Claimed as FR's, naming FR's key: only the signatures can tell.
    as_fr = by_de | {"org": "FR", "fingerprint": b64encode(fr.public.fingerprint)}
    _refused(_with(pages, as_fr), keys, "does not verify")
    # Claimed as FR's but still naming DE's key fingerprint.
    _refused(_with(pages, by_de | {"org": "FR"}), keys, "does not verify")
    # Signed by DE and saying so: valid, and the verdict names DE, never FR.
    assert verify_pdf(_with(pages, by_de), keys).org == "DE"


def test_a_statement_for_another_purpose_is_refused(pages, fr, keys):
    claims = {**CLAIMS, "pdf_sha256": hashlib.sha256(pages).hexdigest(), "pdf_length": len(pages)}
    other = sign_statement("ischia/other/v1", claims, fr)
    _refused(_with(pages, other.to_json()), keys, "does not verify")
    relabelled = json.loads(other.to_json()) | {"domain": DOMAIN}
    _refused(_with(pages, relabelled), keys, "does not verify")


@pytest.mark.parametrize("cut", [1, 40, 0.5])
def test_a_truncated_statement_is_refused_as_malformed(signed, pages, keys, cut):
    text = signing._statement_text(signed)
    keep = len(text) - cut if isinstance(cut, int) else int(len(text) * cut)
    _refused(_with(pages, text[:keep]), keys, "malformed")


def test_a_truncated_file_is_refused(signed, keys):
    for keep in (len(signed) - 1, len(signed) // 2, 10):
        with pytest.raises(NotVerified):
            verify_pdf(signed[:keep], keys)


def test_a_pdf_with_no_statement_or_an_empty_one_is_refused(pages, keys):
    _refused(pages, keys, "carries no Ischia briefing signature")
    _refused(_with(pages, ""), keys, "carries no Ischia briefing signature")
    _refused(b"%PDF-1.7 not really", keys, "not a readable PDF")


@pytest.mark.parametrize("length", [None, "12", 0, -1, 10**9])
def test_a_signed_statement_naming_no_valid_length_is_refused(pages, fr, keys, length):
    # Validly signed, so only the length check can refuse it.
    claims: dict[str, Any] = {**CLAIMS, "pdf_sha256": hashlib.sha256(pages).hexdigest()}
    if length is not None:
        claims["pdf_length"] = length
    data = _with(pages, sign_statement(DOMAIN, claims, fr).to_json())
    _refused(data, keys, "names no valid length")


def test_a_signed_digest_of_other_bytes_is_refused(pages, fr, keys):
    claims = {**CLAIMS, "pdf_sha256": hashlib.sha256(pages).hexdigest(), "pdf_length": 1}
    _refused(_with(pages, sign_statement(DOMAIN, claims, fr).to_json()), keys, "altered")
    claims = {**CLAIMS, "pdf_sha256": hashlib.sha256(b"other").hexdigest(), "pdf_length": 100}
    _refused(_with(pages, sign_statement(DOMAIN, claims, fr).to_json()), keys, "altered")
    claims["pdf_length"] = len(pages)
    _refused(_with(pages, sign_statement(DOMAIN, claims, fr).to_json()), keys, "altered")


def test_anything_appended_after_signing_is_refused(signed, keys):
    _refused(signed + b"\n", keys, "added to the file")
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_metadata({"/Title": "Edited"})
    out = io.BytesIO()
    writer.write(out)
    _refused(out.getvalue(), keys, "added to the file")


def test_a_valid_signature_over_bytes_that_are_no_pdf_is_refused(fr, keys):
    garbage = b"%PDF-1.7\n" + b"x" * 300
    claims = {
        **CLAIMS,
        "pdf_sha256": hashlib.sha256(garbage).hexdigest(),
        "pdf_length": len(garbage),
    }
    statement = sign_statement(DOMAIN, claims, fr).to_json()
    # A real PDF carrying the statement, with its first bytes replaced by the garbage.
    carrier = _with(_pdf(1), statement)
    forged = garbage + carrier[len(garbage) :]
    _refused(forged, keys, "not a readable PDF")


def test_a_file_larger_than_any_briefing_is_refused_before_parsing(signed, keys, monkeypatch):
    monkeypatch.setattr(signing, "MAX_FILE", len(signed))
    assert verify_pdf(signed, keys).org == "FR"  # the limit itself is allowed
    monkeypatch.setattr(signing, "MAX_FILE", len(signed) - 1)
    _refused(signed, keys, "larger than any briefing")


def test_a_key_directory_is_read_and_anything_else_is_refused(fr, de, signed):
    directory = key_directory(Directory([fr.public, de.public]).to_json().encode())
    assert verify_pdf(signed, directory).org == "FR"
    for bad in (b"", b"{}", b"[1]", fr.public.to_json().encode()):
        with pytest.raises(NotAKeyDirectory, match=r"directory|JSON"):
            key_directory(bad)


def test_a_pdf_without_any_metadata_is_refused(keys):
    """A PDF with no document information dictionary at all (the portal always writes one)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    _refused(bytes(out), keys, "carries no Ischia briefing signature")


def _b64(text: str) -> bytes:
    return b64decode(text, "signature")
