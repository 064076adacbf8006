"""Hash banks through the services: who may read and change a bank, adding (all or nothing,
the bad line named), hashing images, matching within the distance across readable banks only,
links to referral cases shown only to their parties, removals, and incremental download."""

from __future__ import annotations

import io

import numpy as np
import pdqhash
import pytest
from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditRecord, HashEntry
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.hashbanks import banks, matching
from portal.services.hashbanks.banks import EntryDraft
from portal.services.hashbanks.hashing import hash_image
from tests.portal.hashbanks.conftest import picture
from tests.portal.service_checks import actor_of, unchanged

PDQ_A = "f" * 16 + "0" * 48


def near(value: str, bits: int) -> str:
    """``value`` with its first ``bits`` bits flipped."""
    number = int(value, 16) ^ (((1 << bits) - 1) << (256 - bits))
    return f"{number:064x}"


def add(bw, who, bank, *drafts):
    reader = bw.reader(who)
    return banks.add_entries(reader, actor_of(reader), bank, list(drafts))


def test_a_bank_is_read_by_its_owner_and_readers_and_is_404_to_everyone_else(app, bw):
    with app.app_context():
        assert [b.name for b in banks.list_banks(bw.reader("x"))] == ["DE images", "X own"]
        assert [b.name for b in banks.list_banks(bw.reader("fr"))] == ["DE images"]
        assert [b.name for b in banks.list_banks(bw.reader("y"))] == ["Y own"]
        for who, bank in (("y", bw.de_bank), ("it", bw.de_bank), ("fr", bw.x_bank)):
            with pytest.raises(NotFound):
                banks.bank_summary(bw.reader(who), bank)
            with pytest.raises(NotFound):
                banks.changes(bw.reader(who), bank, None)
        for bad in ("nope", "0", "99999", -1, "1" * 12):
            with pytest.raises(NotFound):
                banks.bank_summary(bw.reader("de"), bad)
        with pytest.raises(Forbidden):  # an org admin of a platform does not work with banks
            banks.list_banks(bw.reader("x.admin"))
        # Only the owner's liaison officers change it; readers and analysts do not.
        for who in ("x", "fr", "de.analyst"):
            with pytest.raises(Forbidden), unchanged():
                add(bw, who, bw.de_bank, EntryDraft("pdq", PDQ_A))
        assert banks.bank_summary(bw.reader("de"), bw.de_bank).writable
        assert banks.bank_summary(bw.reader("de"), bw.de_bank).readers == [
            "FR-MININT",
            "PLATFORM-X",
        ]
        assert banks.bank_summary(bw.reader("x"), bw.de_bank).readers == []


def test_adding_is_all_or_nothing_and_names_the_bad_line(app, bw):
    with app.app_context():
        for drafts, field in (
            ([EntryDraft("pdq", PDQ_A), EntryDraft("pdq", "abc")], "hashes (line 2)"),
            ([EntryDraft("md5", "0" * 64)], "hashes (line 1)"),
            ([EntryDraft("sha256", "z" * 64)], "hashes (line 1)"),
            ([EntryDraft("tlsh", "0" * 64)], "kind"),
            ([EntryDraft("pdq", PDQ_A, quality=101)], "quality"),
            ([EntryDraft("pdq", PDQ_A, case_id="f" * 32)], "case"),
            ([], "hashes"),
        ):
            with pytest.raises(InvalidInput) as refused, unchanged():
                add(bw, "de", bw.de_bank, *drafts)
            assert refused.value.field == field
        # PLATFORM-Y may not link DE's referral to PLATFORM-X: neither item nor case is its.
        for draft, field in (
            (EntryDraft("pdq", PDQ_A, item_id=bw.item_id), "item"),
            (EntryDraft("pdq", PDQ_A, case_id=bw.case_id), "case"),
        ):
            with pytest.raises(InvalidInput) as refused, unchanged():
                add(bw, "y", bw.y_bank, draft)
            assert refused.value.field == field
        ids = add(
            bw,
            "de",
            bw.de_bank,
            EntryDraft("pdq", PDQ_A.upper(), quality=90, label="video still", item_id=bw.item_id),
            EntryDraft("sha256", "a" * 64),
            EntryDraft("pdq", near(PDQ_A, 3), quality=20),
        )
        rows = db.session.scalars(select(HashEntry).where(HashEntry.id.in_(ids))).all()
        assert [(r.value, r.case_id, r.change_seq, r.low_quality) for r in rows] == [
            (PDQ_A, bw.case_id, 1, False),
            ("a" * 64, None, 2, False),
            (near(PDQ_A, 3), None, 3, True),
        ]
        record = db.session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
        assert record.event == "hash_bank.entries_added"
        assert record.details == {"bank": bw.de_bank, "entries": 3, "kinds": ["pdq", "sha256"]}


def test_matching_finds_entries_within_the_distance_in_readable_banks_only(app, bw):
    with app.app_context():
        add(bw, "de", bw.de_bank, EntryDraft("pdq", PDQ_A, label="a", item_id=bw.item_id))
        add(bw, "de", bw.de_bank, EntryDraft("pdq", near(PDQ_A, 31), label="far"))
        add(bw, "de", bw.de_bank, EntryDraft("pdq", near(PDQ_A, 32), label="too far"))
        add(bw, "y", bw.y_bank, EntryDraft("pdq", PDQ_A, label="Y's"))
        add(bw, "x", bw.x_bank, EntryDraft("pdq", near(PDQ_A, 2), label="X's"))

        def found(who, query=PDQ_A):
            (result,) = matching.match(bw.reader(who), pdq=[query])
            return [(m.entry.label, m.distance, m.entry.case_id) for m in result.matches]

        # The platform sees the case (addressed to it), as does the referrer; FR does not.
        assert found("x") == [("a", 0, bw.case_id), ("X's", 2, None), ("far", 31, None)]
        assert found("de") == [("a", 0, bw.case_id), ("far", 31, None)]
        assert found("fr") == [("a", 0, None), ("far", 31, None)]
        assert found("y") == [("Y's", 0, None)]
        assert found("de.analyst") == found("de")
        # Kept up to date incrementally: a removal and an addition since the index was built.
        far = db.session.scalar(select(HashEntry.id).where(HashEntry.label == "far"))
        reader = bw.reader("de")
        banks.remove_entry(reader, actor_of(reader), bw.de_bank, far)
        banks.remove_entry(reader, actor_of(reader), bw.de_bank, far)  # again: a no-op
        add(bw, "de", bw.de_bank, EntryDraft("pdq", near(PDQ_A, 10), label="new"))
        assert found("de") == [("a", 0, bw.case_id), ("new", 10, None)]
        app.config["HASH_MATCH_DISTANCE"] = 5
        assert found("de") == [("a", 0, bw.case_id)]
        for bad in ("abc", "g" * 64, PDQ_A + "0"):
            with pytest.raises(InvalidInput) as refused:
                matching.match(bw.reader("de"), pdq=[bad])
            assert refused.value.field == "pdq"


def test_exact_md5_and_sha256_lookups(app, bw):
    with app.app_context():
        add(bw, "de", bw.de_bank, EntryDraft("md5", "b" * 32), EntryDraft("sha256", "c" * 64))
        add(bw, "y", bw.y_bank, EntryDraft("md5", "b" * 32))
        results = matching.match(bw.reader("x"), md5=["B" * 32], sha256=["c" * 64, "d" * 64])
        assert [(r.kind, [m.entry.bank_id for m in r.matches]) for r in results] == [
            ("md5", [bw.de_bank]),
            ("sha256", [bw.de_bank]),
            ("sha256", []),
        ]
        with pytest.raises(InvalidInput) as refused:
            matching.match(bw.reader("x"), md5=["b" * 31])
        assert refused.value.field == "md5"


def test_an_image_is_hashed_with_metas_pdq_and_its_recompressed_copy_matches(app, bw):
    with app.app_context():
        png = picture(seed=5)
        hashed = hash_image(png)
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        vector, quality = pdqhash.compute(pixels)
        assert hashed.pdq == np.packbits(vector.astype(np.uint8)).tobytes().hex()
        assert hashed.quality == quality and not hashed.low_quality
        add(bw, "de", bw.de_bank, EntryDraft("pdq", hashed.pdq, hashed.quality, "planted"))
        jpeg = picture(seed=5, size=200, fmt="JPEG", quality=60)
        (pdq_result, md5_result, sha_result) = matching.match_image(bw.reader("x"), jpeg)
        assert [m.entry.label for m in pdq_result.matches] == ["planted"]
        assert 0 < pdq_result.matches[0].distance <= 31
        assert md5_result.matches == [] and sha_result.matches == []
        flat = io.BytesIO()
        Image.new("RGB", (64, 64), (128, 128, 128)).save(flat, "PNG")
        assert hash_image(flat.getvalue()).low_quality


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.7 not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"x" * (10 * 2**20 + 1)],
)
def test_what_is_not_an_image_is_refused_naming_the_field(app, bw, data):
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        matching.match_image(bw.reader("x"), data)
    assert refused.value.field == "image"


def test_too_many_pixels_is_refused(app, bw):
    with app.app_context():
        app.config["HASH_IMAGE_MAX_PIXELS"] = 100 * 100
        with pytest.raises(InvalidInput) as refused:
            hash_image(picture(size=101))
        assert refused.value.field == "image" and "pixels" in refused.value.message


def test_incremental_download_pages_additions_and_removals(app, bw):
    with app.app_context():
        ids = add(bw, "de", bw.de_bank, *(EntryDraft("md5", f"{k:032x}") for k in range(5)))
        reader = bw.reader("x")
        first = banks.changes(reader, bw.de_bank, None, limit=2)
        assert [c.entry.id for c in first.changes] == ids[:2] and first.more
        second = banks.changes(reader, bw.de_bank, first.next_cursor, limit=2)
        third = banks.changes(reader, bw.de_bank, second.next_cursor, limit=2)
        assert [c.entry.id for c in second.changes + third.changes] == ids[2:]
        assert not third.more
        assert {c.change for c in first.changes + second.changes + third.changes} == {"added"}
        empty = banks.changes(reader, bw.de_bank, third.next_cursor)
        assert empty.changes == [] and empty.next_cursor == third.next_cursor
        de = bw.reader("de")
        banks.remove_entry(de, actor_of(de), bw.de_bank, ids[1])
        (added,) = add(bw, "de", bw.de_bank, EntryDraft("md5", "e" * 32))
        assert banks.bank_summary(de, bw.de_bank).entries == 5  # 5 added, 1 removed, 1 added
        later = banks.changes(reader, bw.de_bank, third.next_cursor)
        assert [(c.entry.id, c.change) for c in later.changes] == [
            (ids[1], "removed"),
            (added, "added"),
        ]
        # From the start, a removed entry shows once, as removed.
        everything = banks.changes(reader, bw.de_bank, None)
        assert len(everything.changes) == 6
        assert [c.change for c in everything.changes].count("removed") == 1
        for cursor in ("garbage!", banks.cursor_for(bw.x_bank, 1), "aGIxOjE6eA"):
            with pytest.raises(InvalidInput) as refused:
                banks.changes(reader, bw.de_bank, cursor)
            assert refused.value.field == "since"
        with pytest.raises(InvalidInput) as refused:
            banks.changes(reader, bw.de_bank, None, limit=0)
        assert refused.value.field == "limit"


def test_csv_export_is_audited_and_neutralises_formulas(app, bw):
    with app.app_context():
        add(bw, "de", bw.de_bank, EntryDraft("md5", "f" * 32, label="=HYPERLINK(1)"))
        name, text = banks.export_csv(bw.reader("x"), actor_of(bw.reader("x")), bw.de_bank)
        assert name == "DE images"
        lines = text.splitlines()
        assert lines[0].startswith("id,kind,value") and "'=HYPERLINK(1)" in lines[1]
        record = db.session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
        assert record.event == "hash_bank.exported"
