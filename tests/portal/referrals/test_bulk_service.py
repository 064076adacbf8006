"""Bulk intake (referral action days), called directly: the per-row report, what is stored,
signed and audited per chunk, duplicates, refusals of the whole upload with nothing stored,
STIX bundles, the report's CSV, progress, and the job queue."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Referral,
    ReferralBulkJob,
    ReferralBulkRow,
    ReferralItem,
    ReferralLedgerEntry,
)
from portal.services import audit
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.referrals import bulk, intake, ledger, referring
from portal.services.referrals.bulk import BulkUpload, Defaults
from portal.services.referrals.vocabulary import ORDER_RULE
from tests.conftest import World as Built
from tests.conftest import Worlds
from tests.portal.conftest import People
from tests.portal.referrals.conftest import NOW, World, item
from tests.portal.service_checks import actor_of, records, unchanged

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
HEADER = "url,category,content_type,account,language,attributed_group,reason,hashes\n"
SHA = "b" * 64


@pytest.fixture(scope="session")
def parties_world(worlds: Worlds) -> Built[dict[str, int]]:
    """The referral parties (ministries, platforms, liaison officers), built once per backend."""
    return worlds.build("referral-parties", lambda app: World(app, People(app)).setup().users)


@pytest.fixture
def parties(app, parties_world) -> World:
    parties_world.load(app)
    return World(app, People(app), dict(parties_world.value))


def upload(data: str | bytes, **kw) -> BulkUpload:
    kw.setdefault("platform", "PLATFORM-X")
    kw.setdefault("kind", "referral")
    raw = data.encode() if isinstance(data, str) else data
    return BulkUpload(data=raw, **kw)


def submit_and_run(parties: World, who: str, up: BulkUpload) -> bulk.Report:
    reader = parties.reader(who)
    submitted = bulk.submit(reader, actor_of(reader), up, now=NOW)
    assert not submitted.queued
    job = bulk.run(submitted.job.id, now=NOW)
    assert job.state == "done"
    return bulk.report(reader, job.id)


def test_a_csv_is_stored_row_by_row_with_a_report(app, parties):
    data = HEADER + (
        "https://video.example/a,recruitment,video,@recruiter,ar,Example Front,Call to travel,"
        f"{SHA}\n"
        'https://video.example/b,propaganda,image,,,,=HYPERLINK("x"),\n'
        "https://video.example/c,not-a-category,video,,,,Reason,\n"
        "not a url at all,recruitment,video,,,,Reason,\n"
        "\n"
        "https://VIDEO.example/a/,recruitment,video,,,,Same again,\n"
        "https://video.example/d,financing,,,,,,\n"
        "https://video.example/e,financing,video,,english,,Reason,\n"
    )
    with app.app_context():
        report = submit_and_run(parties, "de", upload(data, label="Action day 3 December"))
        got = [(r.row, r.status, r.column) for r in report.rows]
        assert got == [
            (2, "accepted", None),
            (3, "accepted", None),
            (4, "refused", "category"),
            (5, "refused", "url"),
            (7, "duplicate", None),
            (8, "refused", "content_type"),
            (9, "refused", "language"),
        ]
        accepted = {r.row: r for r in report.rows if r.status == "accepted"}
        assert report.rows[4].case_id == accepted[2].case_id
        assert accepted[2].case_id in (report.rows[4].message or "")
        assert "Choose one of" in (report.rows[2].message or "")
        assert "blank" in (report.rows[5].message or "")
        job = report.job
        assert (job.rows_total, job.rows_done, job.accepted, job.duplicates, job.refused) == (
            7,
            7,
            2,
            1,
            4,
        )
        assert job.label == "Action day 3 December"
        stored = db.session.scalars(select(ReferralItem).order_by(ReferralItem.position)).all()
        assert [i.id for i in stored] == [accepted[2].item_id, accepted[3].item_id]
        assert stored[0].hashes == ["sha256:" + SHA] and stored[0].account == "@recruiter"
        assert stored[1].reason == '=HYPERLINK("x")'  # stored as the text it is
        assert {i.referrer_org_id for i in stored} == {parties.reader("de").org_id}
        (referral,) = db.session.scalars(select(Referral)).all()
        assert intake.verify(parties.reader("x"), referral.id).valid
        assert ledger.check() == []
        assert audit.verify_chain().problem is None
        assert len(records("referral.received")) == 2
        assert [r.details["job"] for r in records("referral_bulk.finished")] == [job.id]
        # Nothing of a refused or duplicate row was stored.
        assert db.session.scalar(select(func.count()).select_from(ReferralLedgerEntry)) == 2


def test_a_row_already_open_in_a_case_is_a_duplicate_but_another_orgs_is_not(app, parties):
    with app.app_context():
        mine = parties.refer("de", [item("https://video.example/open")])
        theirs = parties.refer("fr", [item("https://video.example/theirs")])
        data = HEADER + (
            "https://video.example/open,recruitment,video,,,,Again,\n"
            "https://video.example/theirs,recruitment,video,,,,Also,\n"
        )
        report = submit_and_run(parties, "de", upload(data))
        assert [r.status for r in report.rows] == ["duplicate", "accepted"]
        assert report.rows[0].case_id == mine.items[0].case_id
        assert report.rows[1].case_id == theirs.items[0].case_id  # one case, two referrers


def test_a_withdrawn_item_is_no_duplicate(app, parties):
    from portal.services.referrals import referrer

    with app.app_context():
        mine = parties.refer("de", [item("https://video.example/again")])
        reader = parties.reader("de")
        referrer.withdraw(reader, actor_of(reader), mine.items[0].id, now=NOW)
        report = submit_and_run(
            parties, "de", upload(HEADER + "https://video.example/again,incitement,text,,,,R,\n")
        )
        assert [r.status for r in report.rows] == ["accepted"]
        assert report.rows[0].case_id == mine.items[0].case_id


def test_a_url_and_a_hash_of_two_cases_merge_them(app, parties):
    with app.app_context():
        first = parties.refer("fr", [item("https://video.example/one")])
        second = parties.refer("it", [item("https://video.example/two", hashes=[SHA])])
        data = HEADER + f"https://video.example/one,recruitment,video,,,,Both,{SHA}\n"
        report = submit_and_run(parties, "de", upload(data))
        assert report.rows[0].status == "accepted"
        cases = {
            i.case_id
            for i in db.session.scalars(
                select(ReferralItem).execution_options(populate_existing=True)
            )
        }
        assert len(cases) == 1
        assert report.rows[0].case_id in {first.items[0].case_id, second.items[0].case_id}
        assert ledger.check() == []


def test_each_chunk_is_one_signed_referral_and_progress_is_committed(app, parties, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 2)
    rows = "".join(f"https://video.example/p{i},propaganda,video,,,,R,\n" for i in range(5))
    with app.app_context():
        reader = parties.reader("de")
        job = bulk.submit(reader, actor_of(reader), upload(HEADER + rows), now=NOW).job
        assert (job.state, job.rows_done, job.rows_total) == ("queued", 0, 5)
        assert bulk._claim(job.id, NOW)
        assert bulk._store_chunk(job.id, reader, actor_of(reader), NOW)
        with db.engine.connect() as connection:  # what another request sees
            done, state = connection.execute(
                select(ReferralBulkJob.rows_done, ReferralBulkJob.state)
            ).one()
        assert (done, state) == (2, "running")
        finished = bulk.run(job.id, now=NOW)  # already running: left to its runner
        assert finished.state == "running"
        while bulk._store_chunk(job.id, reader, actor_of(reader), NOW):
            pass
        referrals = db.session.scalars(select(Referral)).all()
        assert len(referrals) == 3
        assert all(intake.verify(reader, r.id).valid for r in referrals)
        sizes = sorted(
            db.session.scalars(
                select(func.count(ReferralItem.id)).group_by(ReferralItem.referral_id)
            )
        )
        assert sizes == [1, 2, 2]


def test_an_order_from_an_authority_that_is_not_competent_is_refused_whole(app, parties):
    data = HEADER + "https://video.example/a,recruitment,video,,,,R,\n"
    with app.app_context():
        reader = parties.reader("uk")
        with unchanged(), pytest.raises(Forbidden) as refused:
            bulk.submit(
                reader,
                actor_of(reader),
                upload(data, kind="removal_order", legal_basis="Art. 3"),
            )
        assert refused.value.message == ORDER_RULE and refused.value.field == "kind"


@pytest.mark.parametrize(
    ("data", "kw", "field", "words"),
    [
        (
            HEADER + "https://v.example/a,recruitment,video,,,,R,\n",
            {"platform": "NOPE"},
            "platform",
            "platform",
        ),
        (
            HEADER + "https://v.example/a,recruitment,video,,,,R,\n",
            {"platform": "DE-BMI"},
            "platform",
            "platform",
        ),
        (
            HEADER + "https://v.example/a,recruitment,video,,,,R,\n",
            {"kind": "request"},
            "kind",
            "Choose",
        ),
        ("url,colour\nhttps://v.example/a,red\n", {}, "file", "'colour'"),
        ("url,reason\nhttps://v.example/a,r\n", {}, "file", "'category'"),
        ("url,category,url\nhttps://v.example/a,other,x\n", {}, "file", "twice"),
        ("", {}, "file", "empty"),
        (HEADER, {}, "file", "no rows"),
        (b"url,category\nhttps://v.example/\xe9,other\n", {}, "file", "line 2"),
        ('url,category\n"https://v.example/a,other\n', {}, "file", "Line"),
        ("{not json", {"format": "stix"}, "file", "Not JSON"),
        ('{"type": "report"}', {}, "file", "bundle"),
    ],
)
def test_a_bad_upload_is_refused_whole_and_nothing_is_stored(app, parties, data, kw, field, words):
    with app.app_context():
        reader = parties.reader("de")
        with unchanged(), pytest.raises(InvalidInput) as refused:
            bulk.submit(reader, actor_of(reader), upload(data, **kw))
        assert refused.value.field == field
        assert words in refused.value.message


def test_too_large_an_upload_and_too_many_rows_are_refused(app, parties):
    with app.app_context():
        reader = parties.reader("de")
        big = HEADER.encode() + b"x" * bulk.MAX_BYTES
        with unchanged(), pytest.raises(bulk.UploadTooLarge) as refused:
            bulk.submit(reader, actor_of(reader), upload(big))
        assert refused.value.status == 413 and "MiB" in refused.value.message
        rows = "".join(
            f"https://v.example/{i},other,video,,,,R,\n" for i in range(bulk.MAX_ROWS + 1)
        )
        with unchanged(), pytest.raises(bulk.UploadTooLarge) as refused:
            bulk.submit(reader, actor_of(reader), upload(HEADER + rows))
        assert f"At most {bulk.MAX_ROWS} rows" in refused.value.message


def test_a_platform_and_an_analyst_cannot_upload(app, parties):
    data = HEADER + "https://v.example/a,recruitment,video,,,,R,\n"
    with app.app_context():
        for who in ("x", "de.analyst"):
            reader = parties.reader(who)
            with unchanged(), pytest.raises(Forbidden):
                bulk.submit(reader, actor_of(reader), upload(data))


def test_a_stix_bundle_of_urls_and_indicators(app, parties):
    bundle = {
        "type": "bundle",
        "id": "bundle--0b0b0b0b-0000-4000-8000-000000000000",
        "objects": [
            {"type": "identity", "id": "identity--x", "name": "Someone"},
            {"type": "url", "id": "url--1", "value": "https://video.example/s1"},
            {
                "type": "indicator",
                "id": "indicator--2",
                "pattern_type": "stix",
                "pattern": "[url:value = 'https://video.example/it\\'s']",
                "description": "Attack manual",
                "x_ischia_category": "attack_instructions",
                "x_ischia_content_type": "file",
            },
            {
                "type": "indicator",
                "id": "indicator--3",
                "pattern_type": "stix",
                "pattern": "[domain-name:value = 'video.example']",
            },
            {
                "type": "indicator",
                "id": "indicator--4",
                "pattern_type": "stix",
                "pattern": "[url:value = 'https://a.example/x'] OR [url:value = 'https://b.example']",
            },
        ],
    }
    defaults = Defaults(category="propaganda", content_type="video", reason="Action day")
    with app.app_context():
        report = submit_and_run(
            parties, "de", upload(json.dumps(bundle), defaults=defaults, filename="day.json")
        )
        assert [(r.row, r.status, r.column) for r in report.rows] == [
            (1, "accepted", None),
            (2, "accepted", None),
            (3, "refused", "pattern"),
            (4, "refused", "pattern"),
        ]
        assert report.job.source_format == "stix"
        items = {i.url: i for i in db.session.scalars(select(ReferralItem))}
        assert items["https://video.example/s1"].category == "propaganda"
        manual = items["https://video.example/it's"]
        assert (manual.category, manual.content_type, manual.reason) == (
            "attack_instructions",
            "file",
            "Attack manual",
        )


def test_the_report_csv_neutralises_formulas_and_only_the_uploader_org_reads_it(app, parties):
    data = HEADER + (
        "=cmd|' /C calc'!A0,recruitment,video,,,,R,\nhttps://v.example/ok,other,video,,,,R,\n"
    )
    with app.app_context():
        report = submit_and_run(parties, "de", upload(data))
        text = bulk.report_csv(parties.reader("de"), report.job.id)
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == list(bulk.REPORT_HEADER)
        assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][2] == "refused"
        assert rows[2][2] == "accepted"
        for who in ("fr", "x"):
            with pytest.raises(NotFound):
                bulk.report(parties.reader(who), report.job.id)
        with pytest.raises(NotFound):
            bulk.report(parties.reader("de"), "0" * 32)
        assert [job.id for job, _ in bulk.recent_jobs(parties.reader("de"))] == [report.job.id]
        assert bulk.recent_jobs(parties.reader("fr")) == []


def test_with_a_queue_the_worker_runs_the_job(app, parties):
    app.config["REDIS_URL"] = REDIS_URL
    Redis.from_url(REDIS_URL).flushdb()
    try:
        data = HEADER + "https://video.example/q1,recruitment,video,,,,R,\n"
        with app.app_context():
            reader = parties.reader("de")
            submitted = bulk.submit(reader, actor_of(reader), upload(data))
            assert submitted.queued and submitted.job.state == "queued"
        result = app.test_cli_runner().invoke(args=["worker", "--burst"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            job = bulk.own_job(parties.reader("de"), submitted.job.id)
            assert (job.state, job.accepted) == ("done", 1)
            row = db.session.scalars(select(ReferralBulkRow)).one()
            assert row.fields is None and row.item_id is not None
    finally:
        Redis.from_url(REDIS_URL).flushdb()


def test_a_run_that_died_is_taken_over_after_its_lease_and_a_live_one_is_not(app, parties):
    data = HEADER + "".join(
        f"https://died.example/{n},recruitment,video,,ar,,Call to travel,\n" for n in range(3)
    )
    with app.app_context():
        reader = parties.reader("de")
        job_id = bulk.submit(reader, actor_of(reader), upload(data), now=NOW).job.id
        with db.write() as session:  # as a run that started and was killed before any chunk
            job = session.get_one(ReferralBulkJob, job_id)
            job.state, job.started_at = "running", NOW
        live = bulk.run(job_id, now=NOW + timedelta(minutes=2))
        assert (live.state, live.accepted) == ("running", 0)  # another runner may be at work
        taken = bulk.run(job_id, now=NOW + bulk.RUN_LEASE + timedelta(seconds=1))
        assert (taken.state, taken.accepted) == ("done", 3)


def test_a_chunk_larger_than_a_list_page_is_shown_whole_as_sent(app, parties):
    data = HEADER + "".join(
        f"https://chunk.example/{n},recruitment,video,,ar,,Call to travel,\n" for n in range(230)
    )
    with app.app_context():
        reader = parties.reader("de")
        job = bulk.run(bulk.submit(reader, actor_of(reader), upload(data), now=NOW).job.id, now=NOW)
        assert job.accepted == 230
        (referral_id,) = set(db.session.scalars(select(ReferralItem.referral_id)))
        sent = referring.sent(reader, referral_id, now=NOW)
        assert len(sent.items) == 230 and sent.verification.valid
