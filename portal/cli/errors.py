"""Turning service errors into CLI errors that name the field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from portal.services.errors import ServiceError


@contextmanager
def reported() -> Iterator[None]:
    try:
        yield
    except ServiceError as error:
        where = f"--{error.field.replace('_', '-')}: " if error.field else ""
        raise click.ClickException(f"{where}{error.message}") from None
