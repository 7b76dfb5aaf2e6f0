"""Checks shared by the tests of each page's CSV and XLSX downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from openpyxl import load_workbook

from organizations.exports import XLSX_CONTENT_TYPE
from tests.conftest import count_queries

# What a spreadsheet would run as a formula; a neutralised cell starts with an apostrophe.
FORMULA_STARTS = ("=", "+", "@", "\t", "\r")


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode())))


def xlsx_rows(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def download_url(url: str, fmt: str, **params: Any) -> str:
    """``url`` (which may carry a query already) asking for ``fmt``, as the page's links do:
    the page's own parameters first, ``format`` last."""
    query = urlencode(params)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}{query + '&' if query else ''}format={fmt}"


def download(client: Any, url: str, **params: Any) -> tuple[list[list[str]], list[list[Any]]]:
    """The table at ``url`` as CSV and as XLSX (opened with openpyxl): the same header, the same
    number of rows, no cell a spreadsheet would run. Returns both, header first."""
    as_csv = csv_rows(client.get(download_url(url, "csv", **params)))
    as_xlsx = xlsx_rows(client.get(download_url(url, "xlsx", **params)))
    assert as_csv[0] == [str(h) for h in as_xlsx[0]]
    assert len(as_csv) == len(as_xlsx)
    for row in as_csv[1:]:
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row), row
    for row in as_xlsx[1:]:
        assert not any(isinstance(cell, str) and cell.startswith(FORMULA_STARTS) for cell in row), (
            row
        )
    return as_csv, as_xlsx


def column(rows: list[list[Any]], name: str) -> list[Any]:
    """The values of the column headed ``name`` (rows as ``download`` returns them)."""
    index = rows[0].index(name)
    return [r[index] for r in rows[1:]]


def export_queries(client: Any, url: str, **params: Any) -> int:
    """Queries one CSV download of ``url`` takes, leaving out the tenant's ``set_config``."""
    with count_queries() as ctx:
        response = client.get(download_url(url, "csv", **params))
    assert response.status_code == 200
    return len(ctx.app_queries)


def assert_constant_queries(
    client: Any, url: str, add_rows: Callable[[], None], **params: Any
) -> None:
    """A download takes as many queries after ``add_rows`` as before it: it reads all rows at
    once, not one query per row."""
    client.get(download_url(url, "csv", **params))  # warm the session and caches
    before = export_queries(client, url, **params)
    rows_before = len(csv_rows(client.get(download_url(url, "csv", **params))))
    add_rows()
    after = export_queries(client, url, **params)
    rows_after = len(csv_rows(client.get(download_url(url, "csv", **params))))
    assert rows_after > rows_before, "add_rows must add rows to the download"
    assert after == before, (before, after)


def rename(member: Any, name: str) -> None:
    """Give a person a name of their choosing, through the profile service (as they would)."""
    from organizations.profile.services import do_update_profile

    do_update_profile(member.user, full_name=name, time_zone="", email_reminders=True)
