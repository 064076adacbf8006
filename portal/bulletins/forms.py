"""Forms of the bulletins blueprint: compose/amend, and sharing groups.

The compose form checks only what HTML needs (CSRF, a well-formed date, group ids that are
numbers); the service validates the content, recipients and attachments, and names the field
of any problem by its path (``entities[2].value``). :meth:`ComposeForm.show_error` puts that
message next to the field the officer typed it in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    FormField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

# types-WTForms follows WTForms 3.2, which had no SelectChoice (new in 3.3).
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.bulletins.entity_forms import (
    EntityRowForm,
    RelationRowForm,
    entity_document,
    entity_is_empty,
    relation_document,
    relation_is_empty,
)
from portal.models import Organisation, OrgKind
from portal.services.bulletins.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_TOTAL_BYTES,
    Upload,
)
from portal.services.bulletins.content import (
    CATEGORY_LABELS,
    MAX_SUMMARY,
    MAX_TITLE,
    Category,
    Marking,
    is_choose_one_of,
)
from portal.services.bulletins.grading import MAX_CONDITIONS, Handling, Information, Source
from portal.services.bulletins.sealing import Draft
from portal.services.errors import ServiceError
from portal.services.organisations.sharing_groups import MAX_NAME, GroupView

_PATH = re.compile(r"^(entities|relations)\[(\d+)\](?:\.([a-z_]+))?")
_TOP_FIELDS = (
    "title",
    "summary",
    "body",
    "category",
    "marking",
    "recipients",
    "groups",
    "retain_until",
    "attachments",
    "tags",
)
# The service's paths of a grading, and the form field each is typed in.
_GRADING_FIELDS = {
    "grading": "grading_source",
    "grading.source": "grading_source",
    "grading.information": "grading_information",
    "grading.handling": "grading_handling",
    "grading.conditions": "grading_conditions",
}


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


@dataclass
class Problem:
    """A message for the error summary at the top, linking to the field it is about."""

    anchor: str
    message: str
    label: str = ""  # the field's label: the summary names it


@dataclass
class Layout:
    """Which form row each entity and relation the service saw came from (empty rows skipped)."""

    entity_rows: list[int] = field(default_factory=list)
    relation_rows: list[int] = field(default_factory=list)


def organisation_label(org: Organisation) -> str:
    if org.kind is OrgKind.OBSERVER:
        return str(gettext("%(code)s · %(name)s (observer)", code=org.code, name=org.name))
    return f"{org.code} · {org.name}"


class ComposeForm(FlaskForm):
    """A bulletin as an officer writes it. Sender and author are never fields: see the view."""

    title = StringField(_l("Title"), render_kw={"maxlength": MAX_TITLE})
    summary = TextAreaField(_l("Summary"), render_kw={"maxlength": MAX_SUMMARY, "rows": 3})
    body = TextAreaField(_l("Body (Markdown)"), render_kw={"rows": 12})
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice("", _l("Choose a category"))]
        + [SelectChoice(c.value, CATEGORY_LABELS[c]) for c in Category],
        validate_choice=False,
    )
    marking = RadioField(
        _l("TLP marking"),
        choices=[SelectChoice(m.value, m.value) for m in Marking],
        validate_choice=False,
    )
    grading_source = RadioField(
        _l("Source reliability"),
        choices=[SelectChoice(m.value, m.value) for m in Source],
        validate_choice=False,
    )
    grading_information = RadioField(
        _l("Information reliability"),
        choices=[SelectChoice(m.value, m.value) for m in Information],
        validate_choice=False,
    )
    grading_handling = RadioField(
        _l("Handling code"),
        choices=[SelectChoice(m.value, m.value) for m in Handling],
        validate_choice=False,
    )
    grading_conditions = TextAreaField(
        _l("H3 restrictions"), render_kw={"maxlength": MAX_CONDITIONS, "rows": 2}
    )
    tags = TextAreaField(_l("Tags"), render_kw={"rows": 3, "spellcheck": "false"})
    recipients = CheckboxList(_l("Recipient organisations"), validate_choice=False)
    groups = CheckboxList(_l("Sharing groups"), coerce=int, validate_choice=False)
    retain_until = DateField(
        _l("Keep until"),
        validators=[Optional()],
        format="%Y-%m-%d",
        description=_l("After this date every copy is destroyed (crypto-shredded)."),
    )
    entities = FieldList(FormField(EntityRowForm), min_entries=1)
    relations = FieldList(FormField(RelationRowForm), min_entries=1)
    attachments = MultipleFileField(
        _l("Attachments (images or PDF)"),
        render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp,application/pdf"},
    )
    keep_attachments = BooleanField(_l("Keep the attachments of the current version"))

    def offer(self, organisations: list[Organisation], groups: list[GroupView]) -> None:
        """The recipients and sharing groups this officer may choose from."""
        self.recipients.choices = [
            SelectChoice(o.code, organisation_label(o)) for o in organisations
        ]
        self.groups.choices = [SelectChoice(g.id, g.name) for g in groups]

    def prefill(self, *, marking: str, retain_until: date) -> None:
        """Defaults of a new bulletin (set on GET only, so a POST never gets one silently)."""
        self.marking.data = marking
        self.retain_until.data = retain_until

    def assign_refs(self) -> None:
        """Give rows without a ref the smallest free ``eN``; refs already shown stay."""
        used = {(row.form.ref.data or "").strip() for row in self.entities}
        number = 1
        for row in self.entities:
            if (row.form.ref.data or "").strip():
                continue
            while f"e{number}" in used:
                number += 1
            row.form.ref.data = f"e{number}"
            used.add(f"e{number}")

    def uploads(self) -> list[Upload]:
        files = self.attachments.data or []
        return [
            Upload(f.filename or "", f.stream)
            for f in files
            if isinstance(f, FileStorage) and (f.filename or f.content_length)
        ]

    def draft(self) -> tuple[Draft, Layout]:
        """The service's draft, and where each of its entities and relations came from."""
        layout = Layout()
        entities = []
        for index, row in enumerate(self.entities):
            if not entity_is_empty(row.form):
                layout.entity_rows.append(index)
                entities.append(entity_document(row.form))
        relations = []
        for index, relation_row in enumerate(self.relations):
            if not relation_is_empty(relation_row.form):
                layout.relation_rows.append(index)
                relations.append(relation_document(relation_row.form))
        document = {
            "title": self.title.data or "",
            "summary": self.summary.data or "",
            "body": self.body.data or "",
            "entities": entities,
            "relations": relations,
            "grading": self._grading(),
            "tags": self.tags.data or "",
        }
        draft = Draft(
            document=document,
            category=self.category.data or "",
            marking=self.marking.data or "",
            recipients=list(self.recipients.data or []),
            groups=list(self.groups.data or []),
            retain_until=self.retain_until.data,
            uploads=self.uploads(),
        )
        return draft, layout

    def _grading(self) -> dict[str, str] | None:
        chosen = {
            "source": self.grading_source.data or "",
            "information": self.grading_information.data or "",
            "handling": self.grading_handling.data or "",
            "conditions": self.grading_conditions.data or "",
        }
        return chosen if any(chosen.values()) else None

    def grading_data(self, grading: dict[str, str | None] | None) -> None:
        """Show a grading (the current version's, or an imported one) in the form."""
        grading = grading or {}
        self.grading_source.data = grading.get("source") or ""
        self.grading_information.data = grading.get("information") or ""
        self.grading_handling.data = grading.get("handling") or ""
        self.grading_conditions.data = grading.get("conditions") or ""

    def show_error(self, error: ServiceError, layout: Layout) -> Problem:
        """Put the service's message next to the field its path names; return it for the summary."""
        path = error.field or ""
        if path in _GRADING_FIELDS:
            return _add(self[_GRADING_FIELDS[path]], error.message)
        match = _PATH.match(path)
        if match:
            section, position, name = match[1], int(match[2]), match[3]
            rows = layout.entity_rows if section == "entities" else layout.relation_rows
            entries = self.entities if section == "entities" else self.relations
            if position < len(rows):
                row = entries[rows[position]].form
                target = row[name] if name in row and name != "ref" else row["type"]
                return _add(target, error.message)
        top = path.split("[", 1)[0].split(".", 1)[0]
        if top in ("entities", "relations"):
            return _add(self[top][0].form["type"], error.message)
        if top in _TOP_FIELDS:
            return _add(self[top], error.message)
        return Problem("", error.message)  # about the bulletin as a whole: the summary says it

    def problems(self) -> list[Problem]:
        """The form's own errors (bad date, CSRF) for the summary."""
        found = []
        for name in _TOP_FIELDS:
            for message in self[name].errors:
                found.append(Problem(self[name].id, str(message), str(self[name].label.text)))
        return found

    def in_form_order(self, problems: list[Problem]) -> list[Problem]:
        """``problems`` as the fields come down the page (about the whole bulletin first)."""
        order: dict[str, int] = {}

        def walk(fields: Any) -> None:
            for one in fields:
                if isinstance(one, (FieldList, FormField)):
                    walk(one)
                else:
                    order.setdefault(one.id, len(order))

        walk(self)
        return sorted(problems, key=lambda p: order.get(p.anchor, -1))


# The service lists the allowed codes (right for the API); a form offers them as options.
_CHOOSE = {
    "category": _l("Choose a category."),
    "marking": _l("Choose a TLP marking."),
    "type": _l("Choose a type from the list."),
    "role": _l("Choose a role from the list."),
    "platform": _l("Choose a platform from the list."),
    "grading_source": _l("Choose the source's reliability (A, B, C or X)."),
    "grading_information": _l("Choose the information's reliability (1 to 4)."),
    "grading_handling": _l("Choose a handling code (H0 to H3)."),
}


def _add(target: Field, message: str) -> Problem:
    if is_choose_one_of(message) and target.short_name in _CHOOSE:
        message = str(_CHOOSE[target.short_name])
    target.errors = [*target.errors, message]
    return Problem(target.id, message, str(target.label.text))


def attachments_hint() -> str:
    return str(
        gettext(
            "Up to %(count)s files of at most %(each)s MB each, %(total)s MB together: images "
            "(PNG, JPEG, GIF, WebP) or PDF. The file's content decides its type, not its name.",
            count=MAX_ATTACHMENTS,
            each=MAX_ATTACHMENT_BYTES // 2**20,
            total=MAX_TOTAL_BYTES // 2**20,
        )
    )


class GroupForm(FlaskForm):
    name = StringField(_l("Name"), render_kw={"maxlength": MAX_NAME})
    members = CheckboxList(_l("Member organisations"), validate_choice=False)


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
