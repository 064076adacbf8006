"""Forms for administrators."""

from __future__ import annotations

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
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.models import OrgKind, Role


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
    code = StringField("Code (such as FR-MININT)", validators=[DataRequired(), Length(max=32)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    country = StringField(
        "Country (ISO 3166 two-letter code, if any)", validators=[Optional(), Length(max=2)]
    )
    kind = SelectField(
        "Kind", choices=[SelectChoice(k.value, k.value.capitalize()) for k in OrgKind]
    )
    admin_email = EmailField(
        "First administrator's e-mail", validators=[DataRequired(), Length(max=254)]
    )
    admin_name = StringField(
        "First administrator's name", validators=[DataRequired(), Length(max=200)]
    )
    admin_password = PasswordField(
        "Temporary password (they must change it at first sign-in)",
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "new-password"},
    )


class UserForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    roles = CheckboxList("Roles", validators=[DataRequired(message="Choose at least one role.")])
    password = PasswordField(
        "Temporary password (they must change it at first sign-in)",
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "new-password"},
    )


class RolesForm(FlaskForm):
    roles = CheckboxList("Roles", validators=[DataRequired(message="Choose at least one role.")])


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New temporary password",
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "new-password"},
    )


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    event = SelectField("Event", choices=[], validators=[Optional()], validate_choice=False)
    email = StringField("User e-mail", validators=[Optional(), Length(max=254)])
    outcome = SelectField(
        "Outcome",
        choices=choices([("", "Any"), ("success", "Success"), ("failure", "Failure")]),
        validators=[Optional()],
    )
    since = DateField("From", validators=[Optional()])
    until = DateField("To (inclusive)", validators=[Optional()])
