"""Attachment downloads: verified and decrypted bytes equal to the upload, safe headers, an
audit record; 404 for anything not there; the tamper page, never partial plaintext."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
from sqlalchemy import delete, func, select

from portal.extensions import db
from portal.models import Attachment, AttachmentChunk, AuditRecord
from tests.portal.bulletins.conftest import PNG
from tests.portal.bulletins.sessions import Clients, retract

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"
# Larger than one stored ciphertext row (1 MiB) and than one sealed chunk: several of each.
BIG_PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * 1024 * 1024 + 12345)


@pytest.fixture
def clients(app, people, desk):
    return Clients(app, people)


def downloads(app) -> list[AuditRecord]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditRecord)
                .where(AuditRecord.event == "attachment.downloaded")
                .order_by(AuditRecord.seq)
            )
        )


def test_download_returns_the_uploaded_bytes_with_safe_headers(app, desk, clients):
    bulletin_id = desk.post(uploads=[("photo.png", PNG), ("Rapport 2025.pdf", PDF)])
    fr = clients["fr.analyst"]
    page = fr.get(f"/bulletins/{bulletin_id}").text
    assert f'href="/bulletins/{bulletin_id}/attachments/1"' in page and "Rapport 2025.pdf" in page
    for index, (name, data, kind) in enumerate(
        [("photo.png", PNG, "image/png"), ("Rapport 2025.pdf", PDF, "application/pdf")]
    ):
        response = fr.get(f"/bulletins/{bulletin_id}/attachments/{index}")
        assert response.status_code == 200
        assert response.data == data
        assert response.mimetype == kind
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=UTF-8''{quote(name)}" in disposition
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    records = downloads(app)
    assert [r.details["attachment"] for r in records] == [0, 1]
    assert all(r.outcome == "success" and r.details["bulletin"] == bulletin_id for r in records)


def test_a_large_attachment_spans_several_stored_rows(app, desk, clients):
    bulletin_id = desk.post(uploads=[("big.png", BIG_PNG)])
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(AttachmentChunk))
    assert rows >= 3
    response = clients["de.analyst"].get(f"/bulletins/{bulletin_id}/attachments/0")
    assert response.status_code == 200 and response.data == BIG_PNG


def test_a_filename_in_another_script_is_encoded(desk, clients):
    bulletin_id = desk.post(uploads=[("صورة المجند.png", PNG)])
    response = clients["fr.analyst"].get(f"/bulletins/{bulletin_id}/attachments/0")
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" + quote("صورة المجند.png") in disposition
    disposition.encode("latin-1")  # the header itself stays plain ASCII


def test_the_sender_downloads_its_own_attachment(desk, clients):
    bulletin_id = desk.post(uploads=[("photo.png", PNG)])
    assert clients["it.officer"].get(f"/bulletins/{bulletin_id}/attachments/0").data == PNG


@pytest.mark.parametrize("index", [1, 7, 10**6])
def test_an_index_out_of_range_is_not_found(desk, clients, index):
    bulletin_id = desk.post(uploads=[("photo.png", PNG)])
    response = clients["fr.analyst"].get(f"/bulletins/{bulletin_id}/attachments/{index}")
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["uk.analyst", "platform"])
def test_outsiders_get_not_found(app, desk, clients, who):
    bulletin_id = desk.post(title="Attachment title", uploads=[("photo.png", PNG)])
    response = clients[who].get(f"/bulletins/{bulletin_id}/attachments/0")
    assert response.status_code == 404
    assert PNG not in response.data and b"Attachment title" not in response.data
    assert downloads(app) == []


def test_a_retracted_bulletins_attachments_are_gone(desk, clients):
    bulletin_id = desk.post(uploads=[("photo.png", PNG)])
    retract(desk, bulletin_id)
    response = clients["fr.analyst"].get(f"/bulletins/{bulletin_id}/attachments/0")
    assert response.status_code == 404 and PNG not in response.data


def _tamper_chunks(app, bulletin_id: str, change: str) -> None:
    with app.app_context(), db.write() as session:
        attachment = session.scalar(select(Attachment).where(Attachment.bulletin_id == bulletin_id))
        chunks = list(
            session.scalars(
                select(AttachmentChunk)
                .where(AttachmentChunk.attachment_id == attachment.id)
                .order_by(AttachmentChunk.seq)
            )
        )
        if change == "flip":
            data = chunks[-1].data
            chunks[-1].data = data[:-5] + bytes([data[-5] ^ 1]) + data[-4:]
        elif change == "drop-last":
            session.execute(
                delete(AttachmentChunk).where(
                    AttachmentChunk.attachment_id == attachment.id,
                    AttachmentChunk.seq == chunks[-1].seq,
                )
            )
        elif change == "append":
            chunks[-1].data = chunks[-1].data + b"\x00" * 32
        elif change == "swap":
            chunks[0].data, chunks[1].data = chunks[1].data, chunks[0].data


@pytest.mark.parametrize("change", ["flip", "drop-last", "append", "swap"])
def test_tampered_ciphertext_gives_the_tamper_page_and_no_plaintext(app, desk, clients, change):
    bulletin_id = desk.post(title="Tampered file", uploads=[("big.png", BIG_PNG)])
    _tamper_chunks(app, bulletin_id, change)
    response = clients["fr.analyst"].get(f"/bulletins/{bulletin_id}/attachments/0")
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    assert 'role="alert"' in response.text and "failed verification" in response.text
    assert BIG_PNG[8:4096] not in response.data and b"Tampered file" not in response.data
    records = downloads(app)
    assert len(records) == 1 and records[0].outcome == "failure"
    assert records[0].details["result"] == "tampered"
