"""Watchlist forms. An identifier is typed into a POST form, never a URL: it reaches no log."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, Optional

from portal.services.bulletins.content import Platform
from portal.services.discovery.hits import MAX_QUERY, platform_label


def platform_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Any / not an account")] + [
        SelectChoice(p.value, platform_label(p.value)) for p in Platform if p is not Platform.OTHER
    ]


class WatchForm(FlaskForm):
    q = StringField(
        "Identifier or name",
        validators=[
            DataRequired(message="Type an identifier or a name to watch."),
            Length(max=MAX_QUERY, message=f"Type at most {MAX_QUERY} characters."),
        ],
    )
    # The service checks the platform, so a forged one gets its clear message.
    platform = SelectField(
        "Platform (for a handle)", choices=platform_choices(), validate_choice=False
    )


class RelayForm(FlaskForm):
    """The organisation's SMTP relay for watchlist e-mails (empty host: none)."""

    host = StringField(
        "Relay host", validators=[Optional(), Length(max=255, message="At most 255 characters.")]
    )
    port = IntegerField("Port", validators=[Optional()], default=587)
    sender = StringField(
        "From address",
        validators=[Optional(), Length(max=254, message="At most 254 characters.")],
    )
    starttls = BooleanField("Use STARTTLS (the mail is sent in clear without it)", default=True)
