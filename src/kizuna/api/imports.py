"""/api/v1/imports: upload a file, fix its mapping, validate, confirm, follow the job.

Validation and the write run as queued jobs (``importing.validate``, ``importing.execute``);
poll ``GET /imports/{id}`` for their progress and outcome.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from kizuna.api.deps import DbSession, ImportRunner
from kizuna.api.schemas import PageOut
from kizuna.importing import saved
from kizuna.importing import service as importing
from kizuna.importing.schemas import ImportRunOut, ImportRunSummaryOut, MappingIn
from kizuna.importing.sources import SourceError, open_source
from kizuna.kit.errors import NotFound
from kizuna.models.importing import ImportKind, ImportRun
from kizuna.queue import service as queue

router = APIRouter(prefix="/imports", tags=["imports"])

MAX_UPLOAD_BYTES = 1 << 30  # 1 GiB
_CHUNK = 1 << 20


def get_workspace(request: Request) -> importing.Workspace:
    return importing.Workspace(request.app.state.settings.data_dir)


Workspace = Annotated[importing.Workspace, Depends(get_workspace)]


@contextmanager
def received(upload: UploadFile) -> Iterator[Path]:
    """The upload copied, in chunks, to a temporary file (removed afterwards); an upload
    larger than :data:`MAX_UPLOAD_BYTES` is refused with 413."""
    too_large = HTTPException(413, f"the file is larger than {MAX_UPLOAD_BYTES:,} bytes")
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise too_large
    with tempfile.TemporaryDirectory(prefix="kizuna-upload-") as folder:
        path = Path(folder) / "upload"
        written = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(_CHUNK):
                written += len(chunk)
                if written > MAX_UPLOAD_BYTES:
                    raise too_large
                out.write(chunk)
        yield path


def status_of(session: Session, workspace: importing.Workspace, run: ImportRun) -> ImportRunOut:
    """The run with what lives beside it: the file's headers, progress, its job."""
    try:
        headers = open_source(Path(run.file_path), filename=run.filename).info.headers
    except (SourceError, OSError):
        headers = []
    job = queue.get_job(session, run.job_id) if run.job_id else None
    progress = importing.read_progress(workspace, run.id)
    return ImportRunOut.build(run, headers=headers, progress=progress, job=job)


@router.post("", response_model=ImportRunOut, status_code=201, summary="Upload a file to import")
def create_import(
    actor: ImportRunner,
    session: DbSession,
    workspace: Workspace,
    kind: Annotated[ImportKind, Form()],
    file: Annotated[UploadFile, File(description="CSV, TSV, XLSX or Parquet, up to 1 GiB")],
    mapping: Annotated[
        str | None, Form(description="a mapping as YAML or JSON (default: matched automatically)")
    ] = None,
    mapping_name: Annotated[str | None, Form(description="the name of a saved mapping")] = None,
    skip_invalid: Annotated[bool, Form(description="import good rows, skip bad ones")] = False,
    dry_run: Annotated[bool, Form(description="check every row, write nothing")] = False,
    validate_now: Annotated[
        bool, Form(alias="validate", description="queue the validation right away")
    ] = True,
) -> ImportRunOut:
    """Stores the file and proposes a mapping (a saved one, the one sent, a built-in preset
    the headers match, or header synonyms); with `validate`, every row is checked next."""
    with received(file) as upload, session.begin():
        chosen = saved.chosen_mapping(session, actor, kind, text=mapping, name=mapping_name)
        run = importing.create_run(
            session,
            actor,
            workspace,
            kind=kind,
            filename=file.filename or "upload.csv",
            upload=upload,
            mapping=chosen,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
        )
        if validate_now:
            run = importing.request_validation(session, actor, run.id)
        return status_of(session, workspace, run)


@router.get("", response_model=PageOut[ImportRunSummaryOut], summary="List imports")
def list_imports(
    actor: ImportRunner, session: DbSession, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> PageOut[ImportRunSummaryOut]:
    """The latest imports first."""
    with session.begin():
        runs = importing.list_runs(session, actor, limit=limit)
        return PageOut(items=[ImportRunSummaryOut.from_run(r) for r in runs], next_cursor=None)


@router.get("/{run_id}", response_model=ImportRunOut, summary="Get an import's status")
def get_import(
    run_id: uuid.UUID, actor: ImportRunner, session: DbSession, workspace: Workspace
) -> ImportRunOut:
    """Status, counts, mapping, the file's headers, the first problems, the job's progress."""
    with session.begin():
        return status_of(session, workspace, importing.get_run(session, actor, run_id))


@router.put("/{run_id}/mapping", response_model=ImportRunOut, summary="Change the mapping")
def set_import_mapping(
    run_id: uuid.UUID,
    body: MappingIn,
    actor: ImportRunner,
    session: DbSession,
    workspace: Workspace,
) -> ImportRunOut:
    """The mapping as a dictionary or as `{"yaml": "..."}`; the import is validated again."""
    with session.begin():
        run = importing.get_run(session, actor, run_id)
        mapping = body.to_mapping(run.kind)
        importing.set_mapping(session, actor, run_id, mapping, skip_invalid=body.skip_invalid)
        run = importing.request_validation(session, actor, run_id)
        return status_of(session, workspace, run)


@router.post(
    "/{run_id}/validate", response_model=ImportRunOut, status_code=202, summary="Validate again"
)
def validate_import(
    run_id: uuid.UUID, actor: ImportRunner, session: DbSession, workspace: Workspace
) -> ImportRunOut:
    with session.begin():
        run = importing.request_validation(session, actor, run_id)
        return status_of(session, workspace, run)


@router.post(
    "/{run_id}/confirm", response_model=ImportRunOut, status_code=202, summary="Confirm: write"
)
def confirm_import(
    run_id: uuid.UUID, actor: ImportRunner, session: DbSession, workspace: Workspace
) -> ImportRunOut:
    """Queues the write (one transaction). 409 when rows are invalid and not skipped."""
    with session.begin():
        run = importing.request_execution(session, actor, run_id)
        return status_of(session, workspace, run)


@router.get(
    "/{run_id}/problems.csv",
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}}},
    summary="Download the problem report",
)
def import_problems(
    run_id: uuid.UUID, actor: ImportRunner, session: DbSession, workspace: Workspace
) -> FileResponse:
    """Every problem of the last validation (UTF-8 with BOM, opens in Excel)."""
    with session.begin():
        run = importing.get_run(session, actor, run_id)
    path = workspace.problems_path(run.id)
    if not path.is_file():
        raise NotFound("the import has not been validated yet", code="no_report")
    return FileResponse(path, media_type="text/csv", filename=f"import-{run.id}-problems.csv")
