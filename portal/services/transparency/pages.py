"""What the transparency pages and downloads show: the figures, their charts, the periods and
scopes a reader may switch to, and the figures as CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from portal.models import OrgKind
from portal.services import spreadsheets
from portal.services.principals import Reader
from portal.services.referrals.ledger import moment
from portal.services.transparency import charts
from portal.services.transparency import figures as tf


@dataclass(frozen=True)
class Page:
    figures: tf.Figures
    charts: dict[str, Markup]
    platforms: list[tuple[str, str]]  # a ministry's: the platforms it referred to
    years: list[int]


def home(reader: Reader) -> tuple[str, str]:
    """The reader's own page: their platform's, or their organisation's referrals."""
    side = tf.Side.PLATFORM if reader.org_kind is OrgKind.PLATFORM else tf.Side.MINISTRY
    return side.value, reader.org_code


def page(
    reader: Reader, side: str, code: str, raw_period: str | None, now: datetime | None = None
) -> Page:
    now = moment(now)
    found = tf.figures(reader, side, code, raw_period, now)
    return Page(found, charts.all_charts(found), tf.platforms_referred_to(reader), tf.years(now))


def csv_download(
    reader: Reader, side: str, code: str, raw_period: str | None, now: datetime | None = None
) -> tuple[str, str]:
    """A file name and the figures as CSV (every cell safe for a spreadsheet)."""
    found = tf.figures(reader, side, code, raw_period, now)
    return csv_name(found), csv_document(found)


def csv_document(found: tf.Figures) -> str:
    return spreadsheets.csv_text(tf.CSV_HEADER, tf.csv_rows(found))


def csv_name(found: tf.Figures) -> str:
    name = f"ischia-transparency-{found.scope.code}-{found.period.key}"
    if found.scope.referrer_code and found.scope.side is tf.Side.PLATFORM:
        name += f"-{found.scope.referrer_code}"
    return f"{name.lower()}.csv"
