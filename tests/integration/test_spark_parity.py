"""The same metric catalogue on DuckDB and on Spark (local mode) gives the same values.

One SparkSession for the module (starting Spark is the slow part); the whole catalogue,
every kind and grain, full and incremental, compared value by value.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

import usage_data as d
from kizuna.analytics.connect import connect, spark_builder
from kizuna.analytics.snapshot import Snapshot, compute

pytestmark = [
    pytest.mark.spark,
    # py4j leaves sockets to the JVM for the garbage collector to close.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_builder("local[2]", shuffle_partitions=2).getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _run(name: str, spark: Any | None, **kwargs: Any) -> Snapshot:
    with connect(name, spark_session=spark) as engine:
        until = kwargs.pop("until", None)
        raw = engine.from_arrow("raw", d.events_table(until=until))
        return compute(engine, d.CATALOGUE, raw, d.context(), utc_offset_seconds=d.JST, **kwargs)


def test_full_catalogue_is_identical(spark: Any) -> None:
    on_duckdb = _run("duckdb", None, today=d.TODAY)
    on_spark = _run("pyspark", spark, today=d.TODAY)
    expected = d.as_dict(on_duckdb.values)
    assert len(expected) > 400  # every metric × grain × account × period
    assert d.as_dict(on_spark.values) == expected
    assert sorted(on_spark.daily.to_pylist(), key=str) == sorted(
        on_duckdb.daily.to_pylist(), key=str
    )


def test_incremental_run_is_identical(spark: Any) -> None:
    """Each engine continues from its own first run (the activity words key actors as the
    engine does); both equal a full computation."""
    cut = datetime(2026, 1, 20, 15, tzinfo=UTC)
    later = {"today": d.TODAY, "since": date(2026, 1, 20)}
    first_duckdb = _run("duckdb", None, today=date(2026, 1, 20), until=cut)
    first_spark = _run("pyspark", spark, today=date(2026, 1, 20), until=cut)
    on_duckdb = _run("duckdb", None, previous=first_duckdb, **later)
    on_spark = _run("pyspark", spark, previous=first_spark, **later)
    full = d.as_dict(_run("duckdb", None, today=d.TODAY).values)
    assert d.as_dict(on_duckdb.values) == full
    assert d.as_dict(on_spark.values) == full
    assert sorted(on_spark.actors.to_pylist(), key=str)  # words were kept and extended
    assert on_spark.actors.schema.metadata == {b"kizuna.actor_key": b"text"}
