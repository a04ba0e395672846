"""/api/v1/exports: download every record of a kind, or a snapshot of everything.

The export is written to a temporary file first (rows stream from the database in
partitions), sent, then deleted by a background task.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from kizuna.api.deps import DbSession, Exporter
from kizuna.exporting import service as exporting
from kizuna.exporting.service import Format
from kizuna.kit.clock import today
from kizuna.models.importing import ImportKind

router = APIRouter(prefix="/exports", tags=["exports"])

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "zip": "application/zip",
}
FormatQuery = Annotated[
    Format, Query(alias="format", description="csv (UTF-8 with BOM) or parquet")
]
_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in MEDIA_TYPES.values()}}
}


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder, removed here if the export fails (else after the download)."""
    folder = Path(tempfile.mkdtemp(prefix="kizuna-export-"))
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def download(path: Path, folder: Path, filename: str) -> FileResponse:
    """``path`` as an attachment; ``folder`` is deleted once it has been sent."""
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix.removeprefix(".")],
        filename=filename,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def zipped(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, arcname=path.name)
    return archive


@router.get(
    "/all",
    response_class=FileResponse,
    responses=_DOWNLOAD,
    summary="Download a snapshot of everything (zip)",
)
def export_everything(
    actor: Exporter, session: DbSession, fmt: FormatQuery = "csv"
) -> FileResponse:
    """One file per kind, in import order, and `manifest.json` with the counts."""
    with scratch() as folder:
        with session.begin():
            exporting.export_all(session, actor, fmt, folder / "snapshot")
        archive = zipped(folder / "snapshot", folder / "snapshot.zip")
        return download(archive, folder, f"kizuna-{today():%Y%m%d}.zip")


@router.get(
    "/{kind}",
    response_class=FileResponse,
    responses=_DOWNLOAD,
    summary="Download every record of a kind",
)
def export_records(
    kind: ImportKind, actor: Exporter, session: DbSession, fmt: FormatQuery = "csv"
) -> FileResponse:
    """The columns are the import's field names: the file re-imports as it is."""
    with scratch() as folder:
        path = folder / f"{kind.value}.{fmt}"
        with session.begin():
            exporting.export_kind(session, actor, kind, fmt, path)
        return download(path, folder, f"{kind.value}-{today():%Y%m%d}.{fmt}")
