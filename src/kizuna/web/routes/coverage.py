"""Coverage pages: books of business and capacity with re-balancing (/coverage), the
coverage model, and the tier- and assignment-rule editors with dry runs (/admin/coverage)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.permissions import Permission
from kizuna.coverage import service
from kizuna.coverage.schemas import (
    ApplyIn,
    AssignmentRuleIn,
    MoveIn,
    RebalanceIn,
    TierCoverageIn,
    TierRuleIn,
)
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.kit.i18n import N_
from kizuna.models.coverage import AssignmentStrategy, OwnerField, TouchModel
from kizuna.models.enums import Tier
from kizuna.models.user import Team, User
from kizuna.segment import builder
from kizuna.web.deps import AccountEditor, DbSession, PageContext, page
from kizuna.web.field_errors import message_for
from kizuna.web.render import redirect, render, request_locale
from kizuna.web.routes.segments import (
    PREFIX,
    builder_context,
    chips,
    fact_source,
    split_problems,
    to_yaml,
)

router = APIRouter()
TeamReader = Annotated[PageContext, Depends(page(Permission.TEAM_READ))]
CoverageAdmin = Annotated[PageContext, Depends(page(Permission.COVERAGE_ADMIN))]


def _teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def _users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))


# --------------------------------------------------------------------------- books


def _books_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    field: OwnerField,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    source = fact_source(request, session, ctx)
    data = service.books_of_business(
        session,
        ctx.actor,
        field=field,
        source=source,
        currency=request.app.state.settings.default_currency,
    )
    return render(
        request,
        ctx,
        "coverage/index.html",
        active="coverage",
        status_code=status_code,
        data=data,
        model=service.coverage_model(session, ctx.actor),
        teams=_teams(session),
        fields=list(OwnerField),
        touch_models=list(TouchModel),
        errors=errors or {},
    )


@router.get("/coverage")
def books(
    request: Request,
    ctx: TeamReader,
    session: DbSession,
    field: OwnerField = OwnerField.CSM_OWNER,
) -> Response:
    with session.begin():
        return _books_page(request, ctx, session, field)


@router.post("/coverage/model")
async def update_model(request: Request, ctx: CoverageAdmin, session: DbSession) -> Response:
    """The coverage model table's form: one row of inputs per tier."""
    form = await request.form()
    items: list[TierCoverageIn] = []
    problems: list[FieldProblem] = []
    for tier in Tier:
        raw = {
            "tier": tier.value,
            "touch_model": form.get(f"{tier.value}.touch_model"),
            "team_id": form.get(f"{tier.value}.team_id") or None,
            "accounts_per_person": form.get(f"{tier.value}.accounts_per_person") or None,
            "cadence_days": form.get(f"{tier.value}.cadence_days") or None,
            "description": str(form.get(f"{tier.value}.description", "")).strip(),
        }
        try:
            items.append(TierCoverageIn.model_validate(raw))
        except ValueError as exc:
            problems += _pydantic(exc, prefix=tier.value)
    try:
        if problems:
            raise Invalid(problems)
        with session.begin():
            service.update_coverage_model(session, ctx.actor, items)
    except Invalid as exc:
        errors = {".".join(map(str, p.loc[1:])): message_for(p) for p in exc.problems}
        with session.begin():
            return _books_page(
                request, ctx, session, OwnerField.CSM_OWNER, errors=errors, status_code=422
            )
    return redirect("/coverage", flash=N_("Coverage model saved."))


def _pydantic(exc: Exception, *, prefix: str) -> list[FieldProblem]:
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return [FieldProblem(("body", prefix), "invalid", str(exc))]
    return [
        FieldProblem(("body", prefix, *[str(p) for p in e["loc"]]), e["type"], e["msg"])
        for e in exc.errors()
    ]


@router.post("/coverage/rebalance")
async def rebalance(request: Request, ctx: CoverageAdmin, session: DbSession) -> Response:
    """Apply the ticked suggestions (each ``account:from:to``)."""
    form = await request.form()
    field = OwnerField(str(form.get("field", OwnerField.CSM_OWNER.value)))
    moves = []
    for value in form.getlist("move"):
        try:
            account, giver, taker = (uuid.UUID(v) for v in str(value).split(":"))
        except ValueError:
            continue
        moves.append(MoveIn(account_id=account, from_user_id=giver, to_user_id=taker))
    if not moves:
        return redirect(f"/coverage?field={field.value}", flash=N_("No move was selected."),
                        level="error")  # fmt: skip
    with session.begin():
        out = service.apply_moves(session, ctx.actor, RebalanceIn(field=field, moves=moves))
    message = (
        N_("Accounts handed over.")
        if not out.stale
        else N_("Accounts handed over; some had changed owner meanwhile and were left alone.")
    )
    return redirect(f"/coverage?field={field.value}", flash=message)


# --------------------------------------------------------------------------- rule lists


@router.get("/admin/coverage")
def admin(request: Request, ctx: CoverageAdmin, session: DbSession) -> Response:
    with session.begin():
        return _admin_page(request, ctx, session)


def _admin_page(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    run: Any = None,
    status_code: int = 200,
) -> Response:
    source = fact_source(request, session, ctx)
    locale = request_locale(request, ctx)
    specs = source.specs()
    tier_rules = service.tier_rules(session, ctx.actor)
    assignment_rules = service.assignment_rules(session, ctx.actor)
    names = {u.id: u.name for u in session.scalars(select(User))}
    return render(
        request,
        ctx,
        "coverage/admin.html",
        active="coverage_admin",
        status_code=status_code,
        tier_rules=[(r, builder.summarise(r.condition, specs, locale)) for r in tier_rules],
        assignment_rules=[
            (r, builder.summarise(r.condition, specs, locale)) for r in assignment_rules
        ],
        teams={t.id: t.name for t in _teams(session)},
        users=names,
        run=run,
    )


@router.post("/admin/coverage/apply")
async def apply(request: Request, ctx: CoverageAdmin, session: DbSession) -> Response:
    """A dry run (shows what would change) or the real run."""
    form = await request.form()
    dry_run = str(form.get("dry_run", "1")) != "0"
    with session.begin():
        out = service.apply(
            session, ctx.actor, ApplyIn(dry_run=dry_run), source=fact_source(request, session, ctx)
        )
        return _admin_page(request, ctx, session, run=out)


def _tier_items(session: Session, ctx: PageContext) -> list[TierRuleIn]:
    return [
        TierRuleIn(id=r.id, name=r.name, condition=r.condition, tier=r.tier, enabled=r.enabled)
        for r in service.tier_rules(session, ctx.actor)
    ]


def _assignment_items(session: Session, ctx: PageContext) -> list[AssignmentRuleIn]:
    return [
        AssignmentRuleIn(
            id=r.id,
            name=r.name,
            condition=r.condition,
            owner_field=r.owner_field,
            strategy=r.strategy,
            user_id=r.user_id,
            team_id=r.team_id,
            reassign=r.reassign,
            enabled=r.enabled,
        )
        for r in service.assignment_rules(session, ctx.actor)
    ]


def _index(items: list[Any], rule_id: uuid.UUID) -> int:
    for n, item in enumerate(items):
        if item.id == rule_id:
            return n
    raise NotFound("rule not found")


@router.post("/admin/coverage/{kind}/{rule_id}/move")
async def move_rule(
    request: Request, kind: str, rule_id: uuid.UUID, ctx: CoverageAdmin, session: DbSession
) -> Response:
    form = await request.form()
    step = -1 if form.get("direction") == "up" else 1
    with session.begin():
        source = fact_source(request, session, ctx)
        if kind == "tier-rules":
            tiers = _tier_items(session, ctx)
            _swap(tiers, _index(tiers, rule_id), step)
            service.set_tier_rules(session, ctx.actor, tiers, source=source)
        elif kind == "assignment-rules":
            rules = _assignment_items(session, ctx)
            _swap(rules, _index(rules, rule_id), step)
            service.set_assignment_rules(session, ctx.actor, rules, source=source)
        else:
            raise NotFound("no such list")
    return redirect("/admin/coverage", flash=N_("Order saved."))


def _swap(items: list[Any], n: int, step: int) -> None:
    m = n + step
    if 0 <= m < len(items):
        items[n], items[m] = items[m], items[n]


@router.post("/admin/coverage/{kind}/{rule_id}/delete")
def delete_rule(
    request: Request, kind: str, rule_id: uuid.UUID, ctx: CoverageAdmin, session: DbSession
) -> Response:
    with session.begin():
        source = fact_source(request, session, ctx)
        if kind == "tier-rules":
            tiers = _tier_items(session, ctx)
            del tiers[_index(tiers, rule_id)]
            service.set_tier_rules(session, ctx.actor, tiers, source=source)
        elif kind == "assignment-rules":
            rules = _assignment_items(session, ctx)
            del rules[_index(rules, rule_id)]
            service.set_assignment_rules(session, ctx.actor, rules, source=source)
        else:
            raise NotFound("no such list")
    return redirect("/admin/coverage", flash=N_("Rule deleted."))


# --------------------------------------------------------------------------- rule editor


def _rule_form(
    request: Request,
    ctx: PageContext,
    session: Session,
    *,
    kind: str,
    values: dict[str, Any],
    condition: dict[str, Any],
    rule_id: uuid.UUID | None,
    errors: dict[str, str] | None = None,
    row_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    source = fact_source(request, session, ctx)
    state = builder.from_definition(condition, source.specs()) or builder.BuilderState()
    view = builder_context(request, ctx, session, source, state, errors=row_errors)
    preview: Any = None
    problems: dict[str, str] = {}
    if not row_errors:
        try:
            from kizuna.segment import service as segments

            preview = segments.preview(session, ctx.actor, condition, source=source)
        except Invalid as exc:
            problems = split_problems(exc)[1]
    return render(
        request,
        ctx,
        "coverage/rule_form.html",
        active="coverage_admin",
        status_code=status_code,
        kind=kind,
        values=values,
        rule_id=rule_id,
        b=view,
        preview=preview,
        problems=problems,
        errors=errors or {},
        tiers=list(Tier),
        fields=list(OwnerField),
        strategies=list(AssignmentStrategy),
        teams=_teams(session),
        users=_users(session),
        raw_text=to_yaml(condition),
    )


@router.get("/admin/coverage/{kind}/new")
def new_rule(request: Request, kind: str, ctx: CoverageAdmin, session: DbSession) -> Response:
    _check_kind(kind)
    values: dict[str, Any] = {"name": "", "enabled": True, "tier": "tier1", "reassign": False,
                              "owner_field": "csm_owner", "strategy": "round_robin"}  # fmt: skip
    with session.begin():
        return _rule_form(
            request, ctx, session, kind=kind, values=values, condition={"all": []}, rule_id=None
        )


def _check_kind(kind: str) -> None:
    if kind not in ("tier-rules", "assignment-rules"):
        raise NotFound("no such list")


@router.get("/admin/coverage/{kind}/{rule_id}/edit")
def edit_rule(
    request: Request, kind: str, rule_id: uuid.UUID, ctx: CoverageAdmin, session: DbSession
) -> Response:
    _check_kind(kind)
    with session.begin():
        items: list[Any] = (
            _tier_items(session, ctx) if kind == "tier-rules" else _assignment_items(session, ctx)
        )
        item = items[_index(items, rule_id)]
        values = item.model_dump(mode="json")
        return _rule_form(
            request,
            ctx,
            session,
            kind=kind,
            values=values,
            condition=dict(item.condition),
            rule_id=rule_id,
        )


def _values(form: Any, kind: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": str(form.get("name", "")).strip(),
        "enabled": form.get("enabled") in ("true", "on", "1"),
    }
    if kind == "tier-rules":
        values["tier"] = str(form.get("tier", ""))
    else:
        values.update(
            owner_field=str(form.get("owner_field", "")),
            strategy=str(form.get("strategy", "")),
            user_id=str(form.get("user_id", "")) or None,
            team_id=str(form.get("team_id", "")) or None,
            reassign=form.get("reassign") in ("true", "on", "1"),
        )
    return values


async def _save_rule(
    request: Request, kind: str, rule_id: uuid.UUID | None, ctx: PageContext, session: Session
) -> Response:
    _check_kind(kind)
    form = await request.form()
    values = _values(form, kind)
    condition: dict[str, Any] = {}
    try:
        with session.begin():
            source = fact_source(request, session, ctx)
            condition = builder.to_definition(builder.parse_form(form, PREFIX), source.specs())
            if kind == "tier-rules":
                tiers = _tier_items(session, ctx)
                tier_item = _validated(
                    TierRuleIn, {**values, "condition": condition, "id": rule_id}
                )
                _put(tiers, tier_item, rule_id)
                service.set_tier_rules(session, ctx.actor, tiers, source=source)
            else:
                rules = _assignment_items(session, ctx)
                rule_item = _validated(
                    AssignmentRuleIn, {**values, "condition": condition, "id": rule_id}
                )
                _put(rules, rule_item, rule_id)
                service.set_assignment_rules(session, ctx.actor, rules, source=source)
    except Invalid as exc:
        fields, rows = split_problems(exc)
        # Problems of other rules' positions ("rules.3.team_id") name this rule's fields.
        fields = {k.split(".")[-1]: v for k, v in fields.items()}
        with session.begin():
            return _rule_form(
                request,
                ctx,
                session,
                kind=kind,
                values=values,
                condition=condition,
                rule_id=rule_id,
                errors=fields,
                row_errors=rows or None,
                status_code=422,
            )
    return redirect("/admin/coverage", flash=N_("Rule saved."))


def _validated(model: Any, data: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(
            [
                FieldProblem(("body", *[str(p) for p in e["loc"]]), e["type"], e["msg"])
                for e in exc.errors()
            ]
        ) from None


def _put(items: list[Any], item: Any, rule_id: uuid.UUID | None) -> None:
    if rule_id is None:
        items.append(item)
    else:
        items[_index(items, rule_id)] = item


@router.post("/admin/coverage/{kind}/new")
async def create_rule(
    request: Request, kind: str, ctx: CoverageAdmin, session: DbSession
) -> Response:
    return await _save_rule(request, kind, None, ctx, session)


@router.post("/admin/coverage/{kind}/{rule_id}/edit")
async def update_rule(
    request: Request, kind: str, rule_id: uuid.UUID, ctx: CoverageAdmin, session: DbSession
) -> Response:
    return await _save_rule(request, kind, rule_id, ctx, session)


# --------------------------------------------------------------------------- tier pin


@router.post("/accounts/{account_id}/tier-pin")
async def tier_pin(
    request: Request, account_id: uuid.UUID, ctx: AccountEditor, session: DbSession
) -> Response:
    """Pin or unpin the account's tier from Account 360 (re-renders the chips)."""
    form = await request.form()
    with session.begin():
        service.pin_tier(session, ctx.actor, account_id, pinned=form.get("pinned") == "true")
        return chips(request, ctx, session, account_id)
