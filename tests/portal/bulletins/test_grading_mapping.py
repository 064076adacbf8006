"""The UK mapping functions against the tables of docs/grading-and-tags.md, row by row: the
documentation and the code cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.services.bulletins.grading import (
    Grading,
    Handling,
    Information,
    Source,
    parse_grading,
    uk_3x5x2,
    uk_5x5x5,
)
from portal.services.errors import InvalidInput

DOC = Path(__file__).resolve().parents[3] / "docs" / "grading-and-tags.md"
# Codes that are exact in both systems: each table's row changes one of them.
EXACT = {"source": Source.A, "information": Information.TWO, "handling": Handling.H0}


def _table(heading: str) -> list[list[str]]:
    lines = DOC.read_text("utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {heading} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _exact(cell: str, system: str) -> bool:
    return cell == "yes" or (cell.startswith("no (") and system not in cell)


def _cases() -> list[tuple[str, list[str]]]:
    cases = []
    for part, heading in (
        ("source", "Europol source"),
        ("information", "Europol information"),
        ("handling", "Europol handling"),
    ):
        cases += [(part, row) for row in _table(heading)]
    return cases


@pytest.mark.parametrize(
    ("part", "row"), _cases(), ids=lambda v: "-".join(v) if isinstance(v, list) else v
)
def test_each_documented_row_is_what_the_functions_give(part, row):
    code, three, five, exact = row[:4]
    codes = dict(EXACT)
    kind = {"source": Source, "information": Information, "handling": Handling}[part]
    codes[part] = kind(code)
    conditions = "Named recipients only." if codes["handling"] is Handling.H3 else None
    grading = Grading(codes["source"], codes["information"], codes["handling"], conditions)
    position = ("source", "information", "handling").index(part)
    uk3, uk5 = uk_3x5x2(grading), uk_5x5x5(grading)
    assert (uk3.source, uk3.intelligence, uk3.handling)[position] == three
    assert (uk5.source, uk5.intelligence, uk5.handling)[position] == five
    assert uk3.approximate is not _exact(exact, "3x5x2")
    assert uk5.approximate is not _exact(exact, "5x5x5")


def test_every_code_has_a_documented_row():
    documented = {(part, row[0]) for part, row in _cases()}
    every = {("source", m.value) for m in Source}
    every |= {("information", m.value) for m in Information}
    every |= {("handling", m.value) for m in Handling}
    assert documented == every


def test_the_documented_meanings_are_the_codes_meanings():
    for heading, kind in (("Source", Source), ("Information", Information), ("Handling", Handling)):
        rows = {row[0]: row[1] for row in _table(heading)}
        for member in kind:
            assert rows[member.value].startswith(member.meaning), member


def test_compact_codes():
    grading = parse_grading({"source": "b", "information": 2, "handling": "h2"})
    assert grading is not None and grading.code == "B2 · H2"
    assert uk_3x5x2(grading).code == "1AC" and uk_5x5x5(grading).code == "B25"
    assert (
        grading.passing_on == "H2: not to be disseminated without the permission of the provider."
    )


@pytest.mark.parametrize(
    "raw", [{"source": "A"}, {"source": None, "information": "1", "handling": "H0"}, [1]]
)
def test_incomplete_gradings_are_refused(raw):
    with pytest.raises(InvalidInput):
        parse_grading(raw)
