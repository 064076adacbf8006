"""The five message catalogues: what the code marks for translation, and keeping the
``.po`` files in step with it (``flask --app wsgi translations update``, ``make translations``).

Messages are marked in Python with ``gettext``/``_``/``lazy_gettext``/``_l`` (Flask-Babel) and in
templates with ``_()``. English is the language of the code, so its catalogue holds every
message as itself; the other four hold the translations, which a person writes after an update
(new messages arrive empty, never guessed from a similar one).
"""

from __future__ import annotations

import copy
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from portal.i18n import CATALOGUES, DEFAULT_LANGUAGE, LANGUAGES

REPOSITORY = Path(__file__).resolve().parent.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_pgettext": ((1, "c"), 2)}
# Python under portal/ and the templates; the JSON API and TAXII speak English only.
METHODS = [
    ("portal/api/token_pages.py", "python"),  # pages for people, under the API's package
    ("portal/api/**.py", "ignore"),
    ("portal/taxii/**.py", "ignore"),
    ("portal/**.py", "python"),
    ("templates/**.html", "jinja2"),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def marked() -> Catalog:
    """Every message marked in the code and templates, with the files that use it."""
    source = Catalog(project="Ischia", charset="utf-8")
    found = extract_from_dir(
        REPOSITORY,
        METHODS,
        OPTIONS,
        KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        source.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return source


def path(language: str) -> Path:
    return CATALOGUES / language / "LC_MESSAGES" / "messages.po"


def read(language: str) -> Catalog:
    with path(language).open("rb") as po:
        return read_po(po, locale=language)


def update() -> dict[str, int]:
    """Bring every catalogue in step with the code: new messages added (English filled in, the
    others empty), messages no longer used removed. Returns how many are untranslated each."""
    source = marked()
    untranslated = {}
    for language in LANGUAGES:
        catalogue = read(language) if path(language).exists() else Catalog(locale=language)
        catalogue.update(copy.deepcopy(source), no_fuzzy_matching=True)
        catalogue.project, catalogue.version = "Ischia", "1"
        catalogue.copyright_holder = catalogue.msgid_bugs_address = "Ischia"
        catalogue.last_translator = catalogue.language_team = "Ischia"
        catalogue.fuzzy = False
        for message in catalogue:
            if message.id and language == DEFAULT_LANGUAGE:
                message.string = message.id
        path(language).parent.mkdir(parents=True, exist_ok=True)
        with path(language).open("wb") as po:
            write_po(
                po,
                catalogue,
                width=100,
                no_location=True,
                sort_output=True,
                ignore_obsolete=True,
                include_previous=False,
            )
        untranslated[language] = sum(1 for m in catalogue if m.id and not _done(m.string))
    return untranslated


def _done(string: object) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)
