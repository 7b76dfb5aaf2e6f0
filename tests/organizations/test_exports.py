"""CSV and XLSX downloads neutralise cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from organizations.exports import neutralise, tabular_response

ROWS = [
    ['=HYPERLINK("http://evil")', 3, dt.date(2026, 1, 2)],
    ["+1", -2.5, None],
    ["@SUM(A1)", 0, "plain"],
    ["\tcmd", 1, "-x"],
]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_it_neutralises_formula_text(text):
    assert neutralise(text) == "'" + text


def test_it_keeps_numbers_and_plain_text():
    assert neutralise(-3) == -3
    assert neutralise("Anna") == "Anna"
    assert neutralise(None) == ""


def test_csv_download_is_neutralised():
    response = tabular_response("csv", "People list", ["Name", "Score", "When"], ROWS)
    assert response["Content-Disposition"] == 'attachment; filename="people-list.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Name", "Score", "When"]
    assert rows[1] == ['\'=HYPERLINK("http://evil")', "3", "2026-01-02"]
    assert rows[4][0] == "'\tcmd" and rows[4][2] == "'-x"


def test_xlsx_download_opens_with_openpyxl_and_is_neutralised():
    response = tabular_response("xlsx", "people", ["Name", "Score", "When"], ROWS)
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Name", "Score", "When"]
    assert values[1][0] == '\'=HYPERLINK("http://evil")' and values[1][1] == 3
    assert values[2][1] == -2.5
    assert all(not str(v).startswith(("=", "+", "@", "\t")) for row in values for v in row if v)


def test_it_refuses_an_unknown_format():
    with pytest.raises(ValueError):
        tabular_response("pdf", "x", ["a"], [])
