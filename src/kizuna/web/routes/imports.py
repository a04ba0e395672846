"""Import & export: upload → map → check every row → confirm → progress → result, the
history of past imports, and downloads of everything as CSV or Parquet.

Checking and writing run as queued jobs; while one runs the page polls
``/imports/{id}/progress`` (HTMX) and reloads itself when the job has finished.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile

from kizuna.auth.actor import Actor
from kizuna.customfield import service as custom_fields
from kizuna.exporting import service as exporting
from kizuna.importing import saved
from kizuna.importing import service as importing
from kizuna.importing.fields import TARGETS, TargetField
from kizuna.importing.mapping import MATCH_KEYS, Mapping
from kizuna.importing.presets import get_preset
from kizuna.importing.schemas import SavedMappingIn
from kizuna.importing.sources import SourceError, header_text, open_source
from kizuna.importing.spec import SPECS
from kizuna.kit.clock import today
from kizuna.kit.errors import Conflict, Invalid, NotFound
from kizuna.kit.i18n import N_
from kizuna.models.importing import ImportKind, ImportRun, ImportStatus
from kizuna.user import service as users
from kizuna.web.deps import DbSession, Exporter, Importer, PageContext
from kizuna.web.field_errors import message_for
from kizuna.web.forms import errors_by_field, parse
from kizuna.web.render import redirect, render
from kizuna.web.routes.users import TIMEZONES

router = APIRouter()

PREVIEW_ROWS = 5
SHOWN_PROBLEMS = 100
COMPOSED = "compose:"  # the select value of a composed column (姓 + 名): compose:["姓","名"]
RUNNING = frozenset({ImportStatus.VALIDATING, ImportStatus.IMPORTING})
MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


@dataclass(frozen=True)
class Preview:
    """The file's headers and its first rows as text, or why it cannot be read."""

    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    delimiter: str | None = None
    sheet: str | None = None
    error: str = ""

    def samples(self, mapping: Mapping) -> dict[str, list[str]]:
        """The non-blank values of each column in the preview rows, by the column's select
        value (a composed column's values are its headers' cells joined by a space)."""
        found = {h: [r[i] for r in self.rows if r[i].strip()] for i, h in enumerate(self.headers)}
        for header in mapping.columns.values():
            if isinstance(header, list) and all(h in self.headers for h in header):
                cells = [[r[self.headers.index(h)] for h in header] for r in self.rows]
                found[_option_value(header)] = [" ".join(c for c in row if c) for row in cells]
        return found


@router.get("/imports")
def import_index(request: Request, ctx: Importer, session: DbSession) -> Response:
    with session.begin():
        return _index_page(request, ctx, session)


@router.post("/imports")
async def upload(request: Request, ctx: Importer, session: DbSession) -> Response:
    async with request.form() as form:  # closes the uploaded file's spool on the way out
        try:
            run_id = await run_in_threadpool(_store_upload, request, ctx.actor, session, form)
        except Invalid as exc:
            values = {k: v for k, v in form.items() if isinstance(v, str)}
            with session.begin():
                return _index_page(request, ctx, session, values=values, errors=_errors(exc))
    return redirect(f"/imports/{run_id}", flash=N_("File received: check how its columns map."))


@router.get("/imports/export")
def export(
    ctx: Exporter,
    session: DbSession,
    kind: ImportKind | Literal["all"],
    fmt: Annotated[Literal["csv", "parquet"], Query(alias="format")],
) -> Response:
    folder = Path(tempfile.mkdtemp(prefix="kizuna-export-"))
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    try:
        with session.begin():
            path = _export(session, ctx.actor, kind, fmt, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = "application/zip" if path.suffix == ".zip" else MEDIA[fmt]
    return FileResponse(path, media_type=media, filename=path.name, background=cleanup)


@router.get("/imports/{run_id}")
def import_detail(
    request: Request, run_id: uuid.UUID, ctx: Importer, session: DbSession
) -> Response:
    with session.begin():
        return _detail_page(request, ctx, session, run_id)


@router.get("/imports/{run_id}/progress")
def import_progress(
    request: Request, run_id: uuid.UUID, ctx: Importer, session: DbSession
) -> Response:
    with session.begin():
        run = importing.get_run(session, ctx.actor, run_id)
        if run.status not in RUNNING:  # finished: the page reloads to show the outcome
            return Response("", headers={"HX-Refresh": "true"})
        progress = importing.read_progress(_workspace(request), run.id)
        return render(request, ctx, "imports/_progress.html", run=run, progress=progress)


@router.post("/imports/{run_id}/mapping")
async def check_rows(
    request: Request, run_id: uuid.UUID, ctx: Importer, session: DbSession
) -> Response:
    form = await request.form()
    try:
        with session.begin():
            run = importing.get_run(session, ctx.actor, run_id)
            skip = form.get("skip_invalid") == "true"
            importing.set_mapping(session, ctx.actor, run_id, _posted(run, form), skip_invalid=skip)
            importing.request_validation(session, ctx.actor, run_id)
    except Invalid as exc:
        with session.begin():
            return _detail_page(
                request, ctx, session, run_id, errors=_mapping_errors(exc), form=form
            )
    except Conflict:
        return redirect(f"/imports/{run_id}", flash=N_("This import can no longer be changed."))
    return redirect(f"/imports/{run_id}", flash=N_("Mapping applied: every row is being checked."))


@router.post("/imports/{run_id}/confirm")
def confirm(run_id: uuid.UUID, ctx: Importer, session: DbSession) -> Response:
    try:
        with session.begin():
            importing.request_execution(session, ctx.actor, run_id)
    except Conflict:
        message = N_("This import cannot be confirmed: check the rows again first.")
        return redirect(f"/imports/{run_id}", flash=message, level="error")
    return redirect(f"/imports/{run_id}", flash=N_("Import started."))


@router.post("/imports/{run_id}/save-mapping")
async def save_mapping(
    request: Request, run_id: uuid.UUID, ctx: Importer, session: DbSession
) -> Response:
    form = await request.form()
    try:
        with session.begin():
            run = importing.get_run(session, ctx.actor, run_id)
            mapping = _posted(run, form) if _has_columns(form) else importing.mapping_of(run)
            body = {"name": form.get("name", ""), "kind": run.kind, "definition": mapping.to_dict()}
            saved.save_mapping(session, ctx.actor, parse(SavedMappingIn, body))
    except Invalid as exc:
        with session.begin():
            return _detail_page(
                request, ctx, session, run_id, errors=_mapping_errors(exc), form=form
            )
    return redirect(f"/imports/{run_id}", flash=N_("Mapping saved: choose it for your next file."))


@router.get("/imports/{run_id}/problems.csv")
def problems_csv(
    request: Request, run_id: uuid.UUID, ctx: Importer, session: DbSession
) -> Response:
    with session.begin():
        run = importing.get_run(session, ctx.actor, run_id)
    path = _workspace(request).problems_path(run.id)
    if not path.is_file():
        raise NotFound("the import has not been checked yet", code="no_report")
    name = f"{Path(run.filename).stem}-problems.csv"
    return FileResponse(path, media_type=MEDIA["csv"], filename=name)


# Helpers -------------------------------------------------------------------------------


def _workspace(request: Request) -> importing.Workspace:
    return importing.Workspace(request.app.state.settings.data_dir)


def _store_upload(request: Request, actor: Actor, session: Session, form: FormData) -> uuid.UUID:
    """Keep the uploaded file as a new import (in a worker thread: the copy may be large)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid.field("file", "choose a file to import", code="required")
    try:
        kind = ImportKind(str(form.get("kind", "")))
    except ValueError:
        raise Invalid.field("kind", "choose what the file holds", code="enum") from None
    with tempfile.TemporaryDirectory(prefix="kizuna-upload-") as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        with session.begin():
            chosen = str(form.get("saved_mapping") or "")
            mapping = _saved_mapping(session, actor, chosen) if chosen else None
            run = importing.create_run(
                session,
                actor,
                _workspace(request),
                kind=kind,
                filename=upload.filename,
                upload=path,
                mapping=mapping,
                skip_invalid=form.get("skip_invalid") == "true",
            )
            return run.id


def _saved_mapping(session: Session, actor: Actor, chosen: str) -> Mapping:
    try:
        mapping_id = uuid.UUID(chosen)
    except ValueError:
        raise Invalid.field("saved_mapping", "not a saved mapping", code="uuid_parsing") from None
    return Mapping.from_dict(saved.get_mapping(session, actor, mapping_id).definition)


def _errors(exc: Invalid) -> dict[str, str]:
    """Errors per input of the upload form (a saved mapping of another kind: its select)."""
    errors = errors_by_field(exc)
    if "mapping" in errors:
        errors["saved_mapping"] = errors.pop("mapping")
    return errors


def _export(
    session: Session,
    actor: Actor,
    kind: ImportKind | Literal["all"],
    fmt: Literal["csv", "parquet"],
    folder: Path,
) -> Path:
    """One kind as one file, or everything as a ZIP of one file per kind and a manifest."""
    stamp = today().strftime("%Y%m%d")
    if kind == "all":
        exporting.export_all(session, actor, fmt, folder / "files")
        archive = shutil.make_archive(str(folder / f"kizuna-{stamp}"), "zip", folder / "files")
        return Path(archive)
    path = folder / f"kizuna-{kind.value}-{stamp}.{fmt}"
    exporting.export_kind(session, actor, ImportKind(kind), fmt, path)
    return path


def _has_columns(form: FormData) -> bool:
    return any(key.startswith("col:") for key in form)


def _header(value: str) -> str | list[str]:
    """A select's value as a mapping column: one header, or the headers of a composed one."""
    if value.startswith(COMPOSED):
        headers = json.loads(value.removeprefix(COMPOSED))
        if isinstance(headers, list) and all(isinstance(h, str) for h in headers):
            return list(headers)
    return value


def _option_value(header: str | list[str]) -> str:
    return header if isinstance(header, str) else COMPOSED + json.dumps(header, ensure_ascii=False)


def _posted(run: ImportRun, form: FormData) -> Mapping:
    """The mapping form as a checked mapping; what the form does not show (value
    translations, preset, billing interval column) is kept from the run's mapping."""
    current = importing.mapping_of(run)
    columns = {
        key.removeprefix("col:"): _header(str(value))
        for key, value in form.multi_items()
        if key.startswith("col:") and str(value)
    }
    options = asdict(current.options)
    options["amounts_in_major_units"] = form.get("amounts_in_major_units") == "true"
    options["date_format"] = str(form.get("date_format") or "") or None
    for name in ("timezone", "match_key", "list_separator"):
        options[name] = str(form.get(name) or options[name])
    return Mapping.from_dict({**current.to_dict(), "columns": columns, "options": options})


def _mapping_errors(exc: Invalid) -> dict[str, str]:
    """``col:<target>`` for a column's problem, the option's name for an option's."""
    errors: dict[str, str] = {}
    for problem in exc.problems:
        loc = [str(part) for part in problem.loc]
        key = f"col:{loc[2]}" if len(loc) > 2 and loc[1] == "columns" else loc[-1]
        errors[key] = message_for(problem)
    return errors


def _preview(run: ImportRun) -> Preview:
    try:
        source = open_source(Path(run.file_path), filename=run.filename)
        rows = [[header_text(v) for v in row.values] for row in islice(source.rows(), PREVIEW_ROWS)]
    except SourceError as exc:
        return Preview(error=exc.problems[0].message)
    info = source.info
    return Preview(list(info.headers), rows, info.delimiter, info.sheet)


def _targets(session: Session, run: ImportRun, mapping: Mapping) -> list[TargetField]:
    """The kind's fields (Kizuna's own id last: only exports carry it), then its custom
    fields, then any other custom target the mapping already has."""
    fields = [f for f in TARGETS[run.kind] if f.name != "id"]
    fields += [f for f in TARGETS[run.kind] if f.name == "id"]
    custom_object = SPECS[run.kind].custom_object
    if custom_object is not None:
        for d in custom_fields.list_definitions(session, custom_object, active_only=True):
            label = d.label_ja + (f" ({d.label_en})" if d.label_en else "")
            fields.append(TargetField(f"custom.{d.key}", "text", description=label))
    known = {f.name for f in fields}
    fields += [TargetField(t, "text") for t in mapping.columns if t not in known]
    return fields


def _draft(run: ImportRun, mapping: Mapping, form: FormData | None) -> dict[str, Any]:
    """What the mapping form shows: the run's mapping, or the values just posted."""
    options = asdict(mapping.options)
    if form is None or not _has_columns(form):
        chosen = {t: _option_value(h) for t, h in mapping.columns.items()}
        return {"chosen": chosen, "options": options, "skip_invalid": run.skip_invalid}
    chosen = {k.removeprefix("col:"): str(v) for k, v in form.multi_items() if k.startswith("col:")}
    options.update({k: str(v) for k, v in form.items() if k in options and isinstance(v, str)})
    options["amounts_in_major_units"] = form.get("amounts_in_major_units") == "true"
    skip = form.get("skip_invalid") == "true"
    return {"chosen": chosen, "options": options, "skip_invalid": skip, "name": form.get("name")}


def _index_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    runs = importing.list_runs(session, ctx.actor, limit=50)
    creators = {r.created_by_id for r in runs if r.created_by_id is not None}
    return render(
        request,
        ctx,
        "imports/index.html",
        status_code=422 if errors else 200,
        active="imports",
        runs=runs,
        names={uid: users.load_user(session, uid).name for uid in creators},
        kinds=[k for k in ImportKind if ctx.actor.can(importing.WRITE_PERMISSION[k])],
        saved_mappings=saved.list_mappings(session, ctx.actor),
        values=values or {"kind": ImportKind.ACCOUNTS.value},
        errors=errors or {},
    )


def _detail_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    run_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: FormData | None = None,
) -> Response:
    run = importing.get_run(session, ctx.actor, run_id)
    mapping = importing.mapping_of(run)
    preview = _preview(run)
    preset = mapping.options.preset
    return render(
        request,
        ctx,
        "imports/detail.html",
        status_code=422 if errors else 200,
        active="imports",
        run=run,
        mapping=mapping,
        **_draft(run, mapping, form),
        preview=preview,
        samples=preview.samples(mapping),
        mapped_to={h: t for t in mapping.columns for h in mapping.sources(t)},
        targets=_targets(session, run, mapping),
        match_keys=MATCH_KEYS[run.kind],
        preset=get_preset(preset).description if preset else None,
        progress=importing.read_progress(_workspace(request), run.id),
        problems=sorted(run.problems[:SHOWN_PROBLEMS], key=lambda p: p.get("row") or 0),
        errors=errors or {},
        timezones=TIMEZONES,
    )
