"""CSV sources: encoding and delimiter detected, never asked; records streamed.

Encoding, in order:

1. a byte-order mark: UTF-8 (``utf-8-sig``, what Excel's "CSV UTF-8" writes) or UTF-16
   (Excel's "Unicode text");
2. the WHOLE file is valid UTF-8 → ``utf-8``;
3. the whole file is valid CP932 → ``cp932``. This is Shift_JIS as Windows and Excel in
   Japan write it: plain ``shift_jis`` lacks NEC/IBM extensions such as ①, ㈱ and 髙, which
   are everywhere in Japanese company and person names.

The whole file is checked (1 MiB chunks through an incremental decoder, so memory stays
flat) because a file can be ASCII for megabytes and hold its first kanji on the last line.
When neither fits, the error names the byte offset and line where decoding stopped.

The delimiter is the most frequent of ``, \\t ; |`` outside quotes on the header line
(``csv.Sniffer`` guesses wrong on Japanese text and short samples).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

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

CHUNK_BYTES = 1 << 20
SAMPLE_CHARS = 1 << 16
DELIMITERS = (",", "\t", ";", "|")  # ties go to the earlier one
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp932": "Shift_JIS (CP932)",
}


class CsvSource(Source):
    """A CSV file; values are ``str``, with empty cells as ``None``.

    Text is not stripped, so an export round-trips exactly. ``Row.number`` is the record
    number with the header record as 1 (after any blank records before it): a quoted
    field holding line breaks makes one record over several physical lines, and one row
    in Excel, so numbers after it still match what the person sees.
    """

    def __init__(self, path: Path, info: SourceInfo, header_number: int) -> None:
        super().__init__(path, info)
        self.header_number = header_number

    def rows(self) -> Iterator[Row]:
        width = len(self.info.headers)
        header_number = self.header_number
        with _open_text(self.path, self.info) as f:
            reader = csv.reader(f, delimiter=self.info.delimiter or ",")
            number = 0
            try:
                for number, record in enumerate(reader, start=1):
                    if number <= header_number or not any(record):
                        continue
                    cells: list[object] = [value or None for value in record]
                    if len(cells) == width:
                        yield Row(number, tuple(cells), 0)
                    else:
                        values, extra = fit(cells, width)
                        yield Row(number, values, extra)
            except csv.Error as exc:
                raise _malformed(exc, number + 1) from exc


def open_csv(path: Path, *, default_delimiter: str = ",") -> CsvSource:
    """Detect encoding, delimiter and header of the CSV at ``path``."""
    try:
        encoding = detect_encoding(path)
        with path.open(encoding=encoding, newline="") as f:
            sample = f.read(SAMPLE_CHARS)
    except OSError as exc:
        raise unreadable(exc) from exc
    delimiter = sniff_delimiter(sample, default_delimiter)
    info = SourceInfo("csv", encoding, delimiter, [], None)
    header_number, header = _find_header(path, info)
    check_header_row(header, header_number)
    info = SourceInfo("csv", encoding, delimiter, clean_headers(header), None)
    return CsvSource(path, info, header_number)


def _find_header(path: Path, info: SourceInfo) -> tuple[int, list[str]]:
    """The first record with a non-blank cell, and its record number."""
    number = 0
    with _open_text(path, info) as f:
        try:
            for number, record in enumerate(csv.reader(f, delimiter=info.delimiter or ","), 1):
                if any(cell.strip() for cell in record):
                    return number, record
        except csv.Error as exc:
            raise _malformed(exc, number + 1) from exc
    raise SourceError("empty_file", "the file has no rows, only blank lines")


def _open_text(path: Path, info: SourceInfo) -> TextIO:
    try:
        return path.open(encoding=info.encoding, newline="")
    except OSError as exc:
        raise unreadable(exc) from exc


def _malformed(exc: csv.Error, number: int) -> SourceError:
    return SourceError(
        "malformed_csv",
        f"record {number} cannot be read ({exc}); a quote may be missing its closing quote",
        row=number,
        detail=str(exc),
    )


def sniff_delimiter(sample: str, default: str = ",") -> str:
    """The candidate delimiter seen most often outside quotes on the first non-blank line."""
    counts = dict.fromkeys(DELIMITERS, 0)
    in_quotes = False
    for char in sample.lstrip("\r\n\ufeff"):
        if char == '"':
            in_quotes = not in_quotes
        elif in_quotes:
            continue
        elif char in "\r\n":
            break
        elif char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=counts.__getitem__)
    return best if counts[best] else default


def detect_encoding(path: Path) -> str:
    """``utf-8-sig``, ``utf-16``, ``utf-8`` or ``cp932``; raise when the file is none of them."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp932"]
    failures: dict[str, int] = {}
    for encoding in candidates:
        offset = first_invalid_byte(path, encoding)
        if offset is None:
            return encoding
        failures[encoding] = offset
    raise _undecodable(path, failures)


def first_invalid_byte(path: Path, encoding: str) -> int | None:
    """The offset of the first byte that ``encoding`` cannot decode, or None if all can.

    Streams the file in 1 MiB chunks; a character split across two chunks is held by the
    incremental decoder, whose pending bytes are subtracted to get the absolute offset.
    """
    # utf-8 also checks utf-8-sig files: the -sig decoder drops the BOM and would shift offsets.
    decoder = codecs.getincrementaldecoder("utf-8" if encoding == "utf-8-sig" else encoding)()
    offset = 0
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK_BYTES)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            if not chunk:
                return None
            offset += len(chunk)


def _undecodable(path: Path, failures: dict[str, int]) -> SourceError:
    """Report the encoding that got furthest: it is most likely the one the file meant."""
    encoding, offset = max(failures.items(), key=lambda item: item[1])
    line = 1
    with path.open("rb") as f:
        remaining = offset
        while remaining > 0:
            chunk = f.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break
            line += chunk.count(b"\n")
            remaining -= len(chunk)
        found = f.read(4)
    names = [ENCODING_NAMES[name] for name in failures]
    tried = f"neither {names[0]} nor {names[1]}" if len(names) == 2 else f"not valid {names[0]}"
    return SourceError(
        "unknown_encoding",
        f"the text is {tried}: byte {offset} (line {line}, bytes {found.hex(' ')}) "
        "cannot be decoded; save the file as CSV UTF-8 and try again",
        offset=offset,
        line=line,
        encoding=encoding,
        offsets=failures,
    )
