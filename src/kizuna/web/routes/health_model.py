"""The churn-risk model page (/health/model): validation, calibration, importance, the
history of trained and refused models, the riskiest accounts, and a retrain button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from kizuna.auth.permissions import Permission
from kizuna.health import calibration, scorecards
from kizuna.health.churn import features, repository, service
from kizuna.kit.clock import today
from kizuna.kit.errors import Invalid
from kizuna.kit.i18n import N_
from kizuna.models.health import HealthScorecardVersion
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.render import redirect, render

router = APIRouter()
HealthReader = Annotated[PageContext, Depends(page(Permission.HEALTH_READ))]
HealthAdmin = Annotated[PageContext, Depends(page(Permission.HEALTH_ADMIN))]
RISKIEST = 15
# The refusal codes of health.churn.service, with their numbers as named parameters.
REFUSALS = {
    "too_few_dates": N_(
        "Too little history: %(dates)s weekly observation dates with a known outcome, "
        "at least %(needed)s needed."
    ),
    "too_few_train_positives": N_(
        "Too little history: %(positives)s churned accounts in the training period, "
        "at least %(needed)s needed."
    ),
    "too_few_heldout_positives": N_(
        "Too little history: %(positives)s churned accounts in the held-out period, "
        "at least %(needed)s needed."
    ),
    "weak_model": N_(
        "The model does not separate churners well enough: held-out AUC %(auc)s, "
        "at least %(needed)s needed."
    ),
    "no_labelled_rows": N_("No observation has a known outcome yet."),
    "one_class": N_("Every observation in the training period has the same outcome."),
}


@router.get("/health/model")
def model_page(request: Request, ctx: HealthReader, session: DbSession) -> Response:
    with session.begin():
        models = service.list_models(session, ctx.actor)
        current = next((m for m in models if m.status == "published"), None)
        keys = list(current.features) if current else []
        names = features.names(session, keys)
        risk = repository.list_risk(session, ctx.actor, limit=RISKIEST)
        return render(
            request,
            ctx,
            "health/model.html",
            active="health",
            models=models,
            current=current,
            names=names,
            risk=risk.items,
            refusals=REFUSALS,
        )


@router.post("/health/model/train")
def retrain(ctx: HealthAdmin, session: DbSession) -> Response:
    with session.begin():
        service.queue_training(session, ctx.actor)
    return redirect(
        "/health/model", flash=N_("Training queued: the page shows the result when it is done.")
    )


def _chosen(request: Request, versions: list[HealthScorecardVersion]) -> list[int]:
    """Version numbers asked for (``?v=2&v=3``), else the published one and the newer ones."""
    asked = [int(v) for v in request.query_params.getlist("v") if v.isdigit()]
    known = {v.number for v in versions}
    if any(n in known for n in asked):
        return sorted({n for n in asked if n in known})
    published = [v.number for v in versions if v.status == "published"]
    floor = published[0] if published else min(known, default=0)
    return sorted(n for n in known if n >= floor)[-4:]


@router.get("/admin/scorecards/{key}/lab")
def lab(request: Request, key: str, ctx: HealthAdmin, session: DbSession) -> Response:
    with session.begin():
        scorecard = scorecards.load_scorecard(session, key)
        versions = scorecards.versions_of(session, scorecard.id)
        chosen = _chosen(request, versions)
        return render(
            request,
            ctx,
            "health/lab.html",
            active="scorecards",
            scorecard=scorecard,
            versions=versions,
            chosen=chosen,
            compared=[v for v in reversed(versions) if v.number in chosen],
        )


@router.post("/admin/scorecards/{key}/lab/run")
async def run_lab(request: Request, key: str, ctx: HealthAdmin, session: DbSession) -> Response:
    form = await request.form()
    number = str(form.get("number", ""))
    chosen = [str(v) for v in form.getlist("v") if str(v).isdigit()]
    back = f"/admin/scorecards/{key}/lab" + (
        "?" + "&".join(f"v={v}" for v in chosen) if chosen else ""
    )
    if not number.isdigit():
        return redirect(back, flash=N_("Choose a version to back-test."), level="error")
    settings = request.app.state.settings
    try:
        with session.begin():
            calibration.run_for(
                session,
                ctx.actor,
                key,
                int(number),
                data_dir=settings.data_dir,
                zone=settings.default_timezone,
                today=today(settings.default_timezone),
            )
    except Invalid:
        return redirect(back, flash=N_("The back-test could not run."), level="error")
    return redirect(back, flash=N_("Back-test finished."))
