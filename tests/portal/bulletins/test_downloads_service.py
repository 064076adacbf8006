"""The attachment download service called directly: the verified plaintext and its audit
record; NotFound (nothing written) for what the reader cannot see or what no longer exists;
AttachmentTampered, audited as a failure, with no byte of plaintext, for anything altered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import Attachment, AttachmentChunk, utcnow
from portal.services.bulletins import downloads, reading
from portal.services.bulletins.downloads import AttachmentTampered, ChunkReader, Download
from portal.services.errors import Conflict, NotFound
from tests.portal.bulletins.conftest import PNG
from tests.portal.bulletins.sessions import retract
from tests.portal.service_checks import actor_of, flip_content, only_record, records, unchanged

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"


def download(desk, who, bulletin_id, index, **kwargs):
    reader = desk.reader(who)
    return downloads.download(reader, actor_of(reader), bulletin_id, index, **kwargs)


def test_a_recipient_gets_the_sealed_bytes_and_the_download_is_audited(app, desk):
    bulletin_id = desk.post(uploads=[("photo.png", PNG), ("Rapport 2025.pdf", PDF)])
    with app.app_context():
        assert download(desk, "fr.analyst", bulletin_id, 0) == Download(
            "photo.png", "image/png", PNG
        )
        assert download(desk, "it.officer", bulletin_id, 1) == Download(
            "Rapport 2025.pdf", "application/pdf", PDF
        )
        first, second = records("attachment.downloaded")
        assert first.actor_user_id == desk.users["fr.analyst"]
        assert second.actor_user_id == desk.users["it.officer"]
        for record, index in ((first, 0), (second, 1)):
            assert record.outcome == "success"
            assert record.subject_org_id == desk.reader("it.officer").org_id
            assert record.details == {
                "bulletin": bulletin_id,
                "attachment": index,
                "result": "success",
            }


def test_no_such_attachment_and_no_such_bulletin_are_not_found(app, desk):
    bulletin_id = desk.post(uploads=[("photo.png", PNG)])
    with app.app_context():
        for who, bulletin, index in [
            ("fr.analyst", bulletin_id, 1),
            ("fr.analyst", bulletin_id, -1),
            ("fr.analyst", bulletin_id, 10**6),
            ("uk.analyst", bulletin_id, 0),  # not a recipient
            ("platform", bulletin_id, 0),
            ("fr.analyst", "0" * 32, 0),
            ("fr.analyst", bulletin_id[:-1], 0),
        ]:
            with unchanged(), pytest.raises(NotFound):
                download(desk, who, bulletin, index)


def test_ended_bulletins_have_no_attachments_left(app, desk):
    kept = desk.post(uploads=[("photo.png", PNG)])
    later = utcnow() + timedelta(days=731)  # past the default two-year retention
    with app.app_context(), unchanged(), pytest.raises(NotFound, match="expired"):
        download(desk, "fr.analyst", kept, 0, now=later)
    retracted = desk.post(uploads=[("photo.png", PNG)])
    retract(desk, retracted)
    with app.app_context(), unchanged(), pytest.raises(NotFound, match="retracted"):
        download(desk, "fr.analyst", retracted, 0)


def _flip_chunk(session):
    chunk = session.scalars(select(AttachmentChunk)).first()
    chunk.data = chunk.data[:20] + bytes([chunk.data[20] ^ 1]) + chunk.data[21:]


def _drop_chunks(session):
    session.execute(delete(AttachmentChunk))


def _drop_attachment_row(session):
    session.execute(delete(AttachmentChunk))
    session.execute(delete(Attachment))


@pytest.mark.parametrize("alter", [_flip_chunk, _drop_chunks, _drop_attachment_row])
def test_an_altered_attachment_is_refused_whole_and_audited(app, desk, alter):
    bulletin_id = desk.post(uploads=[("photo.png", PNG)])
    with app.app_context():
        with db.write() as session:
            alter(session)
        with pytest.raises(AttachmentTampered) as refused:
            download(desk, "fr.analyst", bulletin_id, 0)
        assert isinstance(refused.value, Conflict)
        assert refused.value.message == reading.TAMPERED
        assert refused.value.result.problem == reading.TAMPERED
        assert refused.value.result.content is None
        record = only_record("attachment.downloaded")
        assert record.outcome == "failure"
        assert record.details == {"bulletin": bulletin_id, "attachment": 0, "result": "tampered"}


def test_an_altered_envelope_refuses_every_attachment(app, desk):
    bulletin_id = desk.post(uploads=[("photo.png", PNG)])
    with app.app_context():
        flip_content(bulletin_id)
        with pytest.raises(AttachmentTampered):
            download(desk, "de.analyst", bulletin_id, 0)
        assert only_record("attachment.downloaded").details["result"] == "tampered"


def test_the_chunk_reader_returns_the_stored_rows_in_order_whatever_the_read_size(app, desk):
    desk.post(uploads=[("photo.png", PNG)])
    with app.app_context():
        session = db.session()
        attachment = session.scalars(select(Attachment)).one()
        stored = b"".join(
            session.scalars(
                select(AttachmentChunk.data)
                .where(AttachmentChunk.attachment_id == attachment.id)
                .order_by(AttachmentChunk.seq)
            )
        )
        assert ChunkReader(session, attachment.id).read() == stored
        reader = ChunkReader(session, attachment.id)
        pieces = iter(lambda: reader.read(7), b"")
        assert b"".join(pieces) == stored
        assert ChunkReader(session, attachment.id + 1000).read(10) == b""
