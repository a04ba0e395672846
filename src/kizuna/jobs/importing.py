"""Import jobs: check every row of an uploaded file, then write it in one transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from kizuna.auth import service as auth
from kizuna.auth.actor import Actor
from kizuna.importing import service as importing
from kizuna.jobs.registry import JobContext, handler
from kizuna.models import ImportRun, User


@handler("importing.validate")
def validate(ctx: JobContext) -> dict[str, Any]:
    run_id = uuid.UUID(str(ctx.payload["run_id"]))
    workspace = importing.Workspace(ctx.settings.data_dir)
    return _guarded(
        ctx,
        run_id,
        lambda session, actor: importing.validate_run(
            session, actor, workspace, run_id, progress=_progress(ctx, workspace, run_id)
        ),
    )


@handler("importing.execute")
def execute(ctx: JobContext) -> dict[str, Any]:
    run_id = uuid.UUID(str(ctx.payload["run_id"]))
    workspace = importing.Workspace(ctx.settings.data_dir)
    return _guarded(
        ctx,
        run_id,
        lambda session, actor: importing.execute_run(
            session, actor, workspace, run_id, progress=_progress(ctx, workspace, run_id)
        ),
    )


def _guarded(
    ctx: JobContext, run_id: uuid.UUID, work: Callable[[Session, Actor], ImportRun]
) -> dict[str, Any]:
    """Run ``work`` in one transaction as the user who started the import; on any failure
    the transaction rolls back (nothing written) and the run records the error."""
    try:
        with ctx.database.sessions() as session, session.begin():
            run = work(session, _actor(session, run_id))
            return {
                "status": run.status.value,
                "rows": run.total_rows,
                "invalid": run.invalid_rows,
                "created": run.created_count,
                "updated": run.updated_count,
            }
    except Exception as exc:
        with ctx.database.sessions() as session, session.begin():
            importing.mark_failed(session, run_id, str(exc))
        raise


def _actor(session: Session, run_id: uuid.UUID) -> Actor:
    run = session.get(ImportRun, run_id)
    user = session.get(User, run.created_by_id) if run and run.created_by_id else None
    return auth.actor_for_user(user) if user is not None else Actor.system("import")


def _progress(
    ctx: JobContext, workspace: importing.Workspace, run_id: uuid.UUID
) -> Callable[[str, int, int | None], None]:
    """Progress to the run's file (every engine) and to the job row (PostgreSQL only:
    there another connection may write while the import transaction is open)."""
    last = 0.0
    through_database = ctx.database.engine.dialect.name != "sqlite"

    def report(stage: str, done: int, total: int | None) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < 0.25 and (total is None or done < total):
            return
        last = now
        importing.write_progress(workspace, run_id, stage, done, total)
        if through_database:
            ctx.progress(done, total, note=stage)

    return report
