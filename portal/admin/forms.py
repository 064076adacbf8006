"""Forms for administrators."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.i18n import REQUIRED
from portal.models import OrgKind, Role

# Organisation kinds in words (the stored codes are member, observer and platform).
KIND_LABELS = {
    "member": _l("Member"),
    "observer": _l("Observer"),
    "platform": _l("Platform partner"),
}


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices(include_sysadmin: bool, allowed: frozenset[Role]) -> list[SelectChoice]:
    """The roles to offer: those the organisation's kind allows (a ministry is never offered
    "Platform liaison"), and "System administrator" only to a system administrator."""
    return [
        SelectChoice(r.value, r.label)
        for r in Role
        if r in allowed and (include_sysadmin or r is not Role.SYSADMIN)
    ]


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class OrganisationForm(FlaskForm):
    code = StringField(
        _l("Code (such as FR-MININT)"), validators=[DataRequired(REQUIRED), Length(max=32)]
    )
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    country = StringField(
        _l("Country (ISO 3166 two-letter code, if any)"), validators=[Optional(), Length(max=2)]
    )
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k.value, KIND_LABELS[k.value]) for k in OrgKind]
    )
    admin_email = EmailField(
        _l("First administrator's e-mail"), validators=[DataRequired(REQUIRED), Length(max=254)]
    )
    admin_name = StringField(
        _l("First administrator's name"), validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    admin_password = PasswordField(
        _l("Temporary password (they must change it at first sign-in)"),
        validators=[DataRequired(REQUIRED), Length(max=512)],
        render_kw={"autocomplete": "new-password"},
    )


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(REQUIRED), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    roles = CheckboxList(
        _l("Roles"), validators=[DataRequired(message=_l("Choose at least one role."))]
    )
    password = PasswordField(
        _l("Temporary password (they must change it at first sign-in)"),
        validators=[DataRequired(REQUIRED), Length(max=512)],
        render_kw={"autocomplete": "new-password"},
    )


class RolesForm(FlaskForm):
    roles = CheckboxList(
        _l("Roles"), validators=[DataRequired(message=_l("Choose at least one role."))]
    )


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("New temporary password"),
        validators=[DataRequired(REQUIRED), Length(max=512)],
        render_kw={"autocomplete": "new-password"},
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    event = SelectField(_l("Event"), choices=[], validators=[Optional()], validate_choice=False)
    email = StringField(_l("User e-mail"), validators=[Optional(), Length(max=254)])
    outcome = SelectField(
        _l("Outcome"),
        choices=[
            SelectChoice("", _l("Any")),
            SelectChoice("success", _l("Success")),
            SelectChoice("failure", _l("Failure")),
        ],
        validators=[Optional()],
    )
    since = DateField(_l("Since (date)"), validators=[Optional()])
    until = DateField(_l("Until (date, inclusive)"), validators=[Optional()])

    def validate_until(self, field: DateField) -> None:
        """A period that ends before it starts finds nothing: say so rather than 'no records'."""
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end is before the start: choose a later date."))
