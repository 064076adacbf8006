"""A person's own preferences: the language the portal speaks to them."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import update

from portal.extensions import db
from portal.i18n import LANGUAGES, language_or_none
from portal.models import User
from portal.services.errors import InvalidInput


def checked_language(value: str | None) -> str:
    """``value`` if it names one of the portal's languages, else a clear error."""
    language = language_or_none(value)
    if language is None:
        raise InvalidInput(
            gettext(
                "Choose one of the portal's languages: %(choices)s.",
                choices=", ".join(f"{name} ({code})" for code, name in LANGUAGES.items()),
            ),
            field="language",
        )
    return language


def choose_language(user_id: int, value: str | None) -> str:
    """Keep ``value`` as the language of ``user_id``'s pages, e-mails and briefings."""
    language = checked_language(value)
    with db.write() as write:
        write.execute(update(User).where(User.id == user_id).values(language=language))
    return language
