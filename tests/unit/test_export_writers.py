"""Export writers: formula-safe CSV cells, CSV and Parquet files that re-import the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.exporting.writers import safe_cell, unescape_cell, write_csv, write_parquet
from kizuna.importing.sources import open_source

JST = timezone(timedelta(hours=9))


# --- safe_cell / unescape_cell -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+81-3-1234-5678", "'+81-3-1234-5678"),
        ("-5", "'-5"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ('  =HYPERLINK("http://x")', '\'  =HYPERLINK("http://x")'),
        (" -x", "' -x"),
        ("\tfoo", "'\tfoo"),
        ("\r=foo", "'\r=foo"),
        ("'=already", "''=already"),
        ("'' +x", "''' +x"),
    ],
)
def test_dangerous_text_is_prefixed(text: str, written: str) -> None:
    assert safe_cell(text) == written
    assert unescape_cell(written) == text


@pytest.mark.parametrize(
    "text", ["", "a=b", "株式会社①", " x", "   ", "'", "'hello", "5", "x\t=y", "\nfoo", "＝1"]
)
def test_harmless_text_is_left_alone(text: str) -> None:
    assert safe_cell(text) == text
    assert unescape_cell(text) == text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (-5, "-5"),  # numbers are numbers to Excel: not neutralised
        (12345678901234567890, "12345678901234567890"),
        (Decimal("-1.50"), "-1.50"),
        (Decimal("1E+3"), "1000"),
        (0.1, "0.1"),
        (date(2024, 4, 1), "2024-04-01"),
        (datetime(2024, 4, 1, 9, 0, tzinfo=JST), "2024-04-01T00:00:00+00:00"),
        (datetime(2024, 4, 1, 0, 0), "2024-04-01T00:00:00+00:00"),  # noqa: DTZ001 naive = UTC
        (datetime(2024, 4, 1, 0, 0, 0, 500, tzinfo=UTC), "2024-04-01T00:00:00.000500+00:00"),
    ],
)
def test_values_as_csv_text(value: object, written: str) -> None:
    assert safe_cell(value) == written


RISKY = st.sampled_from(["=", "+", "-", "@", "'", " ", "\t", "\r", "\n", ",", '"', "株式会社", "①"])
TEXTS = st.lists(st.one_of(RISKY, st.text(max_size=5)), max_size=6).map("".join)


@given(TEXTS)
def test_unescape_inverts_safe_cell(text: str) -> None:
    written = safe_cell(text)
    assert unescape_cell(written) == text
    if written.lstrip(" ")[:1] in {"=", "+", "-", "@"} or written[:1] in {"\t", "\r"}:
        pytest.fail(f"{written!r} still starts like a formula")


# --- write_csv -----------------------------------------------------------------------------


def test_write_csv_has_a_bom_and_counts_rows(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    count = write_csv(path, ["名前", "数"], iter([("髙橋", 1), ("=cmd", None)]))
    assert count == 2
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "名前,数\r\n髙橋,1\r\n'=cmd,\r\n"
    plain = tmp_path / "plain.csv"
    assert write_csv(plain, ["a"], [], bom=False) == 0
    assert plain.read_bytes() == b"a\r\n"


def test_write_csv_streams_a_generator(tmp_path: Path) -> None:
    def rows() -> Iterator[tuple[object, ...]]:
        for i in range(10_000):
            yield (i, f"name {i}")

    path = tmp_path / "gen.csv"
    assert write_csv(path, ["id", "name"], rows()) == 10_000
    source = open_source(path)
    assert source.info.encoding == "utf-8-sig"
    assert sum(1 for _ in source.rows()) == 10_000


def test_write_csv_refuses_a_ragged_row_and_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    with pytest.raises(ValueError, match="row 2 has 1 values for 2 headers"):
        write_csv(path, ["a", "b"], [(1, 2), (3,)])
    assert not path.exists()


CELL = st.one_of(st.none(), TEXTS, st.text(max_size=20))


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(CELL, CELL, CELL), max_size=8), bom=st.booleans())
def test_csv_round_trip(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str | None, ...]], bom: bool
) -> None:
    path = tmp_path_factory.mktemp("rt") / "export.csv"
    headers = ["id", "name", "note"]
    numbered = [(f"{i}", *row) for i, row in enumerate(rows)]
    write_csv(path, [*headers, "extra"], numbered, bom=bom)
    source = open_source(path)
    assert source.info.headers == [*headers, "extra"]
    assert source.info.delimiter == ","
    read = list(source.rows())
    # "" and None are both written as an empty cell and read back as None.
    expected = [tuple(value or None for value in row) for row in numbered]
    assert [row.number for row in read] == list(range(2, len(rows) + 2))
    assert [
        tuple(unescape_cell(v) if isinstance(v, str) else v for v in row.values) for row in read
    ] == expected
    assert all(row.extra == 0 for row in read)


# --- write_parquet -------------------------------------------------------------------------


SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("seats", pa.int64()),
        ("mrr", pa.decimal128(18, 2)),
        ("active", pa.bool_()),
        ("started_on", pa.date32()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
        ("score", pa.float64()),
    ]
)


def parquet_rows(n: int) -> Iterator[tuple[object, ...]]:
    for i in range(n):
        yield (
            f"株式会社{i}" if i % 7 else "=SUM(A1)",
            i if i % 5 else None,
            Decimal(i) / 4,
            i % 2 == 0,
            date(2024, 1, 1) + timedelta(days=i),
            datetime(2024, 1, 1, 9, tzinfo=JST) + timedelta(minutes=i),
            i / 3,
        )


def test_write_parquet_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    assert write_parquet(path, SCHEMA, parquet_rows(250), batch_size=100) == 250
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    source = open_source(path)
    assert source.info.headers == SCHEMA.names
    read = list(source.rows())
    expected = list(parquet_rows(250))
    assert [row.values[:5] for row in read] == [row[:5] for row in expected]
    assert [row.values[5] for row in read] == [row[5] for row in expected]  # same instants
    assert read[0].values[5] == datetime(2024, 1, 1, 0, tzinfo=UTC)
    assert [row.values[6] for row in read] == [row[6] for row in expected]
    assert [row.number for row in read] == list(range(2, 252))


def test_write_parquet_without_rows_keeps_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    assert write_parquet(path, SCHEMA, []) == 0
    assert pq.read_schema(path).names == SCHEMA.names
    assert list(open_source(path).rows()) == []


def test_write_parquet_refuses_a_ragged_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    with pytest.raises(ValueError, match="row 1 has 1 values for 7 columns"):
        write_parquet(path, SCHEMA, [("x",)])
    assert not path.exists()
