"""Names in Arabic, Hebrew or Persian script stay right in every table: each cell takes its
direction from its own text (``dir="auto"``) and aligns to its start (``text-align: start``),
so an Arabic name sits on the right and a Latin one on the left of the same column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.portal.bulletins.sessions import Clients

ROOT = Path(__file__).resolve().parents[3]
CELL = re.compile(r"<t[dh](?=[\s>])[^>]*>")


def cells_without_direction() -> list[str]:
    return [
        f"{path.relative_to(ROOT)}: {cell}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for cell in CELL.findall(path.read_text(encoding="utf-8"))
        if "dir=" not in cell
    ]


def test_every_table_cell_of_every_template_takes_its_direction_from_its_text():
    assert cells_without_direction() == []


@pytest.mark.parametrize(
    "sheet", ["portal/static/css/portal.css", "portal/static/briefing/briefing.css"]
)
def test_cells_align_to_the_start_of_their_own_direction(sheet):
    css = (ROOT / sheet).read_text(encoding="utf-8")
    rule = re.search(r"^th, td \{([^}]*)\}", css, re.M)
    assert rule is not None and "text-align: start" in rule.group(1)


def test_an_arabic_name_is_a_cell_of_its_own_direction_on_the_read_page(app, people, desk):
    entities = [
        {"ref": "p1", "type": "person", "value": "عمر البهازي", "role": "recruiter"},
        {"ref": "a1", "type": "account", "platform": "telegram", "value": "@example_media"},
    ]
    relations = [{"source": "p1", "type": "uses_account", "target": "a1"}]
    bulletin_id = desk.post(entities=entities, relations=relations)
    html = Clients(app, people)["fr.analyst"].get(f"/bulletins/{bulletin_id}").text
    assert re.search(r'<td dir="rtl">(<a [^>]*>)?عمر البهازي', html)
    # The Relations table's "From" cell holds the name itself, right to left like the Persons
    # table's (a cell holding only an element of its own direction would stay left to right).
    relations = html[html.index('id="relations-title"') :]
    assert re.search(r'<td dir="rtl">عمر البهازي</td>', relations)
    assert re.search(r'<li dir="auto">', relations)


def test_a_cells_direction_is_that_of_its_first_strong_character():
    from portal.text_direction import text_dir

    assert [text_dir(t) for t in ("عمر", "Omar", "2026-05-02", "", "@١٢ عمر", "123 Omar")] == [
        "rtl", "ltr", "auto", "auto", "rtl", "ltr",
    ]  # fmt: skip
