"""/api/v1/health: the churn-risk model (history, current, retrain) and accounts' risk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from kizuna.api.deps import DbSession, need
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.health import calibration, scorecards
from kizuna.health.churn import repository, service
from kizuna.health.churn.schemas import (
    BacktestOut,
    BacktestRequest,
    ChurnModelOut,
    RiskPage,
    TrainQueued,
    TrainRequest,
)
from kizuna.kit.clock import today

router = APIRouter(prefix="/health", tags=["health"])
HealthReader = Annotated[Actor, Depends(need(Permission.HEALTH_READ))]
HealthAdmin = Annotated[Actor, Depends(need(Permission.HEALTH_ADMIN))]


@router.get("/models", response_model=list[ChurnModelOut], summary="List churn-risk models")
def list_models(actor: HealthReader, session: DbSession) -> list[ChurnModelOut]:
    """Every training run, newest first: published, refused (with why) and retired."""
    with session.begin():
        return [ChurnModelOut.model_validate(m) for m in service.list_models(session, actor)]


@router.get(
    "/models/current", response_model=ChurnModelOut, summary="The published churn-risk model"
)
def current_model(actor: HealthReader, session: DbSession) -> ChurnModelOut:
    """404 `no_model` until a model has been published."""
    with session.begin():
        return ChurnModelOut.model_validate(service.get_current(session, actor))


@router.post(
    "/models", response_model=TrainQueued, status_code=202, summary="Retrain the churn model"
)
def train_model(body: TrainRequest, actor: HealthAdmin, session: DbSession) -> TrainQueued:
    """Queue a training run (or return the one already waiting); it publishes or refuses."""
    with session.begin():
        job = service.queue_training(session, actor, horizon_days=body.horizon_days)
        return TrainQueued(job_id=job.id)


@router.get("/risk", response_model=RiskPage, summary="Accounts by churn risk")
def list_risk(
    actor: HealthReader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=repository.MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> RiskPage:
    """Paying accounts by probability of churning within the model's horizon, riskiest
    first, each with the top reasons (features that raise its risk)."""
    with session.begin():
        return repository.list_risk(session, actor, limit=limit, cursor=cursor)


@router.post(
    "/scorecards/{key}/versions/{number}/backtest",
    response_model=BacktestOut,
    summary="Back-test a scorecard version",
)
def run_backtest(
    key: str,
    number: int,
    body: BacktestRequest,
    request: Request,
    actor: HealthAdmin,
    session: DbSession,
) -> BacktestOut:
    """The calibration lab, synchronously: score every paying account as of past dates
    with this version and compare with what happened next (churn, downturn). The result is
    kept on the version."""
    settings = request.app.state.settings
    with session.begin():
        version = calibration.run_for(
            session,
            actor,
            key,
            number,
            data_dir=settings.data_dir,
            zone=settings.default_timezone,
            today=today(settings.default_timezone),
            months=body.months,
            step_days=body.step_days,
            horizon_days=body.horizon_days,
        )
        return BacktestOut(
            scorecard=key, number=number, status=version.status, backtest=version.backtest
        )


@router.get(
    "/scorecards/{key}/versions/{number}/backtest",
    response_model=BacktestOut,
    summary="A scorecard version's last back-test",
)
def get_backtest(key: str, number: int, actor: HealthReader, session: DbSession) -> BacktestOut:
    """`backtest` is null until the version has been back-tested."""
    with session.begin():
        version = scorecards.get_version(session, actor, key, number)
        return BacktestOut(
            scorecard=key, number=number, status=version.status, backtest=version.backtest
        )
