"""CSV exports never hand a spreadsheet a formula."""

from __future__ import annotations

import csv
import io

import pytest

from portal.services.spreadsheets import csv_text, safe_cell


@pytest.mark.parametrize(
    "cell", ["=1+1", "+33 1 23", "-2", "@SUM(A1)", "\t=cmd", "\r=cmd", '=HYPERLINK("x")']
)
def test_formula_starts_are_neutralised(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["https://a.example/=x", "plain", "", "1-2", "a@b.example"])
def test_other_cells_are_unchanged(cell):
    assert safe_cell(cell) == cell


def test_none_is_an_empty_cell_and_numbers_are_text():
    assert safe_cell(None) == "" and safe_cell(-3) == "'-3" and safe_cell(4) == "4"


def test_document_round_trips_through_a_csv_reader():
    text = csv_text(["url", "note"], [["https://x.example/a,b", '=cmd|" /C calc"!A0'], [None, 5]])
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["url", "note"], ["https://x.example/a,b", '\'=cmd|" /C calc"!A0'], ["", "5"]]
