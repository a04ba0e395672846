"""The analytics engine: an Ibis backend on embedded DuckDB (default) or on Spark.

Everything engine-specific lives here. ``sources`` builds Ibis expressions over the
tables this module hands out, so one definition runs on both engines; what differs is
here: registering Arrow tables, reading Parquet, executing, the stand-in for an actor id
and the OR of day bits.
"""

from __future__ import annotations

import itertools
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import ibis
import ibis.backends.duckdb  # loaded with this module rather than by the first computation
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

EngineName = Literal["duckdb", "pyspark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "pyspark")


class Engine:
    """One connection to an analytics engine; close it when done (``with`` works too)."""

    def __init__(self, name: EngineName, backend: Any, spark: Any = None) -> None:
        self.name = name
        self.backend = backend
        self._spark = spark
        self._counter = itertools.count(1)
        self._staged: list[str] = []

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _name(self, prefix: str) -> str:
        return f"kz_{prefix}_{next(self._counter)}"

    def from_arrow(self, prefix: str, table: pa.Table) -> ir.Table:
        """An Arrow table (from the database or a file) as an engine table."""
        name = self._name(prefix)
        if self.name == "duckdb":
            self.backend.con.register(name, table)
        else:
            frame = self._spark.createDataFrame(table, schema=_spark_schema(table))
            frame.createOrReplaceTempView(name)
            self._staged.append(name)
        return self._table(name)

    def _table(self, name: str) -> ir.Table:
        with _quiet():
            return self.backend.table(name)

    def read_parquet(self, prefix: str, paths: Sequence[str], columns: Sequence[str]) -> ir.Table:
        """The given Parquet files as one table of ``columns`` (files may lack none of them).

        DuckDB: UTC timestamps come out as plain timestamps of the same UTC wall time
        (``make_timestamp(epoch_us(…))``, integer work): arithmetic and casts on a
        ``TIMESTAMPTZ`` go through the ICU calendar row by row, which made the local day
        of 10 M events cost about a second of CPU.
        """
        name = self._name(prefix)
        if self.name == "duckdb":
            source = "read_parquet([" + ", ".join(_quote(p) for p in paths) + "])"
            con = self.backend.con
            described = f"DESCRIBE SELECT * FROM {source}"  # noqa: S608 (quoted paths)
            types = {row[0]: row[1] for row in con.execute(described).fetchall()}
            cols = ", ".join(
                f'make_timestamp(epoch_us("{c}")) AS "{c}"'
                if types.get(c) == "TIMESTAMP WITH TIME ZONE"
                else f'"{c}"'
                for c in columns
            )
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {cols} FROM {source}")  # noqa: S608 (our identifiers; values are bound)
        else:
            self._spark.read.parquet(*paths).select(*columns).createOrReplaceTempView(name)
            self._staged.append(name)
        return self._table(name)

    def distinct_key(self, value: ir.StringValue) -> ir.Value:
        """A stand-in for ``value`` where only equality matters (counting distinct users).

        DuckDB: its 64-bit hash, so that the per-day distinct actors group on 8-byte
        integers instead of strings (about half the time for 10 M events). Two actor ids
        of one account and period would have to share all 64 bits to be counted once (for
        50 000 users about one chance in 10^10). Spark keeps the value (its ``hash`` has 32
        bits, too few)."""
        if self.name == "duckdb":
            return _duckdb_hash(value)
        return value

    @property
    def actor_key(self) -> str:
        """Names what ``distinct_key`` makes of an actor id, stored with the activity
        words: words keyed differently cannot be merged with these."""
        return "duckdb-hash64" if self.name == "duckdb" else "text"

    def day_bits(self, bit: ir.IntegerValue) -> ir.Scalar:
        """The OR of ``1 << bit`` over a group (an int64 of day bits). Ibis compiles
        neither the shift nor the aggregate for Spark, so each engine's built-ins are
        named here."""
        if self.name == "duckdb":
            shifted = ibis.literal(1, "int64") << bit
        else:  # Spark reads a bare 1 as a 32-bit int, and Ibis drops a cast of a literal
            shifted = _spark_shiftleft(_spark_bigint(1), bit)
        return _bit_or(shifted)

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        """Execute ``expr`` and return its rows."""
        if self.name == "duckdb":
            # Ibis's own to_pyarrow uses an API DuckDB 2 deprecates; compile and run it here.
            result: pa.Table = self.backend.con.sql(self.backend.compile(expr)).to_arrow_table()
            return result
        result = self._spark.sql(self.backend.compile(expr)).toArrow()
        return result

    def close(self) -> None:
        if self.name == "duckdb":
            self.backend.con.close()
        else:
            for name in self._staged:
                self._spark.catalog.dropTempView(name)
            self._spark.catalog.clearCache()


@ibis.udf.scalar.builtin(name="hash")  # type: ignore[untyped-decorator]
def _duckdb_hash(value: str) -> dt.UInt64:
    """DuckDB's built-in ``hash`` (Ibis's ``hash`` goes through a BIT cast)."""


@ibis.udf.scalar.builtin(name="shiftleft")  # type: ignore[untyped-decorator]
def _spark_shiftleft(value: int, bits: int) -> dt.Int64:
    """Spark's ``shiftleft``."""


@ibis.udf.scalar.builtin(name="bigint")  # type: ignore[untyped-decorator]
def _spark_bigint(value: int) -> dt.Int64:
    """Spark's ``bigint`` (a cast to a 64-bit int)."""


@ibis.udf.agg.builtin(name="bit_or")  # type: ignore[untyped-decorator]
def _bit_or(value: int) -> dt.Int64:
    """``bit_or``: an aggregate of both DuckDB and Spark."""


def connect(
    name: EngineName = "duckdb",
    *,
    spark_master: str = "local[*]",
    threads: int | None = None,
    spark_session: Any = None,
) -> Engine:
    """An :class:`Engine` on embedded DuckDB (in memory) or on Spark.

    ``spark_session`` reuses an existing SparkSession (tests keep one per module);
    otherwise one is built for ``spark_master`` (``local[*]`` or a cluster URL) with the
    session time zone pinned to UTC, as every timestamp here is UTC.
    """
    if name == "duckdb":
        config = {"threads": threads} if threads else {}
        backend = ibis.duckdb.connect(**config)
        # Row order never matters here (results are sorted when written): let DuckDB
        # materialise in parallel.
        backend.con.execute("SET preserve_insertion_order = false")
        return Engine("duckdb", backend)
    if name != "pyspark":
        raise ValueError(f"unknown analytics engine {name!r}; expected one of {ENGINES}")
    spark = spark_session or spark_builder(spark_master).getOrCreate()
    return Engine("pyspark", ibis.pyspark.connect(spark), spark)


def spark_builder(master: str, *, shuffle_partitions: int = 8) -> Any:
    """A SparkSession builder with the settings the metric pipeline relies on."""
    from pyspark.sql import SparkSession

    # Python workers must be this interpreter (it has pyarrow), not whatever is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName("kizuna-usage")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )


def _spark_schema(table: pa.Table) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(table.schema)


@contextmanager
def _quiet() -> Iterator[None]:
    """Ibis 12 reads table schemas through a DuckDB call that DuckDB 2 deprecates."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"fetch_arrow_table\(\) is deprecated", category=DeprecationWarning
        )
        yield


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"
