"""The journey's definition: the three phases (names, target days) and their steps (key,
names, required, manual checks allowed, criteria). Reading it, editing it (audited, by
JOURNEY_ADMIN) and moving it in and out as YAML (validated as a whole, applied at once)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.facts.catalogue import fact_specs
from kizuna.facts.conditions import Condition, parse
from kizuna.facts.frame import FactSpec
from kizuna.journey.schemas import (
    ImportResult,
    JourneyOut,
    PhaseOut,
    PhaseUpdate,
    StepCreate,
    StepOut,
    StepUpdate,
)
from kizuna.kit.errors import Conflict, FieldProblem, Invalid, NotFound
from kizuna.models.enums import Phase
from kizuna.models.journey import AccountJourneyStep, JourneyPhase, JourneyStep

PHASES: tuple[Phase, ...] = tuple(Phase)  # the fixed order
PHASE_ORDER: dict[str, int] = {p.value: n for n, p in enumerate(PHASES)}
_STEP_FIELDS: tuple[str, ...] = (
    "key", "phase", "position", "name", "name_en", "description", "required", "manual", "criteria",
)  # fmt: skip
MAX_YAML_BYTES = 1_000_000


@dataclass
class Definition:
    """The journey as loaded: phases in order, steps in order (phase, position)."""

    phases: list[JourneyPhase]
    steps: list[JourneyStep]
    by_phase: dict[str, list[JourneyStep]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for phase in self.phases:
            self.by_phase[phase.phase] = [s for s in self.steps if s.phase == phase.phase]

    def phase(self, phase: str) -> JourneyPhase | None:
        return next((p for p in self.phases if p.phase == phase), None)

    def step(self, key: str) -> JourneyStep | None:
        return next((s for s in self.steps if s.key == key), None)


def load_definition(session: Session) -> Definition:
    phases = sorted(
        session.scalars(select(JourneyPhase)), key=lambda p: PHASE_ORDER.get(p.phase, 99)
    )
    steps = sorted(
        session.scalars(select(JourneyStep)),
        key=lambda s: (PHASE_ORDER.get(s.phase, 99), s.position, s.key),
    )
    return Definition(phases=phases, steps=steps)


def criteria_specs(session: Session) -> dict[str, FactSpec]:
    """The facts step criteria may use: every fact but the journey's own (a step cannot
    depend on the journey state it decides)."""
    return {k: v for k, v in fact_specs(session).items() if not k.startswith("journey.")}


def parse_criteria(
    criteria: Any, specs: Mapping[str, FactSpec], *, field: str = "criteria"
) -> Condition | None:
    """None for no criteria; ``Invalid`` names each bad part by path."""
    if criteria is None or criteria == {}:
        return None
    return parse(criteria, specs, field=field)


def to_out(definition: Definition) -> JourneyOut:
    return JourneyOut(
        phases=[
            PhaseOut(
                phase=Phase(p.phase),
                name=p.name,
                name_en=p.name_en,
                description=p.description,
                target_days=p.target_days,
                steps=[StepOut.model_validate(s) for s in definition.by_phase[p.phase]],
            )
            for p in definition.phases
        ]
    )


def get_journey(session: Session, actor: Actor) -> JourneyOut:
    actor.require(Permission.ACCOUNT_READ)
    return to_out(load_definition(session))


# -- phases --------------------------------------------------------------------------------


def update_phase(session: Session, actor: Actor, phase: str, data: PhaseUpdate) -> JourneyPhase:
    actor.require(Permission.JOURNEY_ADMIN)
    row = session.get(JourneyPhase, _phase_value(phase))
    if row is None:
        raise NotFound("phase not found")
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    changes = audit.apply_changes(row, values)
    if changes:
        session.flush()
        audit.record(
            session, actor, "journey.phase.update", "journey_phase", row.phase,
            summary=row.name, changes=changes,
        )  # fmt: skip
    return row


def _phase_value(phase: str) -> str:
    try:
        return Phase(phase).value
    except ValueError:
        raise NotFound("phase not found") from None


# -- steps ---------------------------------------------------------------------------------


def _check_step(
    values: Mapping[str, Any], specs: Mapping[str, FactSpec], prefix: str = ""
) -> dict[str, Any] | None:
    """Validate criteria and the manual rule; the criteria in stored form (or None)."""
    problems: list[FieldProblem] = []
    criteria = values.get("criteria")
    stored: dict[str, Any] | None = None
    try:
        if parse_criteria(criteria, specs, field=f"{prefix}criteria") is not None:
            stored = dict(criteria) if isinstance(criteria, dict) else None
    except Invalid as exc:
        problems += exc.problems
    if stored is None and not values.get("manual", True):
        problems.append(
            FieldProblem(
                ("body", f"{prefix}manual"),
                "never_completes",
                "a step without criteria must allow manual checks",
            )
        )
    if problems:
        raise Invalid(problems)
    return stored


def get_step(session: Session, key: str) -> JourneyStep:
    step = session.scalar(select(JourneyStep).where(JourneyStep.key == key))
    if step is None:
        raise NotFound("step not found")
    return step


def create_step(session: Session, actor: Actor, data: StepCreate) -> JourneyStep:
    actor.require(Permission.JOURNEY_ADMIN)
    values = data.model_dump()
    values["phase"] = data.phase.value
    values["criteria"] = _check_step(values, criteria_specs(session))
    if session.scalar(select(JourneyStep.id).where(JourneyStep.key == data.key)) is not None:
        raise Invalid.field("key", "a step with this key exists", code="duplicate")
    siblings = _siblings(session, values["phase"])
    position = len(siblings) if data.position is None else min(data.position, len(siblings))
    values["position"] = position
    step = JourneyStep(**values)
    session.add(step)
    siblings.insert(position, step)
    _renumber(siblings)
    session.flush()
    audit.record(
        session, actor, "journey.step.create", "journey_step", step.key,
        summary=step.name, changes=audit.snapshot(step, list(_STEP_FIELDS)),
    )  # fmt: skip
    return step


def update_step(session: Session, actor: Actor, key: str, data: StepUpdate) -> JourneyStep:
    actor.require(Permission.JOURNEY_ADMIN)
    step = get_step(session, key)
    given = data.model_dump(exclude_unset=True)
    values = {k: v for k, v in given.items() if v is not None or k == "criteria"}
    if "phase" in values:
        values["phase"] = Phase(values["phase"]).value
    merged = {"criteria": step.criteria, "manual": step.manual, **values}
    stored = _check_step(merged, criteria_specs(session))
    if "criteria" in values:
        values["criteria"] = stored
    position = values.pop("position", None)
    old_phase, old_position = step.phase, step.position
    changes = audit.apply_changes(step, values)
    if position is not None or step.phase != old_phase:
        if step.phase != old_phase:
            _renumber([s for s in _siblings(session, old_phase) if s.id != step.id])
        siblings = [s for s in _siblings(session, step.phase) if s.id != step.id]
        target = len(siblings) if position is None else min(position, len(siblings))
        siblings.insert(target, step)
        _renumber(siblings)
        if step.position != old_position:
            changes["position"] = [old_position, step.position]
    if changes:
        session.flush()
        audit.record(
            session, actor, "journey.step.update", "journey_step", step.key,
            summary=step.name, changes=changes,
        )  # fmt: skip
    return step


def delete_step(session: Session, actor: Actor, key: str) -> None:
    """Delete a step and every account's completion of it (audited with the count)."""
    actor.require(Permission.JOURNEY_ADMIN)
    step = get_step(session, key)
    completions = session.scalar(
        select(func.count())
        .select_from(AccountJourneyStep)
        .where(AccountJourneyStep.step_id == step.id)
    )
    phase = step.phase
    session.execute(delete(AccountJourneyStep).where(AccountJourneyStep.step_id == step.id))
    session.delete(step)
    session.flush()
    _renumber(_siblings(session, phase))
    session.flush()
    audit.record(
        session, actor, "journey.step.delete", "journey_step", key,
        summary=step.name, changes={"completions": [completions, 0]},
    )  # fmt: skip


def move_step(session: Session, actor: Actor, key: str, offset: int) -> JourneyStep:
    """Move a step up (−1) or down (+1) within its phase."""
    step = get_step(session, key)
    return update_step(session, actor, key, StepUpdate(position=max(0, step.position + offset)))


def _siblings(session: Session, phase: str) -> list[JourneyStep]:
    return list(
        session.scalars(
            select(JourneyStep)
            .where(JourneyStep.phase == phase)
            .order_by(JourneyStep.position, JourneyStep.key)
        )
    )


def _renumber(steps: Sequence[JourneyStep]) -> None:
    for n, step in enumerate(steps):
        if step.position != n:
            step.position = n


# -- YAML ----------------------------------------------------------------------------------


def export_document(session: Session, actor: Actor) -> dict[str, Any]:
    actor.require(Permission.ACCOUNT_READ)
    definition = load_definition(session)
    return {
        "phases": [
            {
                "phase": p.phase,
                "name": p.name,
                "name_en": p.name_en,
                "description": p.description,
                "target_days": p.target_days,
                "steps": [
                    {
                        "key": s.key,
                        "name": s.name,
                        "name_en": s.name_en,
                        "description": s.description,
                        "required": s.required,
                        "manual": s.manual,
                        "criteria": s.criteria,
                    }
                    for s in definition.by_phase[p.phase]
                ],
            }
            for p in definition.phases
        ]
    }


def export_yaml(session: Session, actor: Actor) -> str:
    text: str = yaml.safe_dump(
        export_document(session, actor), allow_unicode=True, sort_keys=False, width=100
    )
    return text


def import_yaml(session: Session, actor: Actor, text: str) -> ImportResult:
    """Replace the journey with the document (all three phases, each with its steps):
    steps are matched by key (created, updated, moved), steps not in the document are
    deleted. Every problem is reported at once, by path; nothing changes unless all is
    valid."""
    actor.require(Permission.JOURNEY_ADMIN)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid(FieldProblem(("file",), "not_yaml", f"not valid YAML: {exc}")) from None
    phases, steps = _validate_document(document, criteria_specs(session))
    definition = load_definition(session)
    existing = {s.key: s for s in definition.steps}
    for entry in phases:
        update_phase(session, actor, entry["phase"], PhaseUpdate.model_validate(entry["values"]))
    created = updated = deleted = 0
    for key in [k for k in existing if k not in {s.key for s in steps}]:
        delete_step(session, actor, key)
        deleted += 1
    for step in steps:
        if step.key in existing:
            update = StepUpdate.model_validate(step.model_dump(exclude={"key"}))
            before = _step_values(existing[step.key])
            update_step(session, actor, step.key, update)
            updated += int(before != _step_values(existing[step.key]))
        else:
            create_step(session, actor, step)
            created += 1
    return ImportResult(
        phases=len(phases), steps_created=created, steps_updated=updated, steps_deleted=deleted
    )


def _step_values(step: JourneyStep) -> tuple[Any, ...]:
    return tuple(getattr(step, f) for f in _STEP_FIELDS)


def _validate_document(
    document: Any, specs: Mapping[str, FactSpec]
) -> tuple[list[dict[str, Any]], list[StepCreate]]:
    problems: list[FieldProblem] = []
    if not isinstance(document, dict) or not isinstance(document.get("phases"), list):
        raise Invalid(FieldProblem(("file",), "bad_shape", 'expected a mapping with "phases"'))
    phases: list[dict[str, Any]] = []
    steps: list[StepCreate] = []
    seen_phases: set[str] = set()
    seen_keys: set[str] = set()
    for n, entry in enumerate(document["phases"]):
        path = f"phases[{n}]"
        if not isinstance(entry, dict):
            problems.append(FieldProblem(("file", path), "bad_shape", "expected a mapping"))
            continue
        phase = entry.get("phase")
        if phase not in PHASE_ORDER:
            problems.append(
                FieldProblem(
                    ("file", f"{path}.phase"),
                    "bad_phase",
                    f"one of {', '.join(PHASE_ORDER)}",
                )
            )
            continue
        if phase in seen_phases:
            problems.append(FieldProblem(("file", f"{path}.phase"), "duplicate", "listed twice"))
            continue
        seen_phases.add(phase)
        values = {
            k: entry[k] for k in ("name", "name_en", "description", "target_days") if k in entry
        }
        try:
            PhaseUpdate.model_validate(values)
        except ValidationError as exc:
            problems += _pydantic(exc, path)
        phases.append({"phase": phase, "values": values})
        raw_steps = entry.get("steps") or []
        if not isinstance(raw_steps, list):
            problems.append(FieldProblem(("file", f"{path}.steps"), "not_a_list", "a list"))
            continue
        for m, raw in enumerate(raw_steps):
            step_path = f"{path}.steps[{m}]"
            if not isinstance(raw, dict):
                problems.append(FieldProblem(("file", step_path), "bad_shape", "a mapping"))
                continue
            try:
                step = StepCreate.model_validate({**raw, "phase": phase, "position": m})
            except ValidationError as exc:
                problems += _pydantic(exc, step_path)
                continue
            if step.key in seen_keys:
                problems.append(
                    FieldProblem(("file", f"{step_path}.key"), "duplicate", "key used twice")
                )
            seen_keys.add(step.key)
            try:
                _check_step(step.model_dump(), specs, prefix=f"{step_path}.")
            except Invalid as exc:
                problems += [
                    FieldProblem(("file", *p.loc[1:]), p.code, p.message) for p in exc.problems
                ]
            steps.append(step)
    missing = [p for p in PHASE_ORDER if p not in seen_phases]
    if missing:
        problems.append(
            FieldProblem(("file", "phases"), "missing_phase", f"missing: {', '.join(missing)}")
        )
    if problems:
        raise Invalid(problems)
    return phases, steps


def _pydantic(exc: ValidationError, path: str) -> list[FieldProblem]:
    return [
        FieldProblem(("file", ".".join([path, *map(str, e["loc"])])), e["type"], e["msg"])
        for e in exc.errors()
    ]


def ensure_not_empty(definition: Definition) -> None:
    if not definition.phases:
        raise Conflict("the journey has no phases (run the migrations)", code="no_journey")
