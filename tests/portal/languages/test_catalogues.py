"""The five catalogues: in step with the code, every message translated, and every
translation keeping its message's placeholders and markup.

No database: these run once, not per backend.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message

from portal import catalogues
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, SCRIPT_MESSAGES

PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[sdif%]")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
SCRIPT_CALL = re.compile(r"""ischiaText\(\s*(["'`])((?:(?!\1).)*)\1""", re.S)
# ischiaCount(count, "singular", "plural", values): both forms are messages.
COUNT_CALL = re.compile(
    r"""ischiaCount\([^,]+,\s*(["'`])((?:(?!\1).)*)\1\s*,\s*(["'`])((?:(?!\3).)*)\3""", re.S
)
SCRIPTS = Path(catalogues.REPOSITORY, "portal", "static", "js")
TRANSLATED = [language for language in LANGUAGES if language != DEFAULT_LANGUAGE]


@pytest.fixture(scope="module")
def marked() -> Catalog:
    return catalogues.marked()


def _ids(catalogue: Catalog) -> set[object]:
    """Each message by its text and its context (one text may mean two things)."""
    return {(message.id, message.context) for message in catalogue if message.id}


def _forms(message: Message) -> list[str]:
    string = message.string
    return list(string) if isinstance(string, tuple) else [string]


def _sources(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_each_catalogue_holds_exactly_the_messages_the_code_marks(
    marked: Catalog, language: str
) -> None:
    held = _ids(catalogues.read(language))
    missing = sorted(map(str, _ids(marked) - held))
    stale = sorted(map(str, held - _ids(marked)))
    assert not missing, f"not in the {language} catalogue (make translations): {missing[:20]}"
    assert not stale, f"no longer used, still in the {language} catalogue: {stale[:20]}"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_message_is_translated(language: str) -> None:
    catalogue = catalogues.read(language)
    untranslated = [str(m.id) for m in catalogue if m.id and (m.fuzzy or not all(_forms(m)))]
    assert not untranslated, f"{len(untranslated)} untranslated in {language}: {untranslated[:20]}"


def test_english_is_the_code_itself() -> None:
    for message in catalogues.read(DEFAULT_LANGUAGE):
        if message.id:
            assert _forms(message) == _sources(message)[: len(_forms(message))] or (
                isinstance(message.id, tuple) and _forms(message) == _sources(message)
            ), message.id


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_placeholders_and_markup(language: str) -> None:
    wrong = []
    for message in catalogues.read(language):
        if not message.id:
            continue
        sources = _sources(message)
        wanted_names = {name for s in sources for name in PLACEHOLDER.findall(s) if name}
        wanted_tags = Counter(TAG.findall(sources[0]))
        for form in _forms(message):
            names = {name for name in PLACEHOLDER.findall(form) if name}
            # A plural form may leave the count out ("one message"), never add a name.
            if not names <= wanted_names or (len(sources) == 1 and names != wanted_names):
                wrong.append((message.id, form, "placeholders"))
            if Counter(TAG.findall(form)) != wanted_tags:
                wrong.append((message.id, form, "markup"))
            if form.count("%") - 2 * form.count("%%") != sum(
                1 for _ in PLACEHOLDER.finditer(form.replace("%%", ""))
            ):
                wrong.append((message.id, form, "stray %"))
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_are_not_english_left_in_place(language: str) -> None:
    """Some messages are the same in two languages ("Total", "Status", codes); most are not."""
    messages = [m for m in catalogues.read(language) if m.id]
    same = [m.id for m in messages if _forms(m) == _sources(m)[: len(_forms(m))]]
    assert len(same) <= max(3, len(messages) * 0.15), f"{len(same)} left in English: {same[:30]}"


def test_every_message_a_script_shows_is_translated_on_its_page() -> None:
    listed = {str(message._args[0]) for message in SCRIPT_MESSAGES}
    used = {
        match.group(2)
        for script in SCRIPTS.glob("*.js")
        for match in SCRIPT_CALL.finditer(script.read_text(encoding="utf-8"))
    }
    counted = [
        match
        for script in SCRIPTS.glob("*.js")
        for match in COUNT_CALL.finditer(script.read_text(encoding="utf-8"))
    ]
    assert len(counted) >= 3  # the workspace's hidden bulletins, paths and saved nodes
    used |= {form for match in counted for form in (match.group(2), match.group(4))}
    assert used <= listed, f"add to portal/i18n.py SCRIPT_MESSAGES: {sorted(used - listed)}"
