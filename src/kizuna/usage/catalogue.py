"""The metric catalogue: definitions (UI, API, YAML), checked by the analytics registry.

A change to the catalogue queues a recomputation (the next run is a full one, because the
catalogue's fingerprint changed).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.analytics.metrics import MetricSpec, ParamProblem, check_params, references
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.models.usage_metric import UsageMetric
from kizuna.usage import pipeline
from kizuna.usage.metric_schemas import MetricCreate, MetricOut, MetricUpdate

_FIELDS = [
    "key",
    "name",
    "name_en",
    "kind",
    "params",
    "grains",
    "description",
    "enabled",
    "featured",
    "position",
]
YAML_FIELDS = [f for f in _FIELDS if f != "key"]


def spec_of(metric: UsageMetric) -> MetricSpec:
    return MetricSpec(metric.key, metric.kind, dict(metric.params), tuple(metric.grains))  # type: ignore[arg-type]


def all_metrics(session: Session) -> list[UsageMetric]:
    return list(
        session.scalars(select(UsageMetric).order_by(UsageMetric.position, UsageMetric.key))
    )


def list_metrics(session: Session, actor: Actor) -> list[MetricOut]:
    actor.require(Permission.USAGE_READ)
    return [MetricOut.model_validate(m) for m in all_metrics(session)]


def load_metric(session: Session, metric_id: uuid.UUID) -> UsageMetric:
    metric = session.get(UsageMetric, metric_id)
    if metric is None:
        raise NotFound("metric not found")
    return metric


def get_metric(session: Session, actor: Actor, metric_id: uuid.UUID) -> MetricOut:
    actor.require(Permission.USAGE_READ)
    return MetricOut.model_validate(load_metric(session, metric_id))


def create_metric(session: Session, actor: Actor, data: MetricCreate) -> UsageMetric:
    actor.require(Permission.METRIC_ADMIN)
    if session.scalar(select(UsageMetric.id).where(UsageMetric.key == data.key)) is not None:
        raise Invalid.field("key", "key already used", code="duplicate")
    values = data.model_dump()
    _validate(session, MetricSpec(data.key, data.kind, data.params, tuple(data.grains)))
    metric = UsageMetric(**values, builtin=False)
    session.add(metric)
    session.flush()
    audit.record(
        session,
        actor,
        "usage_metric.create",
        "usage_metric",
        metric.id,
        summary=metric.key,
        changes=audit.snapshot(metric, _FIELDS),
    )
    pipeline.request_compute(session)
    return metric


def update_metric(
    session: Session, actor: Actor, metric_id: uuid.UUID, data: MetricUpdate
) -> UsageMetric:
    actor.require(Permission.METRIC_ADMIN)
    metric = load_metric(session, metric_id)
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "params" in data.model_fields_set and data.params is None:
        values["params"] = {}
    merged = {f: values.get(f, getattr(metric, f)) for f in ("kind", "params", "grains")}
    spec = MetricSpec(metric.key, merged["kind"], merged["params"], tuple(merged["grains"]))
    _validate(session, spec)
    _check_dependents(session, spec, enabled=values.get("enabled", metric.enabled))
    changes = audit.apply_changes(metric, values)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "usage_metric.update",
            "usage_metric",
            metric.id,
            summary=metric.key,
            changes=changes,
        )
        pipeline.request_compute(session)
    return metric


def delete_metric(session: Session, actor: Actor, metric_id: uuid.UUID) -> None:
    """Delete a metric of your own; built-in ones can only be disabled, and a metric
    another one is derived from is a Conflict (``in_use``)."""
    actor.require(Permission.METRIC_ADMIN)
    metric = load_metric(session, metric_id)
    if metric.builtin:
        raise Conflict("built-in metrics can be disabled, not deleted", code="builtin")
    users = [m.key for m in all_metrics(session) if metric.key in references(spec_of(m))]
    if users:
        raise Conflict(f"used by {', '.join(users)}", code="in_use")
    audit.record(
        session, actor, "usage_metric.delete", "usage_metric", metric.id, summary=metric.key
    )
    session.delete(metric)
    session.flush()


def _validate(session: Session, spec: MetricSpec) -> None:
    catalogue = {m.key: spec_of(m) for m in all_metrics(session)}
    catalogue[spec.key] = spec
    problems = check_params(spec, catalogue)
    if problems:
        raise Invalid([_problem(p) for p in problems])


def _check_dependents(session: Session, spec: MetricSpec, *, enabled: bool) -> None:
    """Metrics derived from ``spec`` must stay valid (grains) and computable (enabled)."""
    catalogue = {m.key: spec_of(m) for m in all_metrics(session)}
    catalogue[spec.key] = spec
    for metric in all_metrics(session):
        if spec.key not in references(spec_of(metric)) or not metric.enabled:
            continue
        if not enabled:
            raise Invalid.field("enabled", f"{metric.key} is derived from it", code="in_use")
        if check_params(spec_of(metric), catalogue):
            raise Invalid.field("grains", f"{metric.key} needs its grains", code="in_use")


def _problem(problem: ParamProblem) -> FieldProblem:
    return FieldProblem(("body", *problem.field.split(".")), problem.code, problem.message)


# -- YAML ---------------------------------------------------------------------------------


def export_catalogue(session: Session, actor: Actor) -> str:
    """The catalogue as YAML: ``metrics: {key: {name, kind, params, grains, …}}``."""
    actor.require(Permission.USAGE_READ)
    metrics = {m.key: {f: _plain(getattr(m, f)) for f in YAML_FIELDS} for m in all_metrics(session)}
    return yaml.safe_dump({"metrics": metrics}, allow_unicode=True, sort_keys=False)


def import_catalogue(session: Session, actor: Actor, text: str) -> dict[str, int]:
    """Create or update (by key) every metric of a YAML catalogue; all or nothing.

    Problems are named ``metrics.<key>.<field>``.
    """
    actor.require(Permission.METRIC_ADMIN)
    entries = _parse_yaml(text)
    existing = {m.key: m for m in all_metrics(session)}
    catalogue = {k: spec_of(m) for k, m in existing.items()}
    parsed: dict[str, MetricCreate] = {}
    problems: list[FieldProblem] = []
    for key, body in entries.items():
        try:
            parsed[key] = MetricCreate.model_validate({**body, "key": key})
        except ValidationError as exc:
            problems += [
                FieldProblem(("metrics", key, *map(str, e["loc"])), e["type"], e["msg"])
                for e in exc.errors()
            ]
    for key, data in parsed.items():
        catalogue[key] = MetricSpec(key, data.kind, data.params, tuple(data.grains))
    for key in parsed:
        problems += [
            FieldProblem(("metrics", key, *p.field.split(".")), p.code, p.message)
            for p in check_params(catalogue[key], catalogue)
        ]
    if problems:
        raise Invalid(problems)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    # Base metrics first: a derived one is checked against the catalogue as it stands.
    for key in sorted(parsed, key=lambda k: bool(references(catalogue[k]))):
        data = parsed[key]
        if key in existing:
            update = MetricUpdate.model_validate(data.model_dump(exclude={"key"}))
            before = audit.snapshot(existing[key], YAML_FIELDS)
            update_metric(session, actor, existing[key].id, update)
            changed = before != audit.snapshot(existing[key], YAML_FIELDS)
            counts["updated" if changed else "unchanged"] += 1
        else:
            create_metric(session, actor, data)
            counts["created"] += 1
    return counts


def _parse_yaml(text: str) -> Mapping[str, dict[str, Any]]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid(FieldProblem(("file",), "not_yaml", f"not valid YAML: {exc}")) from None
    metrics = document.get("metrics") if isinstance(document, dict) else None
    if not isinstance(metrics, dict) or not all(isinstance(v, dict) for v in metrics.values()):
        raise Invalid(FieldProblem(("metrics",), "not_a_mapping", "expected metrics: {key: {...}}"))
    return {str(k): v for k, v in metrics.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
