"""XLSX sources, streamed with openpyxl's read-only mode.

Values are the cached cell values (``data_only=True``: a formula gives its last computed
result, or None when the file was never opened in Excel), strings stripped with blank
ones turned into None. Date cells come as ``datetime`` (midnight for a plain date) and
are left so: the engine coerces per field. The header is the first row with a non-empty
cell; row numbers are Excel's.

Memory: rows are parsed one at a time, but openpyxl keeps the workbook's shared-strings
table in memory (every distinct text in the file), so a sheet of a million distinct texts
costs more than a CSV of it.

``reset_dimensions()`` is always called: some exporters write a wrong ``<dimension>``
(often ``A1``), and read-only mode would otherwise silently cut the sheet to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, cast

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from kizuna.importing.sources import (
    Row,
    Source,
    SourceError,
    SourceInfo,
    check_header_row,
    clean_headers,
    fit,
    unreadable,
)


class _Sheet(Protocol):
    """The part of openpyxl's ``ReadOnlyWorksheet`` used here (its stubs type it loosely)."""

    title: str
    sheet_state: str

    def reset_dimensions(self) -> None: ...

    def iter_rows(self, *, values_only: bool) -> Iterator[tuple[Any, ...]]: ...


class XlsxSource(Source):
    """One sheet of an XLSX workbook."""

    def __init__(self, path: Path, info: SourceInfo, header_number: int) -> None:
        super().__init__(path, info)
        self.header_number = header_number

    def rows(self) -> Iterator[Row]:
        width = len(self.info.headers)
        with _workbook(self.path) as workbook:
            sheet = cast(_Sheet, workbook[self.info.sheet or ""])
            for number, raw in _numbered_rows(sheet):
                if number <= self.header_number:
                    continue
                cells = [_clean(value) for value in raw]
                if any(cell is not None for cell in cells):
                    values, extra = fit(cells, width)
                    yield Row(number, values, extra)


def open_xlsx(path: Path, *, sheet: str | None = None) -> XlsxSource:
    """Find the sheet (named, or the first non-empty one) and its header row."""
    with _workbook(path) as workbook:
        if sheet is not None:
            if sheet not in workbook.sheetnames:
                names = ", ".join(workbook.sheetnames)
                raise SourceError(
                    "sheet_not_found",
                    f'there is no sheet "{sheet}"; the sheets are: {names}',
                    sheet=sheet,
                    sheets=workbook.sheetnames,
                )
            candidates = [cast(_Sheet, workbook[sheet])]
        else:
            # Visible sheets first: a hidden first sheet is usually a lookup table.
            sheets = [cast(_Sheet, ws) for ws in workbook.worksheets]
            candidates = sorted(sheets, key=lambda ws: ws.sheet_state != "visible")
        for candidate in candidates:
            found = _find_header(candidate)
            if found is not None:
                number, header = found
                check_header_row(header, number)
                info = SourceInfo("xlsx", None, None, clean_headers(header), candidate.title)
                return XlsxSource(path, info, number)
    if sheet is not None:
        raise SourceError("empty_file", f'the sheet "{sheet}" is empty', sheet=sheet)
    raise SourceError("empty_file", "every sheet of the workbook is empty")


def _find_header(sheet: _Sheet) -> tuple[int, list[object]] | None:
    for number, raw in _numbered_rows(sheet):
        cells = [_clean(value) for value in raw]
        if any(cell is not None for cell in cells):
            return number, cells
    return None


def _numbered_rows(sheet: _Sheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Rows with their Excel numbers (openpyxl fills missing rows from row 1)."""
    sheet.reset_dimensions()
    try:
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    except Exception as exc:  # a damaged sheet can fail in zipfile, XML parsing or openpyxl
        raise unreadable(exc) from exc


def _clean(value: object) -> object:
    if isinstance(value, str):
        return value.strip() or None
    return value


@contextmanager
def _workbook(path: Path) -> Iterator[Workbook]:
    """The workbook, read-only; opened from a file object because openpyxl refuses a *path*
    without an .xlsx extension, and uploads are stored under names of their own."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise unreadable(exc) from exc
    with handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # not a zip, not an OOXML package, damaged XML...
            raise unreadable(exc) from exc
        try:
            yield workbook
        finally:
            workbook.close()
