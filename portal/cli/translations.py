"""``flask --app wsgi translations update``: the catalogues in step with the code."""

from __future__ import annotations

import click

from portal import catalogues


@click.group("translations")
def translations_group() -> None:
    """The five message catalogues (portal/translations)."""


@translations_group.command("update")
def update() -> None:
    """Add new messages to every catalogue and drop those no longer used."""
    for language, missing in catalogues.update().items():
        click.echo(f"{language}: {missing} message(s) to translate")
