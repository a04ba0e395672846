"""How fast the import readers stream a million rows, and in how much memory.

Run by hand (not in CI), from the repository root:

    .venv/bin/python bench/import_read_bench.py [--rows 1000000] [--keep DIR]

Writes three files of ``--rows`` rows × 8 columns with realistic Japanese customer data
(CSV in UTF-8 with a BOM as our export writes it, CSV in CP932 as Excel in Japan writes it,
and Parquet through ``write_parquet``), then for each one, in a fresh process so the peaks
are its own: ``open_source`` (encoding check, delimiter, header) plus one full pass of
``rows()``, timed; and a second pass under tracemalloc for the Python heap peak. RSS peak
is the child's ``VmHWM``, shown next to its RSS right after importing pyarrow and
openpyxl, which is most of it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from kizuna.exporting.writers import write_csv, write_parquet
from kizuna.importing.sources import open_source

HEADERS = ["id", "会社名", "メール", "電話", "プラン", "MRR", "契約開始日", "メモ"]
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("会社名", pa.string()),
        ("メール", pa.string()),
        ("電話", pa.string()),
        ("プラン", pa.string()),
        ("MRR", pa.decimal128(18, 0)),
        ("契約開始日", pa.date32()),
        ("メモ", pa.string()),
    ]
)
NAMES = ["株式会社髙橋商事", "㈱山田製作所", "有限会社①号店", "ﾊﾝｶｸ物産", "佐藤システムズ"]
PLANS = ["スターター", "プロ", "エンタープライズ"]


def data(rows: int) -> Iterator[tuple[object, ...]]:
    start = date(2020, 1, 1)
    for i in range(rows):
        yield (
            i,
            f"{NAMES[i % len(NAMES)]}{i}",
            f"user{i}@example.co.jp",
            f"03-{i % 10000:04d}-{(i * 7) % 10000:04d}",
            PLANS[i % 3],
            Decimal(10_000 + i % 500_000),
            start + timedelta(days=i % 2000),
            "更新予定, 要フォロー" if i % 10 == 0 else "",
        )


def build(folder: Path, rows: int) -> dict[str, Path]:
    files = {
        "csv utf-8": folder / "utf8.csv",
        "csv cp932": folder / "cp932.csv",
        "parquet": folder / "data.parquet",
    }
    write_csv(files["csv utf-8"], HEADERS, data(rows))
    with files["csv cp932"].open("w", encoding="cp932", newline="") as f:
        f.write(",".join(HEADERS) + "\r\n")
        for row in data(rows):
            note = row[7]
            f.write(",".join(str(v) for v in row[:7]) + (f',"{note}"\r\n' if note else ",\r\n"))
    write_parquet(files["parquet"], SCHEMA, data(rows))
    return files


def read_once(path: Path) -> tuple[int, str | None, float]:
    started = time.perf_counter()
    source = open_source(path)
    count = sum(1 for _ in source.rows())
    return count, source.info.encoding, time.perf_counter() - started


def status_mib(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process from /proc (Linux).

    Not ``ru_maxrss``: on Linux it survives exec, so a spawned child would report the
    parent's peak (the parent just built the files).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(path: Path) -> dict[str, float | int | str | None]:
    """Runs in a child process: timed pass, then a pass under tracemalloc."""
    import openpyxl  # noqa: F401  (loaded before the baseline, like the CSV case)
    import pyarrow.parquet  # noqa: F401

    baseline = status_mib("VmRSS")
    count, encoding, seconds = read_once(path)
    tracemalloc.start()
    read_once(path)
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rows": count,
        "encoding": encoding,
        "seconds": seconds,
        "heap_peak_mib": heap_peak / 2**20,
        "rss_peak_mib": status_mib("VmHWM"),
        "rss_baseline_mib": baseline,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        files = build(folder, args.rows)
        print(f"built {args.rows:,} rows x 8 columns in {time.perf_counter() - started:.1f} s")
        context = multiprocessing.get_context("spawn")
        with context.Pool(1, maxtasksperchild=1) as pool:
            for label, path in files.items():
                result = pool.apply(measure, (path,))
                rows, seconds = int(result["rows"] or 0), float(result["seconds"] or 0)
                print(
                    f"{label:10} {path.stat().st_size / 2**20:7.1f} MiB  "
                    f"encoding={result['encoding']!s:9} rows={rows:,}  {seconds:6.2f} s  "
                    f"{rows / seconds:10,.0f} rows/s  "
                    f"heap peak {float(result['heap_peak_mib'] or 0):5.1f} MiB  "
                    f"RSS peak {float(result['rss_peak_mib'] or 0):6.1f} MiB "
                    f"(after imports {float(result['rss_baseline_mib'] or 0):5.1f} MiB)"
                )


if __name__ == "__main__":
    main(sys.argv[1:])
