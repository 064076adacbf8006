"""The G7's languages: English, French, German, Italian and Japanese.

Messages are marked in the code with Flask-Babel (``_`` in templates, ``gettext`` or
``lazy_gettext`` in Python) and translated in ``portal/translations/<lang>/LC_MESSAGES/
messages.po``. The catalogues are read from those ``.po`` files once per process: there is no
compiled ``.mo`` to forget to rebuild. ``make translations`` re-extracts the messages and
updates every catalogue; tests/portal/test_translations.py fails on any message that is not
translated in all five.

Which language a page speaks: the signed-in user's choice, else the language chosen on the
sign-in page (a cookie), else the browser's Accept-Language, else English. The JSON API and
TAXII speak English, the language of their documentation and of the client code that reads
their messages. Dates and numbers follow the same language (English as written in the UK:
day before month, 24-hour clock).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, dates, lists, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context, request
from flask_babel import Babel, Domain, force_locale, get_locale, pgettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "it": "Italiano",
    "ja": "日本語",
}
DEFAULT_LANGUAGE = "en"
COOKIE = "ischia_lang"
CATALOGUES = Path(__file__).resolve().parent / "translations"
# Blueprints whose answers are read by programs: always English.
ENGLISH_ONLY = frozenset({"api", "taxii"})
# How each language writes dates and numbers (British English for English).
_FORMAT_LOCALES = {"en": "en_GB", "fr": "fr_FR", "de": "de_DE", "it": "it_IT", "ja": "ja_JP"}


# A required field's message for every form (WTForms' own words differ by language: German
# "Dieses Feld wird benötigt." beside the portal's "Dieses Feld ist erforderlich.").
REQUIRED = _l("This field is required.")


def language_or_none(value: object) -> str | None:
    """``value`` if it names one of the five languages, else None."""
    return value if isinstance(value, str) and value in LANGUAGES else None


def select_language() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if request.blueprint in ENGLISH_ONLY:
        return DEFAULT_LANGUAGE
    chosen = None
    if current_user and current_user.is_authenticated:
        chosen = language_or_none(getattr(current_user, "language", None))
    chosen = chosen or language_or_none(request.cookies.get(COOKIE))
    return chosen or request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


@cache
def catalogue(language: str) -> NullTranslations:
    """The translations of ``language`` read from its ``.po`` (fuzzy entries left out)."""
    path = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        messages = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, messages, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled)


class _CatalogueDomain(Domain):
    """Flask-Babel's domain, reading the catalogues above instead of compiled files."""

    def get_translations(self) -> NullTranslations:
        locale = get_locale()
        return catalogue(locale.language if locale is not None else DEFAULT_LANGUAGE)


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def _format_locale() -> Locale:
    return Locale.parse(_FORMAT_LOCALES[language_or_none(current_language()) or "en"])


def when(moment: datetime | None, seconds: bool = False, zone: bool = True) -> str:
    """A UTC moment as the reader's language writes it: '4 Dec 2026, 11:54 UTC',
    '4 déc. 2026, 11:54 UTC', '2026/12/04 11:54 UTC'."""
    if moment is None:
        return "—"
    locale = _format_locale()
    time_pattern = "HH:mm:ss" if seconds else "HH:mm"
    text = str(dates.get_datetime_format("medium", locale=locale))
    text = text.replace("{1}", dates.format_date(moment, "medium", locale=locale)).replace(
        "{0}", dates.format_time(moment, time_pattern, locale=locale)
    )
    return f"{text} UTC" if zone else text


def day(value: date | datetime | None, width: str = "medium") -> str:
    """A date as the reader's language writes it ('4 Dec 2026', '04.12.2026', '2026/12/04')."""
    if value is None:
        return "—"
    return dates.format_date(value, width, locale=_format_locale())


def number(value: float | int | None) -> str:
    """A number as the reader's language writes it (1,234 · 1 234 · 1.234)."""
    if value is None:
        return "—"
    return numbers.format_decimal(value, locale=_format_locale())


def any_of(words: list[str]) -> str:
    """Alternatives as the reader's language joins them ("Telegram or X", "Telegram ou X")."""
    return lists.format_list(words, style="or", locale=_format_locale()) if words else ""


def labelled(label: object, value: object) -> str:
    """ "label: value" as the reader's language writes it (French: a no-break space before the
    colon; Japanese: a full-width colon)."""
    return pgettext("a label and its value", "%(label)s: %(value)s", label=label, value=value)


def label_end(label: object) -> str:
    """A label before a value set apart from it ("Reason:"), as the language writes it."""
    return pgettext("a label before its value", "%(label)s:", label=label)


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Messages, dates and numbers in ``language`` (a stored choice) for the block: e-mails
    and briefings made outside the request of the person who reads them."""
    with force_locale(language_or_none(language) or DEFAULT_LANGUAGE):
        yield


# Messages that the browser scripts show, translated on the page that loads them
# (``window.ischiaText``). tests/portal/languages/test_catalogues.py checks that every
# ``ischiaText("…")`` in portal/static/js is listed here.
SCRIPT_MESSAGES: tuple[Any, ...] = (
    _l("Loading…"),
    _l("Could not load: %(reason)s"),
    # area b1: compose
    _l("Relation %(n)s"),
    # Area r1: the referral queue's clocks (referral_clock.js), bulk upload (referral_bulk.js).
    _l("%(days)s d %(hours)s h"),
    _l("%(hours)s h %(minutes)s min"),
    _l("%(minutes)s min"),
    _l("%(seconds)s s"),
    _l("%(time)s left"),
    _l("overdue by %(time)s"),
    _l("Queued"),
    _l("Running"),
    _l("Done"),
    _l("Failed"),
    # referrals (area r2): refer.js
    _l("Item %(number)s"),
    # Area d: the link-analysis workspace and the briefing form (analysis.js, briefing.js).
    _l("Person"),
    _l("Online account"),
    _l("Group"),
    _l("Phone"),
    _l("E-mail"),
    _l("Web address"),
    _l("Place"),
    _l("Error %(status)s"),
    _l("Cell %(cell)s: %(count)s on screen"),
    _l("%(entities)s entities, %(relations)s relations on screen."),
    _l("Expanded %(entity)s: %(message)s"),
    _l("%(entities)s entities on screen; computing cells and influence of the whole graph…"),
    _l("Cells and influence are still being computed: apply the filters again later."),
    _l("No entity of your organisation's graph matches."),
    _l("%(count)s records; spellings: %(spellings)s"),
    _l("Records of %(name)s"),
    _l("Entity"),
    _l("%(type)s · reported by %(organisations)s"),
    _l("Expand"),
    _l("Collapse"),
    _l("Path from here"),
    _l("Path to here"),
    _l("Referred by your organisation"),
    _l("Bulletins you can read (%(count)s)"),
    _l("Ask %(org)s for access"),
    _l("Possibly the same person"),
    _l("%(record)s — score %(score)s: %(reasons)s"),
    _l("Recorded: the same person. The graph joins them."),
    _l("Recorded: not the same person."),
    _l("Decision recorded."),
    _l("Same person"),
    _l("Not the same"),
    _l("Decisions on record"),
    _l("Not the same person"),
    _l("Revoke"),
    _l("Decision revoked."),
    _l("Relation"),
    _l("Dated %(dates)s"),
    _l("Stated in (%(count)s)"),
    _l("Choose both ends of the path in the entity panel."),
    _l("These two entities are not connected in your organisation's graph."),
    _l("Event"),
    _l("Reported in:"),
    _l("by %(sender)s (dated by the report)"),
    _l("by %(sender)s"),
    _l("No dated event among these entities."),
    _l("link graph"),
    _l("Saved “%(name)s” with %(count)s node."),
    _l("Saved “%(name)s” with %(count)s nodes."),
    _l("Making the briefing: the PDF downloads when it is ready."),
    _l("Also in %(count)s bulletin you cannot read, from %(from)s."),
    _l("Also in %(count)s bulletins you cannot read, from %(from)s."),
    _l("%(count)s shortest path of %(steps)s steps."),
    _l("%(count)s shortest paths of %(steps)s steps."),
    _l("uses account"),
    _l("uses phone"),
    _l("uses e-mail"),
    _l("member of"),
    _l("recruited"),
    _l("contacted"),
    _l("travelled to"),
    _l("financed"),
    _l("same as"),
    _l("related to"),
    _l("journey"),
    _l("bulletin"),
    _l("sighting"),
)


def source_of(message: Any) -> str:
    """The English text a lazy message (a LazyString) was marked with."""
    return str(message._args[0])


def script_messages() -> dict[str, str]:
    """Every script message and its translation in the current language."""
    return {source_of(message): str(message) for message in SCRIPT_MESSAGES}


@cache
def script_messages_version() -> str:
    """Changes whenever a catalogue does: the script messages' address carries it, so that
    browsers may keep the file for a year and still never use an old one."""
    digest = hashlib.sha256()
    for language in sorted(LANGUAGES):
        path = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


def init_app(app: Flask) -> None:
    babel = Babel(app, locale_selector=select_language, default_locale=DEFAULT_LANGUAGE)
    babel.domain_instance = _CatalogueDomain()
    app.jinja_env.filters.update(when=when, day=day, number=number)
    app.jinja_env.globals.update(
        languages=LANGUAGES,
        current_language=current_language,
        script_messages_version=script_messages_version,
        labelled=labelled,
        label_end=label_end,
    )
