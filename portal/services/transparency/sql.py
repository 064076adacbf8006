"""Two expressions that SQLite and PostgreSQL spell differently: the UTC Monday that starts an
instant's week, and the seconds between two instants.

On PostgreSQL times are ``timestamptz`` and are moved to UTC before truncation, whatever the
session's time zone; on SQLite they are stored as UTC text, which ``date()`` and
``julianday()`` read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class week_start(FunctionElement[date]):  # noqa: N801  (used like a SQL function)
    """The Monday (UTC) of the week an instant falls in."""

    type = Date()
    inherit_cache = True
    name = "week_start"


class seconds_between(FunctionElement[float]):  # noqa: N801
    """``later - earlier`` in seconds."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(week_start)
def _week_start_sqlite(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    (instant,) = list(element.clauses)
    # Back six days, then forward to the next Monday (or stay on it): the week's Monday.
    return f"date({compiler.process(instant, **kw)}, '-6 days', 'weekday 1')"


@compiles(week_start, "postgresql")
def _week_start_postgresql(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    (instant,) = list(element.clauses)
    return f"CAST(date_trunc('week', {compiler.process(instant, **kw)} AT TIME ZONE 'UTC') AS DATE)"


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    earlier, later = list(element.clauses)
    return (
        f"((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 86400.0)"
    )


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    earlier, later = list(element.clauses)
    return (
        f"CAST(EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "
        f"{compiler.process(earlier, **kw)})) AS DOUBLE PRECISION)"
    )


def as_date(value: object) -> date:
    """A ``week_start`` value as a date (SQLite answers text, PostgreSQL a date)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def week(instant: ColumnElement[datetime]) -> week_start:
    return week_start(instant)
