"""Watchlist forms. An identifier is typed into a POST form, never a URL: it reaches no log."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, Optional

from portal.services.bulletins.content import Platform
from portal.services.discovery.hits import MAX_QUERY, platform_label


def platform_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Any / not an account"))] + [
        SelectChoice(p.value, platform_label(p.value)) for p in Platform if p is not Platform.OTHER
    ]


class WatchForm(FlaskForm):
    q = StringField(
        _l("Identifier or name"),
        validators=[
            DataRequired(message=_l("Type an identifier or a name to watch.")),
            Length(
                max=MAX_QUERY, message=_l("Type at most %(count)s characters.", count=MAX_QUERY)
            ),
        ],
    )
    # The service checks the platform, so a forged one gets its clear message.
    platform = SelectField(
        _l("Platform (for a handle)"), choices=platform_choices(), validate_choice=False
    )


class RelayForm(FlaskForm):
    """The organisation's SMTP relay for watchlist e-mails (empty host: none)."""

    host = StringField(
        _l("Relay host"),
        validators=[
            Optional(),
            Length(max=255, message=_l("At most %(count)s characters.", count=255)),
        ],
    )
    port = IntegerField(_l("Port"), validators=[Optional()], default=587)
    sender = StringField(
        _l("From address"),
        validators=[
            Optional(),
            Length(max=254, message=_l("At most %(count)s characters.", count=254)),
        ],
    )
    starttls = BooleanField(_l("Use STARTTLS (the mail is sent in clear without it)"), default=True)
