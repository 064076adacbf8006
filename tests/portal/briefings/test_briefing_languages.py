"""A briefing is written in one language: its headings, dates, numbers, charts and figure in the
language it was asked in, while names in Arabic, Cyrillic and Japanese stay as they were written.

The HTML is rendered as the briefing job renders it (inside ``portal.i18n.speaking``), from
opened bulletins made here (no database); the Japanese one is also rendered to PDF and read back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from portal.services.briefings.pdf_renderer import Renderer, RenderLimits
from portal.services.bulletins.content import BulletinContent, Relation, RelationType
from tests.portal.briefings.pdf_text import page_texts
from tests.portal.briefings.test_minister import (
    ARABIC,
    _account,
    _briefing_html,
    _bulletin,
    _person,
    briefing_app,  # noqa: F401  (a fixture)
)

CYRILLIC = "Абу Мухаммад"  # noqa: RUF001  (Cyrillic on purpose)
JAPANESE = "山田太郎"


def _bulletins() -> list:
    content = BulletinContent(
        title="Recruiters relaunch a channel",
        summary="Three recruiters moved to new Telegram channels in April.",
        body="The channels were relaunched after a takedown.",
        entities=(
            _person("a", ARABIC),
            _person("c", CYRILLIC),
            _person("j", JAPANESE),
            _account("x", "@relaunch"),
        ),
        relations=(
            Relation("a", RelationType.USES_ACCOUNT, "x"),
            Relation("c", RelationType.USES_ACCOUNT, "x"),
            Relation("j", RelationType.USES_ACCOUNT, "x"),
        ),
    )
    return [_bulletin(2, content)]


def _html(app: Flask, language: str) -> str:
    return _briefing_html(app, _bulletins(), language)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


ENGLISH = ("Executive summary", "Key points", "Contents", "Prepared for", "Link graph")


def test_a_french_briefing_has_french_headings_and_dates(briefing_app: Flask) -> None:  # noqa: F811
    html = _html(briefing_app, "fr")
    text = _text(html)
    assert '<html lang="fr">' in html
    for words in ("Synthèse", "Points clés", "Sommaire", "Établie pour", "Graphe de liens"):
        assert words in text, words
    assert "2 mai 2026, 09:30 UTC" in text  # the cover's date and the running copy line
    assert "datés du 2 mai 2026 au 2 mai 2026" in text
    assert "Bulletins par mois" in html and "mai 2026" in html  # a chart, its month in words
    assert "Types d&#39;entités" in html or "Types d'entités" in html  # the figure's legend
    assert "Note de synthèse Ischia · Page &#34; counter(page)" not in html
    assert '"Note de synthèse Ischia · Page " counter(page) " sur " counter(pages)' in html
    for words in ENGLISH:
        assert words not in text, words
    for name in (ARABIC, CYRILLIC, JAPANESE):
        assert name in text


def test_a_japanese_briefing_has_japanese_headings_and_dates(briefing_app: Flask) -> None:  # noqa: F811
    html = _html(briefing_app, "ja")
    text = _text(html)
    assert '<html lang="ja">' in html
    for words in ("要旨", "要点", "目次", "作成対象", "リンクグラフ"):
        assert words in text, words
    assert "2026/05/02 09:30 UTC" in text
    assert "2026年5月2日" in text
    for words in ENGLISH:
        assert words not in text, words
    for name in (ARABIC, CYRILLIC, JAPANESE):
        assert name in text


def test_english_stays_the_default(briefing_app: Flask) -> None:  # noqa: F811
    text = _text(_html(briefing_app, "en"))
    assert "Executive summary" in text and "2 May 2026, 09:30 UTC" in text


@pytest.fixture(scope="module")
def japanese_pdf(tmp_path_factory: pytest.TempPathFactory, briefing_app: Flask) -> list[str]:  # noqa: F811
    renderer = Renderer(RenderLimits(timeout_s=300))
    try:
        rendered = renderer.render(_html(briefing_app, "ja"))
    finally:
        renderer.close()
    path: Path = tmp_path_factory.mktemp("japanese") / "briefing.pdf"
    path.write_bytes(rendered.pdf)
    return page_texts(path)


def test_the_japanese_pdf_reads_in_japanese_with_every_name_intact(japanese_pdf: list[str]) -> None:
    every = " ".join(japanese_pdf)
    flat = "".join(every.split())
    assert "Ischiaブリーフィング資料·1/" in flat  # the running header, in Japanese
    for words in ("要旨", "要点", "目次"):
        assert words in flat, words
    for name in (CYRILLIC, JAPANESE):
        assert "".join(name.split()) in flat, name
    assert "Executive summary" not in every
