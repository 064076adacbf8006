"""Forms of the bulletin lifecycle: release, retract, identifier search, access requests.

Choices that depend on the database (the organisations a bulletin may be released to) are not
enforced by the form: the service checks them and its error is shown next to the field, so a
forged value gets the same clear message as a stale page.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, Optional

from portal.services.bulletins.content import Platform
from portal.services.bulletins.lifecycle import MAX_RETRACTION_REASON
from portal.services.discovery.access_requests import MAX_REASON
from portal.services.discovery.hits import MAX_QUERY, platform_label


class ReleaseForm(FlaskForm):
    org = SelectField(_l("Release to"), choices=[], validate_choice=False)
    confirm_red = BooleanField(
        _l(
            "I confirm this release of a TLP:RED bulletin: TLP:RED is for named recipients "
            "only, and this organisation will be able to read it."
        )
    )


class RetractForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason, shown to every recipient"),
        validators=[
            DataRequired(_l("Say why the bulletin is retracted: its recipients will read it.")),
            Length(
                max=MAX_RETRACTION_REASON,
                message=_l("Write at most %(max)s characters.", max=MAX_RETRACTION_REASON),
            ),
        ],
        render_kw={"maxlength": MAX_RETRACTION_REASON, "rows": 3},
        description=_l(
            "For example: the identification was wrong, or the source withdrew it. It is kept "
            "in the clear with the tombstone: do not repeat the intelligence here."
        ),
    )
    confirm = BooleanField(
        _l(
            "I understand that every version of this bulletin is destroyed for every "
            "organisation, ours included, and that this cannot be undone."
        )
    )


def platform_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Any / not an account"))] + [
        SelectChoice(p.value, platform_label(p.value)) for p in Platform if p is not Platform.OTHER
    ]


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(
        _l("Identifier or name"),
        validators=[
            Optional(),
            Length(max=MAX_QUERY, message=_l("Type at most %(max)s characters.", max=MAX_QUERY)),
        ],
    )
    # The service checks the platform, so a forged one gets its clear message.
    platform = SelectField(
        _l("Platform (for a handle)"), choices=platform_choices(), validate_choice=False
    )


class AccessRequestForm(FlaskForm):
    """Ask an originator for access. ``q``/``platform`` (search) or ``entity`` (read page) say
    which identifier; the bulletins are found again on the server."""

    org = HiddenField()
    q = HiddenField()
    platform = HiddenField()
    entity = HiddenField()
    reason = TextAreaField(
        _l("Why your organisation needs it (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_REASON, message=_l("Write at most %(max)s characters.", max=MAX_REASON)),
        ],
    )


class DecisionForm(FlaskForm):
    """Approve or decline: only the CSRF token."""


class ExpireForm(FlaskForm):
    """Run retention expiry now: only the CSRF token."""
