"""Bulk intake of referrals (referral action days): a CSV file or a STIX 2.1 bundle of up to
``MAX_ROWS`` content items to one platform, with a report for every row.

The CSV file
    UTF-8 (a byte-order mark is allowed), comma-separated, RFC 4180 quoting, and a header row
    naming the columns, in any order, case-insensitive:

    ==================  ========  ==============================================================
    column              required  what goes in it
    ==================  ========  ==============================================================
    url                 yes       the content's http(s) address
    category            yes       recruitment, incitement, attack_instructions, weapons_manual,
                                  propaganda, financing or other
    content_type        no        video, image, audio, text, live_stream, file or account
    account             no        the account or channel that posted it
    language            no        ISO 639 code (ar, en, ...)
    attributed_group    no        the group it is attributed to (free text)
    reason              no        why it is referred (at most 500 characters)
    hashes              no        SHA-256 or MD5 hashes of a captured copy, separated by spaces,
                                  commas or semicolons
    ==================  ========  ==============================================================

    A blank ``category``, ``content_type`` or ``reason`` cell takes the upload's default for it
    (given with the upload); a row that still lacks one is refused. Any other column, or a
    column named twice, refuses the whole file. Blank lines are skipped. A cell starting with
    ``=``, ``+``, ``-`` or ``@`` is stored as the text it is (nothing here evaluates it); every
    CSV the portal writes back (the per-row report) goes through
    :mod:`portal.services.spreadsheets`, which neutralises such cells.

The STIX 2.1 bundle
    A JSON ``bundle`` whose ``url`` objects (``value``) and ``indicator`` objects (a pattern of
    exactly ``[url:value = '...']``) are the rows, numbered by their index in ``objects``.
    Any other indicator pattern is refused for its row; objects of other types are ignored.
    An object may carry ``x_ischia_category``, ``x_ischia_content_type``, ``x_ischia_account``,
    ``x_ischia_language``, ``x_ischia_attributed_group``; an indicator's ``description`` (else
    its ``name``) is the reason. What is missing takes the upload's defaults.

Limits
    ``MAX_BYTES`` (10 MiB) per upload (413 above it), ``MAX_ROWS`` (5,000) rows; bytes that are
    not UTF-8 refuse the file, naming the line. Everything about the upload as a whole (the
    platform, the kind, a removal order from an organisation that is not a competent
    authority, the header) is checked before anything is stored.

The report
    Each row is ``accepted`` (its item id and case id), ``duplicate`` (of case N: the
    referring organisation already has an *open* item -- received, claimed or asked about,
    neither decided nor withdrawn -- in the case that the row's URL or SHA-256 hash belongs to
    on that platform, an earlier row of the same upload included; nothing is stored for it), or
    ``refused`` with the reason and the column it names. A refused row never blocks the others
    and is never half stored: rows are checked one by one when the upload is submitted, and
    stored in chunks of ``CHUNK`` rows, each chunk one transaction.

How it runs
    :func:`submit` checks the upload and stages it as a job (:class:`ReferralBulkJob`) with a
    row per uploaded row, in one transaction. With ``REDIS_URL`` set the job goes to the RQ
    queue ``ischia-referrals`` and ``flask --app wsgi worker`` runs it; otherwise the caller
    runs it (:func:`run`): the API in its request, the web page by a second request its script
    sends while it polls the job's progress. :func:`run` stores the chunks one transaction
    each, updating the job's ``rows_done`` with each commit, so progress is visible while it
    runs and a job that stops (a worker killed) resumes from its first pending row.

Signing
    Each chunk is one :class:`~portal.models.Referral`, signed with the organisation's key like
    any referral (:mod:`portal.services.referrals.intake`, ``intake.verify`` checks it): the
    chunk is the unit that is committed, so every stored item is under a signature covering
    exactly what was stored with it, and no signature claims items a failed chunk did not
    store. One referral per row would cost 2,000 Ed25519 + ML-DSA-65 signatures and referrals
    for an action day's upload; one per upload would need the whole upload in one transaction
    (no progress to show, the platform's intake lock held throughout).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext
from redis import Redis
from rq import Queue
from sqlalchemy import Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from crypto.statement import sign_statement
from portal.extensions import db
from portal.i18n import speaking
from portal.models import (
    BulkState,
    ItemState,
    Organisation,
    OrgKind,
    Referral,
    ReferralBulkJob,
    ReferralBulkRow,
    ReferralCase,
    ReferralCaseKey,
    ReferralItem,
    ReferralKind,
    ReferralLedgerEntry,
    Role,
    RowStatus,
    User,
)
from portal.services import audit, json_text, spreadsheets
from portal.services.errors import Forbidden, InvalidInput, NotFound, ServiceError
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader
from portal.services.referrals import intake, webhooks
from portal.services.referrals.ledger import Event, details_sha256, entry_time, moment
from portal.services.referrals.vocabulary import Category, ContentType, choice, order_rule

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
CHUNK = 500
MAX_LABEL = 200
MAX_FILENAME = 200
COLUMNS = (
    "url",
    "category",
    "content_type",
    "account",
    "language",
    "attributed_group",
    "reason",
    "hashes",
)
REQUIRED_COLUMNS = ("url", "category")
# An item still waiting for the platform: a second referral of its content is a duplicate.
OPEN_STATES = (ItemState.RECEIVED.value, ItemState.CLAIMED.value, ItemState.QUESTION.value)
QUEUE_NAME = "ischia-referrals"
REPORT_HEADER = ("row", "url", "status", "item_id", "case_id", "column", "message")
_ID = re.compile(r"^[0-9a-f]{32}$")
_PATTERN = re.compile(r"^\[\s*url:value\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]$")
_HASH_SPLIT = re.compile(r"[\s,;]+")
_STIX_FIELDS = {
    "category": "x_ischia_category",
    "content_type": "x_ischia_content_type",
    "account": "x_ischia_account",
    "language": "x_ischia_language",
    "attributed_group": "x_ischia_attributed_group",
}
# The tables, for multi-row INSERTs and UPDATEs in Core (see bench/RESULTS.md: the ORM's bulk
# path spent more time than the database).
_ROWS = cast(Table, ReferralBulkRow.__table__)
_CASES = cast(Table, ReferralCase.__table__)
_CASE_KEYS = cast(Table, ReferralCaseKey.__table__)
_ITEMS = cast(Table, ReferralItem.__table__)
_LEDGER = cast(Table, ReferralLedgerEntry.__table__)


class UploadTooLarge(ServiceError):
    status = 413


@dataclass(frozen=True)
class Defaults:
    """What a blank cell takes."""

    category: str | None = None
    content_type: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class BulkUpload:
    """An upload as the web form or the API hands it over."""

    platform: str
    kind: str
    data: bytes
    format: str | None = None  # csv or stix; None: a JSON object is a bundle, else CSV
    legal_basis: str | None = None
    label: str | None = None  # the action day
    filename: str | None = None
    defaults: Defaults = Defaults()


@dataclass(frozen=True)
class _Row:
    """One parsed row: its number, its URL as given, and its checked item or refusal."""

    row: int
    url: str | None
    item: dict[str, Any] | None = None
    column: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Submitted:
    job: ReferralBulkJob
    queued: bool  # True when a worker will run it; False when the caller runs it


@dataclass(frozen=True)
class RowReport:
    row: int
    url: str | None
    status: str
    item_id: str | None
    case_id: str | None
    column: str | None
    message: str | None


@dataclass(frozen=True)
class Report:
    job: ReferralBulkJob
    platform: str
    rows: list[RowReport]


# -- parsing ------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidInput(
            gettext(
                "The file is not UTF-8: byte %(byte)s on line %(line)s cannot be read. Save it as "
                "CSV UTF-8.",
                byte="0x" + format(data[error.start], "02x"),
                line=line,
            ),
            field="file",
        ) from None


def _item(
    row: int,
    cells: dict[str, str],
    defaults: Defaults,
) -> _Row:
    """A row checked as intake checks an item; a refusal names the column."""
    url = (cells.get("url") or "").strip() or None
    raw_hashes = cells.get("hashes") or ""
    draft = intake.ItemDraft(
        url=url or "",
        content_type=(cells.get("content_type") or "").strip() or (defaults.content_type or ""),
        category=(cells.get("category") or "").strip() or (defaults.category or ""),
        reason=(cells.get("reason") or "").strip() or (defaults.reason or ""),
        account=cells.get("account"),
        language=cells.get("language"),
        attributed_group=cells.get("attributed_group"),
        hashes=[h for h in _HASH_SPLIT.split(raw_hashes) if h],
    )
    try:
        checked = intake._item(draft, 0)
    except InvalidInput as error:
        column = (error.field or "").rsplit(".", 1)[-1] or None
        message = error.message
        if column in ("content_type", "category", "reason") and not (cells.get(column) or ""):
            message = gettext(
                "%(problem)s (the cell is blank and the upload gives no default)", problem=message
            )
        return _Row(row, url, column=column, message=message[:500])
    return _Row(row, url, item=checked.claims())


def _from_claims(fields: dict[str, Any]) -> intake._Item:
    """A staged row's checked item, back from the JSON it was staged as."""
    return intake._Item(
        url=str(fields["url"]),
        url_key=str(fields["url_key"]),
        account=fields.get("account"),
        content_type=ContentType(fields["content_type"]),
        category=Category(fields["category"]),
        language=fields.get("language"),
        attributed_group=fields.get("attributed_group"),
        reason=str(fields["reason"]),
        hashes=tuple(fields.get("hashes") or ()),
    )


def _csv_rows(data: bytes, defaults: Defaults) -> list[_Row]:
    text = _decode(data)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InvalidInput(
            gettext("Line %(line)s holds a NUL character: this is not a CSV file.", line=line),
            field="file",
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise InvalidInput(
                gettext("The file is empty: give a header row and a row per item."), field="file"
            )
        names = [cell.strip().lower() for cell in header]
        unknown = [name for name in names if name not in COLUMNS]
        if unknown:
            raise InvalidInput(
                gettext(
                    "Unknown column %(column)s in the header row; the columns are: %(columns)s.",
                    column=repr(unknown[0]),
                    columns=", ".join(COLUMNS),
                ),
                field="file",
            )
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise InvalidInput(
                gettext("The header names %(column)s twice.", column=repr(twice[0])), field="file"
            )
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            raise InvalidInput(
                gettext(
                    "The header row has no %(column)s column (required: %(columns)s).",
                    column=repr(missing[0]),
                    columns=", ".join(REQUIRED_COLUMNS),
                ),
                field="file",
            )
        rows: list[_Row] = []
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise UploadTooLarge(
                    gettext(
                        "At most %(limit)s rows in one upload: split the file.", limit=MAX_ROWS
                    ),
                    field="file",
                )
            if len(cells) > len(names):
                rows.append(
                    _Row(
                        start,
                        None,
                        column=None,
                        message=gettext(
                            "%(cells)s cells, but the header names %(columns)s columns.",
                            cells=len(cells),
                            columns=len(names),
                        ),
                    )
                )
                continue
            rows.append(_item(start, dict(zip(names, cells, strict=False)), defaults))
    except csv.Error as error:
        raise InvalidInput(
            gettext("Line %(line)s: %(problem)s.", line=reader.line_num, problem=str(error)),
            field="file",
        ) from None
    return rows


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _stix_rows(data: bytes, defaults: Defaults) -> list[_Row]:
    try:
        bundle = json_text.loads(_decode(data))
    except json.JSONDecodeError as error:
        raise InvalidInput(
            gettext(
                "Not JSON: %(problem)s at line %(line)s, column %(column)s.",
                problem=error.msg,
                line=error.lineno,
                column=error.colno,
            ),
            field="file",
        ) from None
    except json_text.UnreadableJSON as error:
        raise InvalidInput(str(error), field="file") from None
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        raise InvalidInput(
            gettext('Send a STIX 2.1 bundle (an object of "type": "bundle").'), field="file"
        )
    objects = bundle.get("objects")
    if not isinstance(objects, list):
        raise InvalidInput(gettext('The bundle has no "objects" list.'), field="file")
    rows: list[_Row] = []
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict) or obj.get("type") not in ("url", "indicator"):
            continue
        if len(rows) >= MAX_ROWS:
            raise UploadTooLarge(
                gettext(
                    "At most %(limit)s url and indicator objects in one upload: split the bundle.",
                    limit=MAX_ROWS,
                ),
                field="file",
            )
        cells = {name: str(obj.get(prop) or "") for name, prop in _STIX_FIELDS.items()}
        if obj["type"] == "url":
            cells["url"] = str(obj.get("value") or "")
        else:
            pattern = obj.get("pattern")
            match = _PATTERN.fullmatch(pattern.strip()) if isinstance(pattern, str) else None
            if obj.get("pattern_type", "stix") != "stix" or match is None:
                shown = str(pattern)[:80] if pattern is not None else "none"
                rows.append(
                    _Row(
                        index,
                        None,
                        column="pattern",
                        message=gettext(
                            "Only patterns of the form %(form)s are taken; this one is %(shown)s.",
                            form="[url:value = '...']",
                            shown=repr(shown),
                        ),
                    )
                )
                continue
            cells["url"] = _unescape(match.group(1))
            cells["reason"] = str(obj.get("description") or obj.get("name") or "")
        rows.append(_item(index, cells, defaults))
    return rows


def parse(data: bytes, source_format: str, defaults: Defaults = Defaults()) -> list[_Row]:
    """The rows of an upload, each checked; the upload as a whole refused with InvalidInput."""
    if len(data) > MAX_BYTES:
        raise UploadTooLarge(
            gettext(
                "The upload is %(size)s MiB; at most %(limit)s MiB (%(rows)s rows) go in one "
                "upload: split the file.",
                size=format(len(data) / 1048576, ".1f"),
                limit=MAX_BYTES // 1048576,
                rows=MAX_ROWS,
            ),
            field="file",
        )
    rows = _csv_rows(data, defaults) if source_format == "csv" else _stix_rows(data, defaults)
    if not rows:
        raise InvalidInput(gettext("The upload holds no rows to refer."), field="file")
    return rows


def _format(upload: BulkUpload) -> str:
    if upload.format:
        value = upload.format.strip().lower()
        if value not in ("csv", "stix"):
            raise InvalidInput(gettext("Choose csv or stix."), field="format")
        return value
    return "stix" if upload.data.lstrip()[:1] == b"{" else "csv"


# -- submitting ---------------------------------------------------------------------------------


def _platform(session: Session, reader: Reader, upload: BulkUpload) -> tuple[ReferralKind, int]:
    """intake's checks of who refers what to whom, before any row is looked at."""
    if not reader.has_role(Role.LIAISON) or reader.org_kind is OrgKind.PLATFORM:
        raise Forbidden(gettext("Only liaison officers of a ministry or observer refer content."))
    kind = choice(ReferralKind, upload.kind, "kind")
    code = (upload.platform or "").strip().upper()
    platform = session.scalar(select(Organisation).where(Organisation.code == code))
    if platform is None or platform.kind is not OrgKind.PLATFORM:
        raise InvalidInput(
            gettext("Choose a platform partner to refer content to."), field="platform"
        )
    if kind is ReferralKind.REMOVAL_ORDER:
        own = session.get(Organisation, reader.org_id)
        if own is None or not own.competent_authority:
            raise Forbidden(order_rule(), field="kind")
        if not (upload.legal_basis or "").strip():
            raise InvalidInput(
                gettext("A removal order must name its legal basis."), field="legal_basis"
            )
    return kind, platform.id


def queue_enabled() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def queue() -> Queue:
    return Queue(QUEUE_NAME, connection=Redis.from_url(current_app.config["REDIS_URL"]))


def submit(
    reader: Reader, actor: Actor, upload: BulkUpload, *, now: datetime | None = None
) -> Submitted:
    """Check and stage an upload as a job (see the module doc); queue it when there is a queue.

    Refused as a whole (nothing stored) for anything about the upload itself; a bad row is
    only that row's refusal."""
    now = moment(now)
    session = db.session()
    kind, platform_id = _platform(session, reader, upload)
    legal_basis = intake._text(upload.legal_basis, "legal_basis", intake.MAX_LEGAL_BASIS)
    label = intake._text(upload.label, "label", MAX_LABEL)
    source_format = _format(upload)
    rows = parse(upload.data, source_format, upload.defaults)
    refused = sum(1 for row in rows if row.item is None)
    job = ReferralBulkJob(
        id=uuid.uuid4().hex,
        org_id=reader.org_id,
        user_id=reader.user_id,
        platform_org_id=platform_id,
        kind=kind.value,
        legal_basis=legal_basis,
        label=label,
        source_format=source_format,
        filename=(upload.filename or "").strip()[:MAX_FILENAME] or None,
        state=BulkState.QUEUED.value,
        rows_total=len(rows),
        rows_done=refused,
        accepted=0,
        duplicates=0,
        refused=refused,
        created_at=now,
    )
    with db.write() as session:
        session.add(job)
        session.flush()
        session.execute(
            insert(_ROWS),
            [
                {
                    "job_id": job.id,
                    "row": row.row,
                    "url": (row.url or "")[:2048] or None,
                    "status": (RowStatus.PENDING if row.item else RowStatus.REFUSED).value,
                    "fields": row.item,
                    "item_id": None,
                    "case_id": None,
                    "column": row.column,
                    "message": row.message,
                }
                for row in rows
            ],
        )
        audit.record(
            session,
            "referral_bulk.submitted",
            actor,
            subject_org=platform_id,
            details={
                "job": job.id,
                "kind": job.kind,
                "rows": job.rows_total,
                "refused": refused,
                "label": label,
            },
        )
    queued = queue_enabled()
    if queued:
        queue().enqueue(run_job, job.id, job_id=f"referral-bulk-{job.id}", result_ttl=0)
    return Submitted(job, queued)


# -- running ------------------------------------------------------------------------------------


def run_job(job_id: str) -> None:
    """The RQ worker's entry: run the job as its user, in their language (the rows' messages),
    then end the session."""
    try:
        job = db.session.get(ReferralBulkJob, job_id)
        user = db.session.get(User, job.user_id) if job is not None else None
        with speaking(user.language if user is not None else None):
            run(job_id)
    finally:
        db.session.remove()


# A run that has not finished this long after it started has died (a worker killed, a request
# timed out): another runner takes the job over from its first pending row. 2,000 rows take
# seconds, so no live run is this slow.
RUN_LEASE = timedelta(minutes=10)


def _claim(job_id: str, now: datetime) -> bool:
    """Take a queued job, or a running one whose run has died (see RUN_LEASE)."""
    with db.write() as session:
        claimed = session.execute(
            update(ReferralBulkJob)
            .where(
                ReferralBulkJob.id == job_id,
                or_(
                    ReferralBulkJob.state == BulkState.QUEUED.value,
                    and_(
                        ReferralBulkJob.state == BulkState.RUNNING.value,
                        ReferralBulkJob.started_at < now - RUN_LEASE,
                    ),
                ),
            )
            .values(state=BulkState.RUNNING.value, started_at=now)
        )
        return bool(getattr(claimed, "rowcount", 0))


def run(job_id: str, *, now: datetime | None = None) -> ReferralBulkJob:
    """Store a queued job's pending rows, a chunk per transaction (see the module doc). A job
    already taken by another runner, or finished, is returned as it is."""
    fixed = None if now is None else moment(now)
    if not _claim(job_id, moment(fixed)):
        return db.session.get_one(ReferralBulkJob, job_id, populate_existing=True)
    job = db.session.get_one(ReferralBulkJob, job_id, populate_existing=True)
    user = db.session.get_one(User, job.user_id)
    if not user.active or not user.has_role(Role.LIAISON):
        return _finish(
            job_id, BulkState.FAILED, gettext("The account lost its access before the run.")
        )
    reader, actor = Reader.of(user), Actor.of(user)
    try:
        while _store_chunk(job_id, reader, actor, moment(fixed)):
            pass
    except Exception as error:
        db.session.rollback()
        current_app.logger.exception("bulk referral job %s failed", job_id)
        message = (
            error.message if isinstance(error, ServiceError) else gettext("An unexpected error.")
        )
        return _finish(
            job_id, BulkState.FAILED, gettext("Stopped: %(problem)s", problem=message)[:300]
        )
    return _finish(job_id, BulkState.DONE, None)


def _finish(job_id: str, state: BulkState, error: str | None) -> ReferralBulkJob:
    with db.write() as session:
        job = session.get_one(ReferralBulkJob, job_id, populate_existing=True)
        job.state = state.value
        job.error = error
        job.finished_at = moment(None)
        user = session.get_one(User, job.user_id)
        audit.record(
            session,
            "referral_bulk.finished",
            Actor.of(user),
            outcome="success" if state is BulkState.DONE else "failure",
            subject_org=job.platform_org_id,
            details={
                "job": job.id,
                "accepted": job.accepted,
                "duplicates": job.duplicates,
                "refused": job.refused,
            },
        )
    return job


@dataclass
class _Chunk:
    """What one chunk adds, gathered before the multi-row INSERTs."""

    job: ReferralBulkJob
    platform: Organisation
    known: dict[str, str]  # case key -> case id, on the platform
    open_cases: set[str]  # cases where the organisation has an open item
    cases: list[dict[str, Any]]
    keys: list[dict[str, Any]]
    items: list[dict[str, Any]]


def _store_chunk(job_id: str, reader: Reader, actor: Actor, now: datetime) -> bool:
    """Store the next ``CHUNK`` pending rows in one transaction; False when none is left."""
    with db.write() as session:
        job = session.get_one(ReferralBulkJob, job_id, populate_existing=True)
        pending = session.execute(
            select(ReferralBulkRow.id, ReferralBulkRow.fields)
            .where(
                ReferralBulkRow.job_id == job_id,
                ReferralBulkRow.status == RowStatus.PENDING.value,
            )
            .order_by(ReferralBulkRow.row)
            .limit(CHUNK)
        ).all()
        if not pending:
            return False
        # One intake per platform at a time (as intake.refer), so concurrent referrers of new
        # content make one case.
        platform = session.scalars(
            select(Organisation).where(Organisation.id == job.platform_org_id).with_for_update()
        ).one()
        kind = ReferralKind(job.kind)
        items = [_from_claims(fields or {}) for _, fields in pending]
        all_keys = {key for item in items for key in item.case_keys()}
        rows = session.execute(
            select(ReferralCaseKey.key, ReferralCaseKey.case_id).where(
                ReferralCaseKey.platform_org_id == platform.id,
                ReferralCaseKey.key.in_(all_keys),
            )
        )
        known = {key: case_id for key, case_id in rows}
        open_cases = set(
            session.scalars(
                select(ReferralItem.case_id).where(
                    ReferralItem.referrer_org_id == reader.org_id,
                    ReferralItem.platform_org_id == platform.id,
                    ReferralItem.state.in_(OPEN_STATES),
                    ReferralItem.case_id.in_(set(known.values())),
                )
            )
        )
        chunk = _Chunk(job, platform, known, open_cases, [], [], [])
        due = intake.deadline(kind, now)
        referral: Referral | None = None
        outcomes: list[dict[str, Any]] = []
        for (row_id, _), item in zip(pending, items, strict=True):
            keys = item.case_keys()
            found = {chunk.known[key] for key in keys if key in chunk.known}
            if len(found) > 1:
                case_id = _merge(session, chunk, item, found, now)
            elif found:
                case_id = found.pop()
            else:
                case_id = uuid.uuid4().hex
                chunk.cases.append(
                    {"id": case_id, "platform_org_id": platform.id, "created_at": now}
                )
            for key in keys:
                if key not in chunk.known:
                    chunk.known[key] = case_id
                    chunk.keys.append(
                        {"platform_org_id": platform.id, "key": key, "case_id": case_id}
                    )
            if case_id in chunk.open_cases:
                outcomes.append(
                    {
                        "id": row_id,
                        "status": RowStatus.DUPLICATE.value,
                        "fields": None,
                        "case_id": case_id,
                        "message": gettext(
                            "Duplicate of case %(case)s: your organisation already has an open "
                            "item in it.",
                            case=case_id,
                        ),
                    }
                )
                continue
            if referral is None:
                referral = Referral(
                    id=uuid.uuid4().hex,
                    kind=kind.value,
                    referrer_org_id=reader.org_id,
                    referrer_user_id=reader.user_id,
                    platform_org_id=platform.id,
                    legal_basis=job.legal_basis,
                    received_at=now,
                    statement="",  # signed below, once the chunk's items are known
                )
                session.add(referral)
            item_id = uuid.uuid4().hex
            chunk.open_cases.add(case_id)
            chunk.items.append(
                {
                    "id": item_id,
                    "referral_id": referral.id,
                    "position": len(chunk.items),
                    "platform_org_id": platform.id,
                    "referrer_org_id": reader.org_id,
                    "case_id": case_id,
                    "kind": kind.value,
                    "url": item.url,
                    "url_key": item.url_key,
                    "account": item.account,
                    "content_type": item.content_type.value,
                    "category": item.category.value,
                    "language": item.language,
                    "attributed_group": item.attributed_group,
                    "reason": item.reason,
                    "hashes": list(item.hashes),
                    "received_at": now,
                    "deadline_at": due,
                    "state": ItemState.RECEIVED.value,
                    "_claims": item.claims(),
                }
            )
            outcomes.append(
                {
                    "id": row_id,
                    "status": RowStatus.ACCEPTED.value,
                    "fields": None,
                    "case_id": case_id,
                    "item_id": item_id,
                    "message": None,
                }
            )
        _write(session, chunk)
        if referral is not None:
            _sign_and_ledger(session, chunk, referral, reader, actor, now, due)
        session.execute(
            update(_ROWS)
            .where(_ROWS.c.id == bindparam("row_id"))
            .values(
                status=bindparam("status"),
                fields=None,
                case_id=bindparam("case_id"),
                item_id=bindparam("item_id"),
                message=bindparam("message"),
            ),
            [
                {
                    "row_id": o["id"],
                    "status": o["status"],
                    "case_id": o["case_id"],
                    "item_id": o.get("item_id"),
                    "message": o["message"],
                }
                for o in outcomes
            ],
        )
        accepted = sum(1 for o in outcomes if o["status"] == RowStatus.ACCEPTED.value)
        job.accepted += accepted
        job.duplicates += len(outcomes) - accepted
        job.rows_done += len(outcomes)
    # The platform's webhook hears of the chunk's new items once they are committed.
    webhooks.enqueue_new_items([row["id"] for row in chunk.items], now=now)
    return True


def _write(session: Session, chunk: _Chunk) -> None:
    """The chunk's new cases, case keys and items so far, as multi-row INSERTs."""
    session.flush()  # the referral row the items point at
    if chunk.cases:
        session.execute(insert(_CASES), chunk.cases)
        chunk.cases = []
    if chunk.keys:
        session.execute(insert(_CASE_KEYS), chunk.keys)
        chunk.keys = []
    written = [row for row in chunk.items if "_written" not in row]
    if written:
        session.execute(
            insert(_ITEMS),
            [{k: v for k, v in row.items() if not k.startswith("_")} for row in written],
        )
        for row in written:
            row["_written"] = True


def _merge(
    session: Session, chunk: _Chunk, item: intake._Item, found: set[str], now: datetime
) -> str:
    """The row's URL and hash belong to different cases: write what the chunk has so far and
    let intake merge them into the oldest, as it does for a single referral."""
    _write(session, chunk)
    case_id = intake._case_for(session, chunk.platform.id, item, now)
    for key, value in list(chunk.known.items()):
        if value in found:
            chunk.known[key] = case_id
    for key in item.case_keys():
        chunk.known[key] = case_id
    if chunk.open_cases & found:
        chunk.open_cases.add(case_id)
    for row in chunk.items:
        if row["case_id"] in found:
            row["case_id"] = case_id
    return case_id


def _sign_and_ledger(
    session: Session,
    chunk: _Chunk,
    referral: Referral,
    reader: Reader,
    actor: Actor,
    now: datetime,
    due: datetime,
) -> None:
    """Sign the chunk's referral over its items, then one ledger entry and audit record each."""
    org_keys.ensure_keys(session, reader.org_code, now=now)
    claims = intake._claims(
        referral,
        reader.org_code,
        chunk.platform.code,
        due,
        [{"id": row["id"], **row["_claims"]} for row in chunk.items],
    )
    statement = sign_statement(intake.DOMAIN, claims, org_keys.private_bundle(reader.org_code))
    referral.statement = statement.to_json()
    details = {
        "platform": chunk.platform.code,
        "deadline": due.isoformat(),
        "bulk_job": chunk.job.id,
    }
    ledger_ids = session.scalars(
        insert(_LEDGER).returning(_LEDGER.c.id, sort_by_parameter_order=True),
        [
            {
                "item_id": row["id"],
                "at": now,
                "event": Event.RECEIVED.value,
                "org_id": reader.org_id,
                "user_id": reader.user_id,
                "details": details,
            }
            for row in chunk.items
        ],
    ).all()
    digest = details_sha256(details)
    audit.record_many(
        session,
        actor,
        [
            audit.Pending(
                f"referral.{Event.RECEIVED.value}",
                chunk.platform.id,
                {
                    "item": row["id"],
                    "referral": referral.id,
                    **{k: v for k, v in details.items()},
                    "ledger_id": ledger_id,
                    "details_sha256": digest,
                    "at": entry_time(now),
                    "kind": referral.kind,
                },
            )
            for row, ledger_id in zip(chunk.items, ledger_ids, strict=True)
        ],
    )


# -- reading ------------------------------------------------------------------------------------


def platforms() -> list[tuple[str, str]]:
    """The platform partners content can be referred to: (code, name), by code."""
    rows = db.session.execute(
        select(Organisation.code, Organisation.name)
        .where(Organisation.kind == OrgKind.PLATFORM)
        .order_by(Organisation.code)
    )
    return [(code, name) for code, name in rows]


def own_job(reader: Reader, job_id: str) -> ReferralBulkJob:
    """One of the organisation's jobs (its liaison officers); NotFound for any other id."""
    if not reader.has_role(Role.LIAISON) or reader.org_kind is OrgKind.PLATFORM:
        raise NotFound()
    if not _ID.fullmatch(job_id or ""):
        raise NotFound()
    job = db.session.get(ReferralBulkJob, job_id, populate_existing=True)
    if job is None or job.org_id != reader.org_id:
        raise NotFound()
    return job


def recent_jobs(reader: Reader, limit: int = 20) -> list[tuple[ReferralBulkJob, str]]:
    """The organisation's latest jobs, newest first, with their platform's code."""
    if not reader.has_role(Role.LIAISON) or reader.org_kind is OrgKind.PLATFORM:
        raise Forbidden("Only liaison officers of a ministry or observer refer content.")
    rows = db.session.execute(
        select(ReferralBulkJob, Organisation.code)
        .join(Organisation, Organisation.id == ReferralBulkJob.platform_org_id)
        .where(ReferralBulkJob.org_id == reader.org_id)
        .order_by(ReferralBulkJob.created_at.desc(), ReferralBulkJob.id)
        .limit(limit)
    )
    return list(rows)


def report(reader: Reader, job_id: str) -> Report:
    """A job and every row's outcome, in the upload's order."""
    job = own_job(reader, job_id)
    platform = db.session.get_one(Organisation, job.platform_org_id)
    rows = db.session.execute(
        select(
            ReferralBulkRow.row,
            ReferralBulkRow.url,
            ReferralBulkRow.status,
            ReferralBulkRow.item_id,
            ReferralBulkRow.case_id,
            ReferralBulkRow.column,
            ReferralBulkRow.message,
        )
        .where(ReferralBulkRow.job_id == job.id)
        .order_by(ReferralBulkRow.row)
    )
    return Report(job, platform.code, [RowReport(*row) for row in rows])


def report_rows(report_: Report) -> Iterator[Sequence[object]]:
    for row in report_.rows:
        yield (row.row, row.url, row.status, row.item_id, row.case_id, row.column, row.message)


def report_csv(reader: Reader, job_id: str) -> str:
    """The per-row report as CSV, every cell made safe for a spreadsheet."""
    return spreadsheets.csv_text(REPORT_HEADER, report_rows(report(reader, job_id)))
