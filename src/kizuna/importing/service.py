"""Import use cases: upload a file, propose a mapping, validate, confirm, write, look back.

The write runs in the caller's transaction: one import is one transaction.
"""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.importing.engine import Importer, Outcome, Progress, problem_cells, problems_csv_header
from kizuna.importing.mapping import Mapping, auto_map
from kizuna.importing.rowprep import Problem
from kizuna.importing.sources import open_source
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.models.importing import ImportKind, ImportRun, ImportStatus
from kizuna.queue import service as queue

# What each kind needs of the actor beyond reading.
WRITE_PERMISSION: dict[ImportKind, Permission] = {
    ImportKind.ACCOUNTS: Permission.ACCOUNT_WRITE,
    ImportKind.CONTACTS: Permission.CONTACT_WRITE,
    ImportKind.PRODUCTS: Permission.PRODUCT_WRITE,
    ImportKind.SUBSCRIPTIONS: Permission.SUBSCRIPTION_WRITE,
    ImportKind.ACTIVITIES: Permission.ACTIVITY_WRITE,
    ImportKind.SURVEY_RESPONSES: Permission.SURVEY_WRITE,
}


@dataclass(frozen=True)
class Workspace:
    """Where uploaded files and problem reports live (``<data_dir>/imports/<run id>/``)."""

    root: Path

    def folder(self, run_id: uuid.UUID) -> Path:
        return self.root / "imports" / str(run_id)

    def problems_path(self, run_id: uuid.UUID) -> Path:
        return self.folder(run_id) / "problems.csv"


def require_import(actor: Actor, kind: ImportKind) -> None:
    actor.require(Permission.IMPORT_RUN)
    actor.require(WRITE_PERMISSION[kind])


def create_run(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    *,
    kind: ImportKind,
    filename: str,
    upload: Path,
    mapping: Mapping | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
) -> ImportRun:
    """Keep the uploaded file and propose a mapping (auto-matched unless one is given)."""
    require_import(actor, kind)
    run_id = uuid.uuid4()
    folder = workspace.folder(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / _safe_name(filename)
    try:
        shutil.copyfile(upload, stored)
        source = open_source(stored, filename=filename)
        if mapping is None:
            mapping, _confidence = auto_map(kind, source.info.headers)
        elif mapping.kind is not kind:
            raise Invalid(
                FieldProblem(("mapping",), "wrong_kind", f"the mapping is for {mapping.kind}")
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # a refused file leaves nothing behind
        raise
    run = ImportRun(
        id=run_id,
        kind=kind,
        filename=filename[:300],
        file_path=str(stored),
        file_format=source.info.format,
        encoding=source.info.encoding,
        mapping=mapping.to_dict(),
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        created_by_id=actor.user_id,
        created_at=utc_now(),
    )
    session.add(run)
    session.flush()
    return run


def set_mapping(
    session: Session,
    actor: Actor,
    run_id: uuid.UUID,
    mapping: Mapping,
    *,
    skip_invalid: bool | None = None,
) -> ImportRun:
    run = get_run(session, actor, run_id)
    _require_status(run, {ImportStatus.UPLOADED, ImportStatus.VALIDATED})
    if mapping.kind is not run.kind:
        raise Invalid(
            FieldProblem(("mapping",), "wrong_kind", f"the mapping is for {mapping.kind}")
        )
    run.mapping = mapping.to_dict()
    if skip_invalid is not None:
        run.skip_invalid = skip_invalid
    run.status = ImportStatus.UPLOADED
    return run


def validate_run(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    run_id: uuid.UUID,
    progress: Progress | None = None,
) -> ImportRun:
    """Check every row and record the report; writes nothing."""
    run = get_run(session, actor, run_id)
    require_import(actor, run.kind)
    outcome = _run_engine(session, run, workspace, write=False, progress=progress)
    _record(run, outcome, ImportStatus.VALIDATED)
    run.validated_at = utc_now()
    return run


def execute_run(
    session: Session,
    actor: Actor,
    workspace: Workspace,
    run_id: uuid.UUID,
    progress: Progress | None = None,
) -> ImportRun:
    """Check again and write, all in the caller's transaction. Refuses a file with bad rows
    unless the run skips them; a dry run only validates."""
    run = get_run(session, actor, run_id)
    require_import(actor, run.kind)
    _require_status(run, {ImportStatus.UPLOADED, ImportStatus.VALIDATED, ImportStatus.IMPORTING})
    run.started_at = run.started_at or utc_now()
    outcome = _run_engine(session, run, workspace, write=not run.dry_run, progress=progress)
    _record(run, outcome, ImportStatus.DONE if outcome.written else ImportStatus.VALIDATED)
    run.finished_at = utc_now()
    if outcome.written:
        audit.record(
            session,
            actor,
            "import.apply",
            "import_run",
            run.id,
            summary=f"{run.kind.value}: {run.filename}",
            changes={
                "created": [None, run.created_count],
                "updated": [None, run.updated_count],
                "unchanged": [None, run.unchanged_count],
                "skipped": [None, run.skipped_count],
            },
        )
    return run


def mark_failed(session: Session, run_id: uuid.UUID, error: str) -> None:
    """Record an unexpected failure (after the import's own transaction rolled back)."""
    run = session.get(ImportRun, run_id)
    if run is not None:
        run.status = ImportStatus.FAILED
        run.error = error[:4000]
        run.finished_at = utc_now()


def get_run(session: Session, actor: Actor, run_id: uuid.UUID) -> ImportRun:
    actor.require(Permission.IMPORT_RUN)
    run = session.get(ImportRun, run_id)
    if run is None:
        raise NotFound("import not found")
    return run


def list_runs(session: Session, actor: Actor, *, limit: int = 50) -> list[ImportRun]:
    actor.require(Permission.IMPORT_RUN)
    stmt = select(ImportRun).order_by(ImportRun.created_at.desc()).limit(limit)
    return list(session.scalars(stmt))


def mapping_of(run: ImportRun) -> Mapping:
    return Mapping.from_dict(run.mapping)


def _run_engine(
    session: Session,
    run: ImportRun,
    workspace: Workspace,
    *,
    write: bool,
    progress: Progress | None,
) -> Outcome:
    source = open_source(Path(run.file_path), filename=run.filename)
    report = workspace.problems_path(run.id)
    report.parent.mkdir(parents=True, exist_ok=True)
    with report.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(problems_csv_header())
        sink: Callable[[Problem], None] = lambda p: writer.writerow(problem_cells(p))  # noqa: E731
        importer = Importer(
            session, source, mapping_of(run), now=utc_now(), progress=progress, problem_sink=sink
        )
        return importer.run(write=write, skip_invalid=run.skip_invalid)


def _record(run: ImportRun, outcome: Outcome, status: ImportStatus) -> None:
    run.status = status
    run.total_rows = outcome.total_rows
    run.invalid_rows = outcome.invalid_rows
    run.created_count = outcome.counts.created
    run.updated_count = outcome.counts.updated
    run.unchanged_count = outcome.counts.unchanged
    run.skipped_count = outcome.counts.skipped
    run.problems = [problem_dict(p) for p in outcome.problems]
    run.problems_truncated = outcome.problem_count > len(outcome.problems)


def problem_dict(problem: Problem) -> dict[str, Any]:
    return {
        "row": problem.row,
        "column": problem.column,
        "value": problem.value,
        "code": problem.code,
        "message": problem.message,
    }


def _require_status(run: ImportRun, allowed: set[ImportStatus]) -> None:
    if run.status not in allowed:
        raise Conflict(f"the import is {run.status.value}", code="wrong_status")


def _safe_name(filename: str) -> str:
    name = Path(filename).name or "upload"
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[-120:]


def request_validation(session: Session, actor: Actor, run_id: uuid.UUID) -> ImportRun:
    """Queue the check of every row (the worker runs it; the page polls its progress)."""
    run = get_run(session, actor, run_id)
    require_import(actor, run.kind)
    _require_status(run, {ImportStatus.UPLOADED, ImportStatus.VALIDATED})
    run.status = ImportStatus.VALIDATING
    run.job_id = queue.enqueue(session, "importing.validate", {"run_id": str(run.id)}).id
    return run


def request_execution(session: Session, actor: Actor, run_id: uuid.UUID) -> ImportRun:
    """Confirm: queue the write. A file with bad rows needs ``skip_invalid``."""
    run = get_run(session, actor, run_id)
    require_import(actor, run.kind)
    _require_status(run, {ImportStatus.VALIDATED})
    if run.invalid_rows and not run.skip_invalid:
        raise Conflict(
            f"{run.invalid_rows} rows are invalid: fix the file or choose to skip them",
            code="invalid_rows",
        )
    run.status = ImportStatus.IMPORTING
    run.job_id = queue.enqueue(session, "importing.execute", {"run_id": str(run.id)}).id
    return run


def write_progress(
    workspace: Workspace, run_id: uuid.UUID, stage: str, done: int, total: int | None
) -> None:
    """Progress beside the run's files. On SQLite the import holds the write lock until it
    commits, so progress cannot go through the database; a file can (atomically)."""
    folder = workspace.folder(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / "progress.json.tmp"
    temporary.write_text(
        json.dumps({"stage": stage, "done": done, "total": total}), encoding="utf-8"
    )
    temporary.replace(folder / "progress.json")


def read_progress(workspace: Workspace, run_id: uuid.UUID) -> dict[str, Any] | None:
    path = workspace.folder(run_id) / "progress.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
