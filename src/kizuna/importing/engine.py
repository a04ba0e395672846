"""The import engine: check every row, then write them all in the caller's transaction.

Two passes keep memory bounded. The first prepares and checks each chunk of rows (types,
value maps, references, duplicates inside the file, custom fields, business rules,
existing matches) and, when the import is to write, spills the good rows to a temporary
file, new rows already converted for their INSERT. The second reads the spill back and
inserts or updates in bulk. Nothing is written when any row is bad, unless the user chose
to skip bad rows. The caller owns the transaction, so a failure anywhere leaves the
database exactly as it was.

Speed (bench/import_bench.py, docs/benchmarks.md): a million rows are checked and written
in well under a minute on a small machine. What made the difference, besides the
per-column readers of ``rowprep`` and the compiled INSERT of ``write``: references
remembered across chunks, the garbage collector kept off the process's long-lived
objects, a larger SQLite page cache, and UUIDs spilled as integers.
"""

from __future__ import annotations

import copyreg
import pickle
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kizuna.customfield import service as custom_fields
from kizuna.customfield.values import FieldSpec, validate_values
from kizuna.importing import checks
from kizuna.importing.mapping import Mapping
from kizuna.importing.refs import RefCache, find_existing, identity, resolve_refs
from kizuna.importing.rowprep import Prepared, Problem, RowPreparer
from kizuna.importing.sources import Source
from kizuna.importing.spec import SPECS, KindSpec
from kizuna.importing.write import Batch, ChunkWriter, Counts
from kizuna.kit.memory import collect_young_only

CHUNK = 5_000
SQLITE_CACHE_KIB = 128 * 1024  # the page cache of the import's SQLite connection
KEPT_PROBLEMS = 1_000

Progress = Callable[[str, int, int | None], None]


@dataclass
class Outcome:
    """What an import found and did; ``problems`` holds the first ``KEPT_PROBLEMS``."""

    total_rows: int = 0
    invalid_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    counts: Counts = field(default_factory=Counts)
    written: bool = False

    @property
    def ok(self) -> bool:
        return self.invalid_rows == 0


# A row that passed every check: its column values, and the id of the record it updates.
Checked = tuple[dict[str, Any], Any]


_new_uuid = uuid.UUID.__new__
_UNKNOWN_SAFETY = uuid.SafeUUID.unknown


def _uuid_from_int(value: int) -> uuid.UUID:
    """What unpickling a UUID does (``UUID.__setstate__``) without its per-call enum lookup,
    which made it four times slower; ``value`` is the ``int`` of a real UUID."""
    restored = _new_uuid(uuid.UUID)
    object.__setattr__(restored, "int", value)
    object.__setattr__(restored, "is_safe", _UNKNOWN_SAFETY)
    return restored


def _reduce_uuid(value: uuid.UUID) -> tuple[Any, tuple[int]]:
    return _uuid_from_int, (value.int,)


class _SpillPickler(pickle.Pickler):
    """Pickles a UUID as its integer: ``UUID.__reduce__`` goes through ``__getstate__``
    and an enum lookup, which made UUIDs the slowest part of spilling a chunk."""

    dispatch_table = {**copyreg.dispatch_table, uuid.UUID: _reduce_uuid}


class Importer:
    """One import of one file of one kind; ``run`` validates and (maybe) writes."""

    def __init__(
        self,
        session: Session,
        source: Source,
        mapping: Mapping,
        *,
        now: datetime,
        progress: Progress | None = None,
        problem_sink: Callable[[Problem], None] | None = None,
    ) -> None:
        self.session = session
        self.source = source
        self.mapping = mapping
        self.spec: KindSpec = SPECS[mapping.kind]
        self.match_key = mapping.options.match_key
        self.now = now
        self.progress = progress or (lambda _stage, _done, _total: None)
        self.problem_sink = problem_sink
        self.preparer = RowPreparer(
            mapping, source.info.headers, unescape=source.info.format != "parquet"
        )
        self.columns = {t: c for t, _s, _p, c in self.preparer.columns}
        self.custom_specs = self._custom_specs()
        self.ref_cache: RefCache = {}
        self.writer = ChunkWriter(session, self.spec, now=now)

    def run(self, *, write: bool, skip_invalid: bool = False) -> Outcome:
        """Check every row; write when asked and the file is clean (or bad rows skipped)."""
        outcome = Outcome()
        with (
            collect_young_only(),
            _sqlite_cache(self.session),
            tempfile.TemporaryFile(prefix="kizuna-import-") as spill,
        ):
            self._check_all(outcome, spill if write else None)
            if write and (outcome.ok or skip_invalid):
                spill.seek(0)
                self._write_all(outcome, spill)
                outcome.written = True
        outcome.counts.skipped = outcome.invalid_rows if outcome.written else 0
        return outcome

    # -- pass 1 ---------------------------------------------------------------------------
    def _check_all(self, outcome: Outcome, spill: Any | None) -> None:
        """Check every row; with a ``spill`` file, keep the good ones there for writing."""
        seen: dict[int, int] = {}
        for chunk in _chunks(self.source.rows()):
            good: list[Prepared] = []
            prepare = self.preparer.prepare
            for row in chunk:
                prepared, problems = prepare(row)
                if prepared is not None:
                    good.append(prepared)
                else:
                    self._report(outcome, problems)
            outcome.total_rows += len(chunk)
            checked = self._check_chunk(good, seen, outcome)
            if spill is not None:
                batch = self.writer.batch(checked)
                _SpillPickler(spill, protocol=pickle.HIGHEST_PROTOCOL).dump(batch)
            self.progress("validating", outcome.total_rows, None)

    def _check_chunk(
        self, rows: list[Prepared], seen: dict[int, int], outcome: Outcome
    ) -> list[Checked]:
        problems = resolve_refs(self.session, self.spec, rows, self.columns, self.ref_cache)
        if problems:
            bad = {p.row for p in problems}
            rows = [r for r in rows if r.number not in bad]
        for row in rows:
            problems += checks.row_rules(self.spec, row, self.columns)
        keys = [identity(self.spec, self.match_key, row) for row in rows]
        problems += checks.duplicates(self.spec, self.match_key, rows, seen, self.columns, keys)
        bad = {p.row for p in problems}
        kept = [(row, key) for row, key in zip(rows, keys, strict=True) if row.number not in bad]
        existing = find_existing(
            self.session, self.spec, self.match_key, (r for r, _k in kept), (k for _r, k in kept)
        )
        good: list[Checked] = []
        for row, key in kept:
            stored = existing.get(key or ())
            row_problems = self._custom_problems(row, stored)
            if stored is None:
                row_problems += checks.required_on_create(self.spec, row, self.columns)
            if row_problems:
                problems += row_problems
                continue
            good.append((row.values, stored["id"] if stored else None))
        self._report(outcome, problems)
        return good

    def _custom_problems(self, row: Prepared, stored: dict[str, Any] | None) -> list[Problem]:
        if not row.custom and (stored is not None or not self.custom_specs):
            return []
        specs = (
            self.custom_specs
            if stored is None
            else [
                FieldSpec(
                    s.key, s.field_type, False, s.choices, s.min_value, s.max_value, s.max_length
                )
                for s in self.custom_specs
            ]
        )
        existing = stored.get("custom_fields") if stored else None
        merged, found = validate_values(specs, row.custom, existing=existing)
        row.values["custom_fields"] = merged
        return [
            Problem(
                row.number,
                self.columns.get(f"custom.{p.loc[-1]}", str(p.loc[-1])),
                str(row.custom.get(str(p.loc[-1]), "")),
                p.code,
                p.message,
            )
            for p in found
        ]

    def _custom_specs(self) -> list[FieldSpec]:
        if self.spec.custom_object is None:
            return []
        return [
            FieldSpec(
                d.key,
                d.field_type,
                d.required,
                tuple(d.choices),
                d.min_value,
                d.max_value,
                d.max_length,
            )
            for d in custom_fields.list_definitions(
                self.session, self.spec.custom_object, active_only=True
            )
        ]

    def _report(self, outcome: Outcome, problems: list[Problem]) -> None:
        if not problems:
            return
        outcome.invalid_rows += len({p.row for p in problems})
        outcome.problem_count += len(problems)
        room = KEPT_PROBLEMS - len(outcome.problems)
        if room > 0:
            outcome.problems.extend(problems[:room])
        if self.problem_sink is not None:
            for problem in problems:
                self.problem_sink(problem)

    # -- pass 2 ---------------------------------------------------------------------------
    def _write_all(self, outcome: Outcome, spill: Any) -> None:
        done = 0
        while True:
            try:
                batch: Batch = pickle.load(spill)  # noqa: S301 - our own temp file
            except EOFError:
                break
            self.writer.write(batch, outcome.counts)
            done += len(batch.params) + len(batch.updates)
            self.progress("writing", done, outcome.total_rows - outcome.invalid_rows)


@contextmanager
def _sqlite_cache(session: Session) -> Iterator[None]:
    """On SQLite, a page cache of ``SQLITE_CACHE_KIB`` for the import's connection.

    SQLite's default cache is 2 MiB. A large import inserts into several indexes at
    random places (an account id and a start date, an end date…); once they outgrow the
    cache, every insert reads pages back and spills dirty ones to the WAL: a million
    subscription lines took 40 % longer, more than half of the difference in system
    calls. The previous size is restored when the import ends, so the pooled connection
    goes back unchanged. The cache only grows as pages are used.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    if before < 0 and -before >= SQLITE_CACHE_KIB:
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")  # negative: KiB
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {before}")


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def problems_csv_header() -> list[str]:
    return ["row", "column", "value", "code", "message"]


def problem_cells(problem: Problem) -> list[object]:
    return [problem.row, problem.column, problem.value, problem.code, problem.message]
