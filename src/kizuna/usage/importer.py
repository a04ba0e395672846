"""Bulk import of historical events from CSV or Parquet (``kizuna events import FILE``).

Columnar end to end: DuckDB reads the file, maps the columns (canonical names or
Segment's camelCase), and in one pass checks every row in SQL and writes the store's
new files (de-duplicated there), which join the store only when all rows are good.
Identify / group / alias rows also go through ``usage.identity.apply_identity``, and
group ids seen on events for the first time are registered (and matched to accounts) the
same way. A file with any bad row writes nothing: the problems come back with their row
numbers (1 = first data row).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Invalid
from kizuna.models.usage import EventSource
from kizuna.usage import pipeline
from kizuna.usage.sources import SourceKey
from kizuna.usage.store import EventStore, RejectedRows, new_connection, scalar

Format = Literal["csv", "parquet"]
Progress = Callable[[str, int, int | None], None]
MAX_PROBLEMS = 200

# File column → store column. Canonical names map to themselves.
SYNONYMS = {
    "messageid": "message_id",
    "message_id": "message_id",
    "type": "type",
    "event": "event",
    "name": "event",
    "userid": "user_id",
    "user_id": "user_id",
    "anonymousid": "anonymous_id",
    "anonymous_id": "anonymous_id",
    "groupid": "group_id",
    "group_id": "group_id",
    "previousid": "previous_id",
    "previous_id": "previous_id",
    "timestamp": "timestamp",
    "receivedat": "received_at",
    "received_at": "received_at",
    "properties": "properties",
    "traits": "traits",
    "context": "context",
}
REQUIRED = ("message_id", "timestamp")

# (SQL condition that makes the row bad, field, code, message)
CHECKS: tuple[tuple[str, str, str, str], ...] = (
    ("message_id IS NULL OR message_id = ''", "message_id", "required", "message_id is required"),
    ("length(message_id) > 200", "message_id", "too_long", "message_id longer than 200"),
    (
        "type NOT IN ('track','identify','page','screen','group','alias')",
        "type",
        "unknown_value",
        "type must be track, identify, page, screen, group or alias",
    ),
    (
        "type = 'track' AND (event IS NULL OR event = '')",
        "event",
        "required",
        "event: required for track",
    ),
    ("length(event) > 200", "event", "too_long", "event longer than 200"),
    ('"timestamp" IS NULL', "timestamp", "not_datetime", "timestamp missing or not a date-time"),
    (
        "type <> 'group' AND user_id IS NULL AND anonymous_id IS NULL",
        "user_id",
        "required",
        "user_id or anonymous_id is required",
    ),
    ("type = 'group' AND group_id IS NULL", "group_id", "required", "group_id: required for group"),
    (
        "type = 'alias' AND previous_id IS NULL",
        "previous_id",
        "required",
        "previous_id: required for alias",
    ),
    (
        "greatest(length(user_id), length(anonymous_id), length(group_id), "
        "length(previous_id)) > 200",
        "user_id",
        "too_long",
        "an id is longer than 200",
    ),
    ("properties IS NULL", "properties", "not_json", "properties must be a JSON object"),
)


_ANY_BAD = " OR ".join(f"({condition})" for condition, *_ in CHECKS)


@dataclass
class ImportResult:
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    identities: int = 0
    unmatched_groups: list[str] = field(default_factory=list)
    problems: list[dict[str, object]] = field(default_factory=list)
    bad_rows: int = 0


def import_events(
    session: Session,
    actor: Actor,
    store: EventStore,
    path: Path,
    *,
    source: str | None = None,
    fmt: Format | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
) -> ImportResult:
    """Check and load an event file; nothing is written when any row is bad."""
    actor.require(Permission.SOURCE_ADMIN)
    report = progress or (lambda stage, done, total: None)
    key = _source(session, source)
    chosen = fmt or _format(path)
    con = new_connection(threads)
    try:
        report("reading", 0, None)
        _read(con, path, chosen)
        rows = _normalise(con, key)
        report("checking and writing", 0, rows)
        result = ImportResult(rows=rows)
        summary = EventStore.summarise(con, "kz_clean")

        def identities() -> None:
            report("identities", rows, rows)
            identity = pipeline.apply_identities(session, con, "kz_clean", key)
            result.identities = identity.users + identity.groups
            result.unmatched_groups = identity.unmatched_groups

        # One pass reads the file, checks every row and writes the store's files; they
        # appear in the store only if no row was bad and the identities are applied.
        try:
            with store.writing():
                tag = f"import-{utc_now():%Y%m%dT%H%M%S%f}"
                appended = store.append(
                    con,
                    "kz_rows",
                    tag=tag,
                    summary=summary,
                    reject=_ANY_BAD,
                    before_publish=identities,
                )
        except RejectedRows:
            _problems(con, result)
            return result
        pipeline.mark_stored(session, appended)
        result.stored, result.duplicates = appended.stored, appended.duplicates
        report("done", rows, rows)
        return result
    finally:
        con.close()


def _source(session: Session, name: str | None) -> SourceKey | None:
    if name is None:
        return None
    row = session.scalar(select(EventSource).where(EventSource.name == name))
    if row is None:
        raise Invalid.field("source", f"no event source named {name!r}", code="unknown_source")
    return SourceKey(row.id, row.name, row.enabled, row.group_match, dict(row.trait_mapping))


def _format(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    raise Invalid.field("format", "cannot tell the format: use --format csv|parquet", code="format")


def _read(con: duckdb.DuckDBPyConnection, path: Path, fmt: Format) -> None:
    quoted = "'" + str(path).replace("'", "''") + "'"
    try:
        if fmt == "parquet":
            select = (
                f"*, file_row_number + 1 AS kz_row "
                f"FROM read_parquet({quoted}, file_row_number = true)"
            )
        else:
            select = (
                f"*, row_number() OVER () AS kz_row "
                f"FROM read_csv({quoted}, header = true, all_varchar = true)"
            )
        con.execute(f"CREATE OR REPLACE TEMP VIEW kz_file AS SELECT {select}")
        columns = [r[0] for r in con.execute("DESCRIBE kz_file").fetchall()]
    except duckdb.Error as exc:
        raise Invalid.field(
            "file", f"cannot read the file as {fmt}: {exc}", code="unreadable"
        ) from None
    mapped = {SYNONYMS[c.lower()]: c for c in columns if c.lower() in SYNONYMS}
    missing = [c for c in REQUIRED if c not in mapped]
    if missing:
        raise Invalid.field(
            "file", f"missing column(s): {', '.join(missing)}", code="missing_columns"
        )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW kz_mapped AS SELECT kz_row, "  # noqa: S608 (our identifiers; values are bound)
        + ", ".join(f'"{column}" AS "{target}"' for target, column in mapped.items())
        + " FROM kz_file"
    )


def _normalise(con: duckdb.DuckDBPyConnection, key: SourceKey | None) -> int:
    """Two views of the canonical columns: ``kz_rows`` checks every value (bad ones become
    NULL, caught by the checks) and ``kz_clean`` — used for writing once every row has
    passed — skips the costly checks (JSON parsing). Returns the row count."""
    present = {r[0]: r[1] for r in con.execute("DESCRIBE kz_mapped").fetchall()}
    for view, checked in (("kz_rows", True), ("kz_clean", False)):
        columns = _columns(present, key, checked=checked)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {columns} FROM kz_mapped")  # noqa: S608
    return scalar(con, "SELECT count(*) FROM kz_mapped")


def _columns(present: dict[str, str], key: SourceKey | None, *, checked: bool) -> str:
    def text(name: str) -> str:
        if name not in present:
            return "NULL::VARCHAR"
        return f"nullif(trim(CAST(\"{name}\" AS VARCHAR)), '')"

    def json_object(name: str) -> str:
        if name not in present:
            return "'{}'"
        raw = f'"{name}"'
        if not present[name].upper().startswith("VARCHAR"):
            raw = f"CAST(to_json({raw}) AS VARCHAR)"
        valid = f"left(ltrim({raw}), 1) = '{{' AND json_valid({raw})" if checked else "true"
        return (
            f"CASE WHEN {raw} IS NULL OR trim({raw}) = '' THEN '{{}}' WHEN {valid} THEN {raw} END"
        )

    props = json_object("properties")
    if "traits" in present:
        traits = json_object("traits")
        props = f"CASE WHEN {text('type')} IN ('identify', 'group') THEN {traits} ELSE {props} END"
    source_id = f"'{key.id}'" if key else "NULL::VARCHAR"
    received = 'TRY_CAST("received_at" AS TIMESTAMPTZ)' if "received_at" in present else "NULL"
    return f"""kz_row,
        {text("message_id")} AS message_id,
        {source_id} AS source_id,
        lower(coalesce({text("type")}, 'track')) AS type,
        {text("event")} AS event,
        {text("user_id")} AS user_id,
        {text("anonymous_id")} AS anonymous_id,
        {text("group_id")} AS group_id,
        {text("previous_id")} AS previous_id,
        TRY_CAST("timestamp" AS TIMESTAMPTZ) AS "timestamp",
        coalesce({received}, now()) AS received_at,
        {props} AS properties,
        {json_object("context")} AS context"""


def _problems(con: duckdb.DuckDBPyConnection, result: ImportResult) -> None:
    """What is wrong with which rows (the first ``MAX_PROBLEMS``), and how many are bad."""
    union = " UNION ALL ".join(
        f"SELECT kz_row, '{field_}' AS field, '{code}' AS code, '{message}' AS message "  # noqa: S608 (our identifiers; values are bound)
        f"FROM kz_rows WHERE {condition}"
        for condition, field_, code, message in CHECKS
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE kz_problems AS {union}")
    result.bad_rows = scalar(con, "SELECT count(DISTINCT kz_row) FROM kz_problems")
    rows = con.execute(
        "SELECT kz_row, field, code, message FROM kz_problems ORDER BY kz_row, field LIMIT ?",
        [MAX_PROBLEMS],
    ).fetchall()
    result.problems = [
        {"row": int(r[0]), "field": r[1], "code": r[2], "message": r[3]} for r in rows
    ]
