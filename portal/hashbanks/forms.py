"""Forms of the hash bank pages: match (an image or pasted hashes) and add entries."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import SelectField, StringField, TextAreaField

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Length

from portal.services.hashbanks.banks import MAX_LABEL

KINDS = [
    SelectChoice("pdq", _l("PDQ (images, 64 hex digits)")),
    SelectChoice("sha256", _l("SHA-256 (files, 64 hex digits)")),
    SelectChoice("md5", _l("MD5 (files, 32 hex digits)")),
]
MAX_PASTE = 400_000  # 5,000 lines of 64 digits and their line ends


def pasted_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class MatchForm(FlaskForm):
    image = FileField(_l("Image to hash (read in memory, never stored)"))
    kind = SelectField(_l("Kind of the pasted hashes"), choices=KINDS, default="pdq")
    hashes = TextAreaField(_l("Or paste hashes, one a line"), validators=[Length(max=MAX_PASTE)])


class AddEntriesForm(FlaskForm):
    kind = SelectField(_l("Kind of the pasted hashes"), choices=KINDS, default="pdq")
    hashes = TextAreaField(_l("Hashes, one a line"), validators=[Length(max=MAX_PASTE)])
    images = MultipleFileField(_l("Or images to hash (PDQ, SHA-256 and MD5 of each are added)"))
    label = StringField(_l("Label (optional)"), validators=[Length(max=MAX_LABEL)])
    case = StringField(_l("From referral case (optional id)"), validators=[Length(max=32)])


class ActionForm(FlaskForm):
    """Only the CSRF token: the remove buttons."""
