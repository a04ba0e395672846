"""Usage pages: the portfolio overview (/usage), the usage panel of Account 360, and the
metric catalogue admin (/admin/metrics)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from kizuna.analytics.metrics import KINDS
from kizuna.analytics.sources import period_start
from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.kit.errors import Conflict, Invalid
from kizuna.kit.i18n import N_
from kizuna.usage import catalogue, service
from kizuna.usage.analysis import trend_start
from kizuna.usage.metric_schemas import Grain, MetricCreate, MetricUpdate
from kizuna.usage.values import ValueStore
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.forms import errors_by_field, parse
from kizuna.web.render import redirect, render

router = APIRouter()
UsageReader = Annotated[PageContext, Depends(page(Permission.USAGE_READ))]
MetricAdmin = Annotated[PageContext, Depends(page(Permission.METRIC_ADMIN))]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")
PANEL_PERIODS = {"day": 30, "week": 26, "month": 24}
PARAM_FIELDS = (
    "events",
    "property",
    "numerator",
    "denominator",
    "metric",
    "periods",
    "window_days",
)
KIND_LABELS = {
    "count": N_("Event count"),
    "sum": N_("Sum of a property"),
    "active_users": N_("Distinct active users"),
    "active_days": N_("Active days"),
    "feature_breadth": N_("Feature breadth (event types used)"),
    "days_since_last": N_("Days since last event"),
    "tenure_scaled": N_("Tenure-scaled rate"),
    "ratio": N_("Ratio of two metrics"),
    "pct_change": N_("% change over periods"),
    "per_seat": N_("Per licensed seat"),
}
IN_USE = N_("Other metrics are derived from this one, so it cannot be deleted.")
BUILTIN = N_("Built-in metrics cannot be deleted; disable them instead.")


def _values(request: Request) -> ValueStore:
    return ValueStore.under(request.app.state.settings.data_dir)


def _grain(request: Request, default: Grain = "week") -> Grain:
    chosen = request.query_params.get("grain", default)
    return chosen if chosen in GRAINS else default


@router.get("/usage")
def usage_overview(request: Request, ctx: UsageReader, session: DbSession) -> Response:
    grain = _grain(request)
    keys = request.query_params.getlist("metric") or None
    try:
        with session.begin():
            data = service.overview(
                session,
                ctx.actor,
                _values(request),
                grain=grain,
                keys=keys,
                sort=request.query_params.get("sort") or None,
                today=today(ctx.actor.timezone),
            )
        with session.begin():
            choices = [
                m
                for m in catalogue.list_metrics(session, ctx.actor)
                if m.enabled and grain in m.grains
            ]
    except Invalid:
        return redirect(f"/usage?grain={grain}")
    return render(
        request,
        ctx,
        "usage/overview.html",
        active="usage",
        data=data,
        grains=GRAINS,
        keys=keys,
        choices=choices,
    )


@router.get("/accounts/{account_id}/usage-panel")
def account_usage_panel(
    request: Request, account_id: uuid.UUID, ctx: UsageReader, session: DbSession
) -> Response:
    """The usage section of Account 360, loaded by HTMX after the page."""
    grain = _grain(request)
    day = today(ctx.actor.timezone)
    # Complete periods only (as on the overview): this week so far would look like a drop.
    start = trend_start(day, grain, PANEL_PERIODS[grain] + 1)
    end = period_start(day, grain) - timedelta(days=1)
    with session.begin():
        usage = service.account_usage(
            session, ctx.actor, _values(request), account_id, grain=grain, start=start, end=end
        )
    return render(request, ctx, "usage/_account_panel.html", usage=usage, grains=GRAINS)


@router.get("/admin/metrics")
def metric_list(request: Request, ctx: UsageReader, session: DbSession) -> Response:
    with session.begin():
        metrics = catalogue.list_metrics(session, ctx.actor)
    return render(
        request,
        ctx,
        "admin/metrics.html",
        active="metrics",
        metrics=metrics,
        kind_labels=KIND_LABELS,
    )


@router.get("/admin/metrics/new")
def new_metric(request: Request, ctx: MetricAdmin, session: DbSession) -> Response:
    values = {"kind": "count", "grains": ["week", "month"], "enabled": True}
    return _metric_page(request, ctx, session, values=values)


@router.post("/admin/metrics/new")
async def create_metric(request: Request, ctx: MetricAdmin, session: DbSession) -> Response:
    values = _form_values(await request.form())
    try:
        with session.begin():
            catalogue.create_metric(session, ctx.actor, parse(MetricCreate, _to_input(values)))
    except Invalid as exc:
        return _metric_page(request, ctx, session, values=values, errors=_errors(exc))
    return redirect("/admin/metrics", flash=N_("Metric created. Its values are being computed."))


@router.get("/admin/metrics/{metric_id}")
def edit_metric(
    request: Request, metric_id: uuid.UUID, ctx: MetricAdmin, session: DbSession
) -> Response:
    return _metric_page(request, ctx, session, metric_id=metric_id)


@router.post("/admin/metrics/{metric_id}")
async def update_metric(
    request: Request, metric_id: uuid.UUID, ctx: MetricAdmin, session: DbSession
) -> Response:
    values = _form_values(await request.form())
    data = {k: v for k, v in _to_input(values).items() if k != "key"}
    try:
        with session.begin():
            catalogue.update_metric(session, ctx.actor, metric_id, parse(MetricUpdate, data))
    except Invalid as exc:
        return _metric_page(
            request, ctx, session, metric_id=metric_id, values=values, errors=_errors(exc)
        )
    return redirect("/admin/metrics", flash=N_("Changes saved."))


@router.post("/admin/metrics/{metric_id}/delete")
def delete_metric(
    request: Request, metric_id: uuid.UUID, ctx: MetricAdmin, session: DbSession
) -> Response:
    try:
        with session.begin():
            catalogue.delete_metric(session, ctx.actor, metric_id)
    except Conflict as exc:
        alert = BUILTIN if exc.code == "builtin" else IN_USE
        return _metric_page(
            request, ctx, session, metric_id=metric_id, alert=alert, status_code=409
        )
    return redirect("/admin/metrics", flash=N_("Metric deleted."))


@router.post("/admin/metrics-compute")
def compute_now(request: Request, ctx: MetricAdmin, session: DbSession) -> Response:
    with session.begin():
        service.queue_compute(session, ctx.actor, full=True)
    return redirect("/admin/metrics", flash=N_("A full recomputation has been queued."))


def _form_values(form: FormData) -> dict[str, Any]:
    """The form as typed (shown again on errors)."""
    values: dict[str, Any] = {
        k: str(form.get(k, "")).strip()
        for k in ("key", "name", "name_en", "kind", "description", "position", *PARAM_FIELDS)
    }
    values["grains"] = [g for g in form.getlist("grains") if g in GRAINS]
    values["enabled"] = form.get("enabled") == "true"
    values["featured"] = form.get("featured") == "true"
    return values


def _to_input(values: dict[str, Any]) -> dict[str, Any]:
    """Form values → MetricCreate input; only the parameters the kind takes are sent."""
    kind = KINDS.get(values["kind"])
    params: dict[str, Any] = {}
    for name, param in kind.params.items() if kind else ():
        raw = values.get(name, "")
        if raw == "":
            continue
        if param.type == "list":
            params[name] = [p.strip() for p in raw.replace("\n", ",").split(",") if p.strip()]
        elif param.type == "int":
            params[name] = int(raw) if raw.lstrip("-").isdigit() else raw
        else:
            params[name] = raw
    data = {k: values[k] for k in ("key", "name", "name_en", "kind", "description", "grains")}
    data.update(params=params, enabled=values["enabled"], featured=values["featured"])
    if values.get("position"):
        data["position"] = values["position"]
    return data


def _errors(exc: Invalid) -> dict[str, str]:
    """Errors per input: ``params.events`` is shown under the ``events`` input."""
    errors: dict[str, str] = {}
    for name, message in errors_by_field(exc).items():
        errors[name] = message
    for problem in exc.problems:
        if len(problem.loc) > 2 and problem.loc[1] == "params":
            errors[str(problem.loc[2])] = errors.pop("params", problem.message)
    return errors


def _stored_values(metric: Any) -> dict[str, Any]:
    values = {
        k: getattr(metric, k)
        for k in ("key", "name", "name_en", "kind", "description", "grains", "enabled", "featured")
    }
    values["position"] = str(metric.position)
    for name, value in metric.params.items():
        values[name] = ", ".join(value) if isinstance(value, list) else str(value)
    return values


def _metric_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    metric_id: uuid.UUID | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> Response:
    with session.begin():
        metric = catalogue.get_metric(session, ctx.actor, metric_id) if metric_id else None
        others = [m for m in catalogue.list_metrics(session, ctx.actor) if m.id != metric_id]
    return render(
        request,
        ctx,
        "admin/metric_form.html",
        active="metrics",
        metric=metric,
        values=values if values is not None else _stored_values(metric),
        errors=errors or {},
        alert=alert,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        grains=GRAINS,
        bases=[m for m in others if KINDS.get(m.kind) and KINDS[m.kind].reads != "series"],
        status_code=422 if errors else status_code,
    )
