"""Import sources: CSV (encodings, delimiters, quoting, ragged rows), XLSX and Parquet."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from kizuna.importing import sources_csv, sources_parquet
from kizuna.importing.sources import Row, SourceError, open_source

JAPANESE = ["株式会社", "①", "㈱", "髙橋", "ﾊﾝｶｸ"]
# Excel cells carry no time zone: openpyxl writes and reads naive datetimes.
APRIL_1 = datetime(2024, 4, 1)  # noqa: DTZ001
APRIL_1_0930 = datetime(2024, 4, 1, 9, 30)  # noqa: DTZ001


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def values(path: Path, **kwargs: str) -> list[tuple[object, ...]]:
    return [row.values for row in open_source(path, **kwargs).rows()]


def reason(path: Path, **kwargs: str) -> SourceError:
    with pytest.raises(SourceError) as caught:
        open_source(path, **kwargs)
    return caught.value


# --- CSV encodings -------------------------------------------------------------------------


def test_utf8_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "名前,メール\n山田,yamada@example.jp\n".encode())
    source = open_source(path)
    assert source.info.format == "csv"
    assert source.info.encoding == "utf-8"
    assert source.info.delimiter == ","
    assert source.info.headers == ["名前", "メール"]
    assert source.info.sheet is None
    assert list(source.rows()) == [Row(2, ("山田", "yamada@example.jp"), 0)]


def test_utf8_with_bom_has_no_bom_in_header(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "\ufeffid,name\r\n1,ア\r\n".encode())
    source = open_source(path)
    assert source.info.encoding == "utf-8-sig"
    assert source.info.headers == ["id", "name"]
    assert "\ufeff" not in source.info.headers[0]
    assert values(path) == [("1", "ア")]


def test_cp932_japanese_is_detected_and_read(tmp_path: Path) -> None:
    text = "会社名,担当者,メモ\r\n" + "".join(f"{word}商事,{word},{word}\r\n" for word in JAPANESE)
    path = write(tmp_path, "excel.csv", text.encode("cp932"))
    source = open_source(path)
    assert source.info.encoding == "cp932"
    assert source.info.headers == ["会社名", "担当者", "メモ"]
    assert [row.values for row in source.rows()] == [(f"{w}商事", w, w) for w in JAPANESE]


def test_shift_jis_codec_cannot_hold_what_cp932_can() -> None:
    for word in ["①", "㈱", "髙"]:
        with pytest.raises(UnicodeEncodeError):
            word.encode("shift_jis")


def test_cp932_bytes_only_after_the_first_megabyte(tmp_path: Path) -> None:
    ascii_lines = b"".join(b"%d,abcdefghijklmnopqrstuvwxyz\n" % i for i in range(60_000))
    assert len(ascii_lines) > sources_csv.CHUNK_BYTES
    path = write(tmp_path, "late.csv", b"id,text\n" + ascii_lines + "99,髙橋㈱\n".encode("cp932"))
    source = open_source(path)
    assert source.info.encoding == "cp932"
    rows = list(source.rows())
    assert len(rows) == 60_001
    assert rows[-1] == Row(60_002, ("99", "髙橋㈱"), 0)


def test_utf8_character_split_across_chunks_is_still_utf8(tmp_path: Path) -> None:
    head = b"id,text\n1,"
    filler = b"a" * (sources_csv.CHUNK_BYTES - len(head) - 1)  # "髙" starts 1 byte before the end
    path = write(tmp_path, "split.csv", head + filler + "髙\n".encode())
    assert open_source(path).info.encoding == "utf-8"


def test_neither_utf8_nor_cp932_names_the_offset(tmp_path: Path) -> None:
    prefix = b"id,text\n" + b"1,abc\n" * 200_000  # past the first 1 MiB chunk
    path = write(tmp_path, "bad.csv", prefix + b"2,\x81\x20oops\n")
    error = reason(path)
    assert error.reason == "unknown_encoding"
    assert error.problems[0].loc == ("file",)
    assert error.params["offset"] == len(prefix) + 2
    assert error.params["line"] == 200_002
    assert f"byte {len(prefix) + 2}" in error.message
    assert "UTF-8" in error.message
    assert "Shift_JIS" in error.message


def test_bom_with_invalid_utf8_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbfa,b\n\xff,1\n")
    error = reason(path)
    assert error.reason == "unknown_encoding"
    assert error.params["offset"] == 7


def test_utf16_with_bom_as_excel_unicode_text(tmp_path: Path) -> None:
    path = write(tmp_path, "unicode.txt", "名前\t年齢\r\n髙橋\t30\r\n".encode("utf-16"))
    source = open_source(path)
    assert (source.info.encoding, source.info.delimiter) == ("utf-16", "\t")
    assert values(path) == [("髙橋", "30")]


# --- CSV structure -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "delimiter"),
    [
        ("a.csv", "a\tb\tc\n1\t2,5\t3\n", "\t"),
        ("a.csv", "a;b;c\n1;2,5;3\n", ";"),
        ("a.csv", "a|b|c\n1|2,5|3\n", "|"),
        ("a.csv", '"x,y";b;c\n1;2,5;3\n', ";"),  # commas inside quotes do not count
    ],
)
def test_delimiter_is_sniffed_from_the_header_line(
    tmp_path: Path, name: str, text: str, delimiter: str
) -> None:
    path = write(tmp_path, name, text.encode())
    source = open_source(path)
    assert source.info.delimiter == delimiter
    assert [row.values for row in source.rows()] == [("1", "2,5", "3")]


def test_single_column_tsv_defaults_to_tab(tmp_path: Path) -> None:
    path = write(tmp_path, "upload.bin", b"name\nA, B\n")
    assert open_source(path, filename="names.tsv").info.delimiter == "\t"
    assert values(path, filename="names.tsv") == [("A, B",)]


def test_quoted_commas_and_newlines_keep_row_numbers_right(tmp_path: Path) -> None:
    text = (
        "id,note,owner\r\n"
        '1,"hello, world",a\r\n'
        '2,"line one\r\nline two\r\nline three",b\r\n'
        '3,"say ""hi""",c\r\n'
    )
    path = write(tmp_path, "q.csv", text.encode())
    assert list(open_source(path).rows()) == [
        Row(2, ("1", "hello, world", "a"), 0),
        Row(3, ("2", "line one\r\nline two\r\nline three", "b"), 0),
        Row(4, ("3", 'say "hi"', "c"), 0),
    ]


def test_ragged_rows_are_padded_or_counted(tmp_path: Path) -> None:
    text = "a,b,c\n1\n1,2,3,4,5\n1,2,3,,\n1,2,3,,9,\n"
    path = write(tmp_path, "r.csv", text.encode())
    assert list(open_source(path).rows()) == [
        Row(2, ("1", None, None), 0),
        Row(3, ("1", "2", "3"), 2),
        Row(4, ("1", "2", "3"), 0),  # trailing empty cells are not extra
        Row(5, ("1", "2", "3"), 2),
    ]


def test_empty_cells_are_none_and_text_is_not_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", b"a,b,c\n, x ,\n")
    assert values(path) == [(None, " x ", None)]


def test_blank_rows_are_skipped_but_numbers_still_match_excel(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", b"\r\n\r\na,b\r\n1,2\r\n\r\n,\r\n3,4\r\n\r\n")
    assert list(open_source(path).rows()) == [Row(4, ("1", "2"), 0), Row(7, ("3", "4"), 0)]


def test_blank_headers_get_names_and_are_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "  名前 ,,　メール　, \n1,2,3,4\n".encode())
    assert open_source(path).info.headers == ["名前", "column_2", "メール", "column_4"]


def test_duplicate_headers_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", b"email,name, email,name,id\n")
    error = reason(path)
    assert error.reason == "duplicate_headers"
    assert error.params["duplicates"] == {"email": [1, 3], "name": [2, 4]}
    assert '"email" (columns 1, 3)' in error.message


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"\xef\xbb\xbf", b" , \n"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    assert reason(write(tmp_path, "e.csv", data)).reason == "empty_file"


def test_header_only(tmp_path: Path) -> None:
    source = open_source(write(tmp_path, "h.csv", b"a,b\r\n"))
    assert source.info.headers == ["a", "b"]
    assert list(source.rows()) == []


def test_numbers_in_the_first_row_mean_no_header(tmp_path: Path) -> None:
    error = reason(write(tmp_path, "n.csv", b"1,2024-04-01,3.5\n2,2024-04-02,4\n"))
    assert error.reason == "no_header"
    assert error.params["row"] == 1


def test_unclosed_quote_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "u.csv", b'a,b\n1,"never closed\n' + b"x" * 200_000 + b"\n")
    with pytest.raises(SourceError) as caught:
        list(open_source(path).rows())
    assert caught.value.reason == "malformed_csv"
    assert caught.value.params["row"] == 2


def test_rows_can_be_read_twice(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a,b\n1,髙\n2,\n".encode("cp932"))
    source = open_source(path)
    assert list(source.rows()) == list(source.rows())
    assert len(list(source.rows())) == 2


def test_large_csv_streams_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("id,name,email,phone,plan,mrr,started_on,note\r\n")
        for i in range(200_000):
            f.write(f"{i},株式会社{i},user{i}@example.jp,03-1234-{i % 10000:04d},pro,")
            f.write(f'{i * 100},2024-04-01,"note, {i}"\r\n')
    tracemalloc.start()
    try:
        source = open_source(path)
        count = sum(1 for _ in source.rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 30 * 1024 * 1024


# --- format detection ----------------------------------------------------------------------


def test_format_from_magic_bytes_when_the_name_says_nothing(tmp_path: Path) -> None:
    xlsx = tmp_path / "upload1"
    workbook = Workbook()
    workbook.active.append(["a"])  # type: ignore[union-attr]
    workbook.save(xlsx)
    parquet = tmp_path / "upload2"
    pq.write_table(pa.table({"a": [1]}), parquet)
    text = write(tmp_path, "upload3", b"a,b\n1,2\n")
    assert open_source(xlsx).info.format == "xlsx"
    assert open_source(parquet).info.format == "parquet"
    assert open_source(text).info.format == "csv"
    assert open_source(text, filename="x.txt").info.format == "csv"


@pytest.mark.parametrize(
    ("name", "data"),
    [("old.xls", b"whatever"), ("noext", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)],
)
def test_unsupported_formats(tmp_path: Path, name: str, data: bytes) -> None:
    assert reason(write(tmp_path, name, data)).reason == "unsupported_format"


@pytest.mark.parametrize("name", ["broken.xlsx", "broken.parquet"])
def test_damaged_files_are_unreadable(tmp_path: Path, name: str) -> None:
    assert reason(write(tmp_path, name, b"PK\x03\x04 not really a zip")).reason == "unreadable"


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    assert reason(tmp_path / "nope.csv").reason == "unreadable"


# --- XLSX ----------------------------------------------------------------------------------


def make_workbook(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "顧客"
    sheet.append(["  会社名 ", "席数", "MRR", "契約日", "更新日時", "有効", "メモ"])
    sheet.append(["  株式会社①  ", 10, 12.5, date(2024, 4, 1), APRIL_1_0930, True, None])
    sheet.append(["髙橋㈱", 0, -1.25, None, None, False, "   "])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append(["ﾊﾝｶｸ", 3, None, None, None, None, "x", "beyond"])
    sheet.cell(row=8, column=1).font = Font(bold=True)  # a styled, empty trailing row
    workbook.save(path)


def test_xlsx_values_and_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    make_workbook(path)
    source = open_source(path)
    assert source.info.format == "xlsx"
    assert (source.info.encoding, source.info.delimiter) == (None, None)
    assert source.info.sheet == "顧客"
    assert source.info.headers == ["会社名", "席数", "MRR", "契約日", "更新日時", "有効", "メモ"]
    assert list(source.rows()) == [
        Row(
            2,
            ("株式会社①", 10, 12.5, APRIL_1, APRIL_1_0930, True, None),
        ),
        Row(3, ("髙橋㈱", 0, -1.25, None, None, False, None)),
        Row(5, ("ﾊﾝｶｸ", 3, None, None, None, None, "x"), 1),
    ]
    assert list(source.rows()) == list(source.rows())


def test_xlsx_first_non_empty_sheet_and_header_below_blank_rows(tmp_path: Path) -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "empty"
    data = workbook.create_sheet("data")
    data["B3"] = "name"
    data["C3"] = "code"
    data["B4"] = "A社"
    data["C4"] = 7
    other = workbook.create_sheet("other")
    other.append(["x"])
    other.append([1])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    source = open_source(path)
    assert source.info.sheet == "data"
    assert source.info.headers == ["column_1", "name", "code"]
    assert list(source.rows()) == [Row(4, (None, "A社", 7), 0)]
    assert open_source(path, sheet="other").info.headers == ["x"]
    assert values(path, sheet="other") == [(1,)]
    error = reason(path, sheet="missing")
    assert error.reason == "sheet_not_found"
    assert error.params["sheets"] == ["empty", "data", "other"]
    assert reason(path, sheet="empty").reason == "empty_file"


def test_xlsx_all_empty_and_headerless(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    Workbook().save(empty)
    assert reason(empty).reason == "empty_file"
    numbers = tmp_path / "numbers.xlsx"
    workbook = Workbook()
    workbook.active.append([1, APRIL_1])  # type: ignore[union-attr]
    workbook.save(numbers)
    assert reason(numbers).reason == "no_header"


def test_xlsx_duplicate_headers(tmp_path: Path) -> None:
    path = tmp_path / "dup.xlsx"
    workbook = Workbook()
    workbook.active.append(["id", "id "])  # type: ignore[union-attr]
    workbook.save(path)
    assert reason(path).params["duplicates"] == {"id": [1, 2]}


# --- Parquet -------------------------------------------------------------------------------


def test_parquet_typed_columns_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources_parquet, "BATCH_ROWS", 3)
    monkeypatch.setattr(sources_parquet, "SLICE_ROWS", 2)
    table = pa.table(
        {
            "name": pa.array(["株式会社①", None, "髙橋"], pa.string()),
            "seats": pa.array([1, 2, None], pa.int64()),
            "ratio": pa.array([0.5, None, 1.25], pa.float64()),
            "mrr": pa.array([Decimal("10.50"), None, Decimal("-3.00")], pa.decimal128(12, 2)),
            "active": pa.array([True, False, None], pa.bool_()),
            "since": pa.array([date(2024, 4, 1), None, date(2020, 1, 31)], pa.date32()),
            "at": pa.array(
                [datetime(2024, 4, 1, tzinfo=UTC), None, None], pa.timestamp("us", "UTC")
            ),
        }
    )
    path = tmp_path / "data.pq"
    pq.write_table(table, path, row_group_size=2)
    source = open_source(path)
    assert source.info.format == "parquet"
    assert source.info.headers == ["name", "seats", "ratio", "mrr", "active", "since", "at"]
    rows = list(source.rows())
    assert [row.number for row in rows] == [2, 3, 4]
    april_1_utc = datetime(2024, 4, 1, tzinfo=UTC)
    assert rows[0].values == (
        "株式会社①", 1, 0.5, Decimal("10.50"), True, date(2024, 4, 1), april_1_utc
    )  # fmt: skip
    assert rows[1].values == (None, 2, None, None, False, None, None)
    assert rows[2].values[3] == Decimal("-3.00")
    assert list(source.rows()) == rows


def test_parquet_without_rows_or_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"a": pa.array([], pa.string())}), path)
    source = open_source(path)
    assert source.info.headers == ["a"]
    assert list(source.rows()) == []
    no_columns = tmp_path / "nothing.parquet"
    pq.write_table(pa.table({}), no_columns)
    assert reason(no_columns).reason == "no_header"
