# ruff: noqa: RUF001  (the Japanese title is written with its own full-width brackets)
"""Chart titles are SVG text, which never wraps by itself: long ones (German, Japanese) are
broken into lines that fit the chart's width, and the chart grows to hold them."""

from __future__ import annotations

import re

from portal.services.briefings.charts import WIDTH, _units, bar_chart, title_lines

GERMAN = (
    "Gemeldete Elemente pro Woche (UTC, Montag bis Sonntag), die letzten 90 Tage "
    "(05.09.2026 bis 04.12.2026)"
)
JAPANESE = (
    "週ごとの通報件数（UTC、月曜日から日曜日）、直近90日間（2026年9月5日から2026年12月4日まで）"
)
LIMIT = int(640 / (13 * 0.62))


def test_a_long_title_breaks_between_words_within_the_width() -> None:
    lines = title_lines(GERMAN, 640)
    assert len(lines) == 2
    assert all(_units(line) <= LIMIT for line in lines)
    assert " ".join(lines) == GERMAN  # nothing lost, no word cut
    assert title_lines("Items by outcome", 640) == ["Items by outcome"]


def test_a_title_without_spaces_breaks_between_letters() -> None:
    lines = title_lines(JAPANESE, 640)
    assert len(lines) == 2 and all(_units(line) <= LIMIT for line in lines)
    assert "".join(lines) == JAPANESE


def test_the_chart_grows_by_the_titles_extra_lines_and_escapes_them() -> None:
    short = str(bar_chart("Short", [("a", 1)]))
    long = str(bar_chart(GERMAN + " <b>&", [("a", 1)]))
    height = [int(re.search(r'height="(\d+)"', svg)[1]) for svg in (short, long)]  # type: ignore[index]
    assert height[1] == height[0] + 16
    assert long.count("<tspan") == 2 and "&lt;b&gt;&amp;" in long and "<b>" not in long
    assert 'transform="translate(0 16)"' in long and f'width="{WIDTH}"' in long
