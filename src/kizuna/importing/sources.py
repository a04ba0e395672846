"""Read what a CS team already has — CSV, XLSX, Parquet — as a stream of numbered rows.

``open_source(path)`` looks at the file once (format, encoding, delimiter, header) and
returns a :class:`Source` whose ``rows()`` re-reads the file from the start on every call,
streaming: the import engine walks a file twice (validate, then write) and a million-row
file must never be held in memory whole.

Row numbers are the ones a person sees when the file is opened in Excel: the header is
row 1 (or the row it actually sits on, when blank rows precede it), so the first data row
is normally row 2. Rows whose cells are all empty are skipped (their numbers are not
reused, so later numbers still match Excel); Parquet rows are never skipped.

The readers live in ``sources_csv``, ``sources_xlsx`` and ``sources_parquet``; they are
imported lazily by :func:`open_source` so that reading a CSV never pays for importing
pyarrow or openpyxl.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from kizuna.kit.errors import FieldProblem, Invalid

Format = Literal["csv", "xlsx", "parquet"]

EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# Formats people will try that we cannot read; named so the error can say what to do.
UNSUPPORTED_EXTENSIONS = {".xls", ".xlsb", ".ods", ".numbers", ".json", ".pdf", ".zip"}
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, or an encrypted .xlsx


class SourceError(Invalid):
    """A file that cannot be imported as it is.

    One problem at ``loc == ("file",)`` whose ``code`` is one of ``unreadable``,
    ``empty_file``, ``no_header``, ``duplicate_headers``, ``unsupported_format``,
    ``unknown_encoding``, ``sheet_not_found``, ``malformed_csv``. ``params`` carries the
    details (byte offset, duplicate names, sheet names...) for translated messages.
    """

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(FieldProblem(("file",), code, message))
        self.params = params

    @property
    def reason(self) -> str:
        """The problem code (``empty_file``, ``duplicate_headers``...)."""
        return self.problems[0].code


@dataclass(frozen=True)
class SourceInfo:
    """What ``open_source`` found out about a file before reading any data row."""

    format: Format
    encoding: str | None  # "utf-8", "utf-8-sig", "cp932" (or "utf-16") for CSV; else None
    delimiter: str | None  # CSV only: one of , ; \t |
    headers: list[str]  # stripped, in file order; blank ones become "column_<n>"
    sheet: str | None  # XLSX: the sheet read


@dataclass(frozen=True, slots=True)
class Row:
    """One data row.

    ``number`` is the row number Excel shows (header = row 1). For CSV it is the record
    number counting the header record as 1: a quoted field spanning several lines is one
    record, exactly as Excel shows it as one row. ``values`` is aligned to the headers
    (short rows padded with None); ``extra`` counts the cells beyond the header, up to the
    last non-empty one (trailing empty cells, as Excel writes them, are not counted).
    """

    number: int
    values: tuple[object, ...]
    extra: int = 0


class Source(ABC):
    """An opened file: its ``info`` and a re-startable, streaming ``rows()``."""

    def __init__(self, path: Path, info: SourceInfo) -> None:
        self.path = path
        self.info = info

    @abstractmethod
    def rows(self) -> Iterator[Row]:
        """Yield the data rows from the start of the file; call it as often as needed."""


def open_source(path: Path, *, filename: str | None = None, sheet: str | None = None) -> Source:
    """Open ``path`` for import; ``filename`` is the name the user uploaded (for its extension).

    ``sheet`` picks an XLSX sheet by name (default: the first non-empty visible sheet) and
    is ignored for other formats. Raises :class:`SourceError`.
    """
    fmt = detect_format(path, filename)
    if fmt == "csv":
        from kizuna.importing.sources_csv import open_csv

        suffix = Path(filename or path.name).suffix.lower()
        return open_csv(path, default_delimiter="\t" if suffix == ".tsv" else ",")
    if fmt == "xlsx":
        from kizuna.importing.sources_xlsx import open_xlsx

        return open_xlsx(path, sheet=sheet)
    from kizuna.importing.sources_parquet import open_parquet

    return open_parquet(path)


def detect_format(path: Path, filename: str | None = None) -> Format:
    """The format from the extension, else from the first bytes (zip → xlsx, PAR1 → parquet)."""
    suffix = Path(filename or path.name).suffix.lower()
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise unreadable(exc) from exc
    if size == 0:
        raise SourceError("empty_file", "the file is empty")
    if suffix in UNSUPPORTED_EXTENSIONS or (suffix not in EXTENSIONS and magic == OLE2_MAGIC):
        raise SourceError(
            "unsupported_format",
            f"{suffix or 'this'} files cannot be imported: save as .xlsx or CSV UTF-8",
            extension=suffix,
        )
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if magic.startswith(b"PK\x03\x04"):
        return "xlsx"
    if magic.startswith(b"PAR1"):
        return "parquet"
    return "csv"


def unreadable(exc: BaseException) -> SourceError:
    """The error for a file the library underneath could not parse."""
    detail = str(exc) or type(exc).__name__
    return SourceError("unreadable", f"the file cannot be read: {detail}", detail=detail)


def clean_headers(cells: Sequence[object]) -> list[str]:
    """Strip header cells (and any BOM), name blank ones ``column_<n>``, refuse duplicates."""
    headers: list[str] = []
    for position, cell in enumerate(cells, start=1):
        text = header_text(cell).replace("\ufeff", "").strip()
        headers.append(text or f"column_{position}")
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(headers, start=1):
        positions.setdefault(name, []).append(position)
    duplicates = {name: where for name, where in positions.items() if len(where) > 1}
    if duplicates:
        listed = ", ".join(
            f'"{name}" (columns {", ".join(map(str, where))})' for name, where in duplicates.items()
        )
        raise SourceError(
            "duplicate_headers", f"duplicate column names: {listed}", duplicates=duplicates
        )
    return headers


def header_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell)


def fit(values: Sequence[object], width: int) -> tuple[tuple[object, ...], int]:
    """Align ``values`` to ``width`` columns: pad with None, or cut and count the extra cells.

    Extra cells are counted up to the last non-empty one, so the trailing empty cells that
    Excel writes up to its "used range" are not reported as a ragged row.
    """
    size = len(values)
    if size <= width:
        return tuple(values) + (None,) * (width - size), 0
    while size > width and values[size - 1] is None:
        size -= 1
    return tuple(values[:width]), size - width


# A header cell that is a number or a date means the first row is data, not column names.
_DATA_LIKE = re.compile(r"[-+]?[\d,]*\.?\d+|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T].*)?")


def check_header_row(cells: Sequence[object], number: int) -> None:
    """Refuse a first row made only of numbers and dates: the file has no header row."""
    filled = [cell for cell in cells if cell is not None and cell != ""]
    if filled and all(_looks_like_data(cell) for cell in filled):
        raise SourceError(
            "no_header",
            f"row {number} holds only numbers or dates: the first row must name the columns",
            row=number,
        )


def _looks_like_data(cell: object) -> bool:
    if isinstance(cell, str):
        return _DATA_LIKE.fullmatch(cell.strip()) is not None
    return isinstance(cell, int | float | Decimal | date | datetime)
