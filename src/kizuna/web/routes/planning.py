"""Planning calculators (C12): the hub and one page per calculator.

Every input is a GET parameter (amounts in major units, rates in percent), so a scenario
can be bookmarked and shared; the form recomputes through HTMX without a full reload.
"Fill from actual data" measures the inputs on the company's revenue and writes the
measured values back into the address bar, so the filled scenario is shareable too.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from kizuna.auth.permissions import Permission
from kizuna.kit.clock import today
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.kit.i18n import N_
from kizuna.kit.money import minor_digits, to_major
from kizuna.planning import inputs, service
from kizuna.planning.scenarios import IMPACT_SEED_003, PILOT_SEED_000, UNIT_ECONOMICS_EXAMPLE
from kizuna.planning.schemas import (
    ImpactModelInput,
    ImpactModelResult,
    PilotRoiInput,
    UnitEconomicsInput,
)
from kizuna.subscription.terms import add_months
from kizuna.web.deps import DbSession, PageContext, page
from kizuna.web.field_errors import message_for
from kizuna.web.forms import parse, parse_money
from kizuna.web.render import render

router = APIRouter()
Planner = Annotated[PageContext, Depends(page(Permission.REVENUE_READ))]
M = TypeVar("M")
B = TypeVar("B", bound=BaseModel)

# The calculators' range codes as sentences (other codes use the shared field messages).
MESSAGES = {
    inputs.CHURN_RANGE: N_("Enter a churn rate above 0 % and up to 100 %."),
    inputs.RATE_RANGE: N_("Enter a rate from 0 % to 100 %."),
    inputs.MARGIN_RANGE: N_("Enter a margin above 0 % and up to 100 %."),
    inputs.EXPANSION_RANGE: N_("Enter a rate from 0 % to 1,000 %."),
    inputs.AMOUNT_RANGE: N_("Must be zero or more, and not absurdly large."),
    inputs.POSITIVE_AMOUNT: N_("Enter an amount above zero."),
    inputs.PEOPLE_RANGE: N_("Enter a head count above 0 and up to 10,000."),
    inputs.MONTHS_RANGE: N_("Enter a number of months from 1 to 120."),
    inputs.CHURN_ORDER: N_("Churn with CS must not be higher than churn without CS."),
    inputs.YEARS_RANGE: N_("Enter new revenue for 1 to 30 years."),
    "not_a_month": N_("Choose a month."),
    "unknown_team": N_("No such team."),
    "period_too_long": N_("Choose a period of at most 36 months."),
}
# Calculator field → the form input that holds it.
INPUT_NAMES = {
    "cost_per_person_amount": "cost",
    "new_mrr_per_person_amount": "new_mrr",
    "monthly_churn_rate": "churn",
    "churn_without_cs": "churn_without",
    "churn_with_cs": "churn_with",
    "expansion_rate": "expansion",
    "new_revenue_amounts": "y",
    "arpa_amount": "arpa",
    "gross_margin": "margin",
    "cac_amount": "cac",
    "team_id": "team",
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_YEARS = 30


@router.get("/planning")
def planning_hub(request: Request, ctx: Planner) -> Response:
    """The three calculators, each with its default scenario's headline result."""
    return render(
        request,
        ctx,
        "planning/index.html",
        active="planning",
        pilot=service.calculate_pilot_roi(ctx.actor, PILOT_SEED_000),
        impact=service.calculate_impact_model(ctx.actor, IMPACT_SEED_003),
        unit=service.calculate_unit_economics(ctx.actor, UNIT_ECONOMICS_EXAMPLE),
    )


@router.get("/planning/pilot-roi")
def pilot_page(request: Request, ctx: Planner, session: DbSession) -> Response:
    query = request.query_params
    seed = PILOT_SEED_000
    values = _texts(
        query,
        cost=_money_text(seed.cost_per_person_amount, seed.currency),
        new_mrr=_money_text(seed.new_mrr_per_person_amount, seed.currency),
        churn=_percent_text(seed.monthly_churn_rate),
        people=str(seed.people),
        months=str(seed.months),
        currency=seed.currency,
        team="",
    )
    period = _Period(query, ctx)
    errors: dict[str, str] = {}
    prefill = None
    with session.begin():
        teams = service.team_choices(session, ctx.actor)
        if query.get("prefill"):
            try:
                team_id = _team_id(values["team"])
                prefill = service.pilot_prefill(
                    session,
                    ctx.actor,
                    team_id,
                    start=period.start(),
                    end=period.end(),
                    currency=_currency(request),
                )
            except Invalid as exc:
                errors.update(_errors(exc))
    if prefill is not None:
        values["currency"] = prefill.currency
        if prefill.new_mrr_per_person_amount is not None:
            values["new_mrr"] = _money_text(prefill.new_mrr_per_person_amount, prefill.currency)
        if prefill.monthly_churn_rate is not None:
            values["churn"] = _percent_text(prefill.monthly_churn_rate)

    def build(form: _Form) -> dict[str, Any]:
        currency = form.currency("currency")
        return {
            "cost_per_person_amount": form.money("cost", currency),
            "new_mrr_per_person_amount": form.money("new_mrr", currency),
            "monthly_churn_rate": form.percent("churn"),
            "people": form.number("people"),
            "months": form.whole("months"),
            "currency": currency,
        }

    result = _compute(
        values,
        errors,
        PilotRoiInput,
        build,
        lambda data: service.calculate_pilot_roi(ctx.actor, data),
    )
    return render(
        request,
        ctx,
        "planning/pilot_roi.html",
        active="planning",
        values=values,
        errors=errors,
        result=result,
        teams=teams,
        period=period,
        prefill=prefill,
        last_month=add_months(prefill.end, -1) if prefill else None,
        chart=_chart(
            result,
            cost=[p.cumulative_cost_amount for p in result.series] if result else [],
            ltv=[p.cumulative_ltv_amount for p in result.series] if result else [],
            revenue=[p.cumulative_revenue_amount for p in result.series] if result else [],
        ),
        permalink=_permalink("/planning/pilot-roi", values, period.texts()),
        status_code=422 if errors else 200,
    )


@router.get("/planning/impact-model")
def impact_page(request: Request, ctx: Planner) -> Response:
    query = request.query_params
    seed = IMPACT_SEED_003
    values = _texts(
        query,
        churn_without=_percent_text(seed.churn_without_cs),
        churn_with=_percent_text(seed.churn_with_cs),
        expansion=_percent_text(seed.expansion_rate),
        currency=seed.currency,
    )
    if "y" in query:
        years = [text.strip() for text in query.getlist("y")]
        while years and not years[-1]:
            years.pop()
    else:
        years = [_money_text(v, seed.currency) for v in seed.new_revenue_amounts]
    errors: dict[str, str] = {}

    def build(form: _Form) -> dict[str, Any]:
        currency = form.currency("currency")
        amounts = [form.money(f"y.{i}", currency) for i, _ in enumerate(years, start=1)]
        if not amounts:
            form.problems.append(
                FieldProblem(("query", "y"), inputs.YEARS_RANGE, "give at least one year")
            )
        return {
            "new_revenue_amounts": amounts,
            "churn_without_cs": form.percent("churn_without"),
            "churn_with_cs": form.percent("churn_with"),
            "expansion_rate": form.percent("expansion"),
            "currency": currency,
        }

    form_values = {**values, **{f"y.{i}": text for i, text in enumerate(years, start=1)}}
    result = _compute(
        form_values,
        errors,
        ImpactModelInput,
        build,
        lambda data: service.calculate_impact_model(ctx.actor, data),
    )
    return render(
        request,
        ctx,
        "planning/impact_model.html",
        active="planning",
        values=values,
        years=years + [""] * max(0, min(2, _MAX_YEARS - len(years))),
        errors=errors,
        result=result,
        chart=_impact_chart(result),
        permalink=_permalink("/planning/impact-model", values, {"y": years}),
        status_code=422 if errors else 200,
    )


@router.get("/planning/unit-economics")
def unit_page(request: Request, ctx: Planner, session: DbSession) -> Response:
    query = request.query_params
    seed = UNIT_ECONOMICS_EXAMPLE
    values = _texts(
        query,
        arpa=_money_text(seed.arpa_amount, seed.currency),
        margin=_percent_text(seed.gross_margin),
        churn=_percent_text(seed.monthly_churn_rate),
        cac=_money_text(seed.cac_amount, seed.currency),
        months=str(seed.months),
        currency=seed.currency,
    )
    period = _Period(query, ctx)
    errors: dict[str, str] = {}
    prefill = None
    if query.get("prefill"):
        try:
            with session.begin():
                prefill = service.unit_economics_prefill(
                    session,
                    ctx.actor,
                    start=period.start(),
                    end=period.end(),
                    currency=_currency(request),
                )
        except Invalid as exc:
            errors.update(_errors(exc))
    if prefill is not None:
        values["currency"] = prefill.currency
        if prefill.arpa_amount is not None:
            values["arpa"] = _money_text(prefill.arpa_amount, prefill.currency)
        if prefill.monthly_churn_rate is not None:
            values["churn"] = _percent_text(prefill.monthly_churn_rate)

    def build(form: _Form) -> dict[str, Any]:
        currency = form.currency("currency")
        return {
            "arpa_amount": form.money("arpa", currency),
            "gross_margin": form.percent("margin"),
            "monthly_churn_rate": form.percent("churn"),
            "cac_amount": form.money("cac", currency),
            "months": form.whole("months"),
            "currency": currency,
        }

    result = _compute(
        values,
        errors,
        UnitEconomicsInput,
        build,
        lambda data: service.calculate_unit_economics(ctx.actor, data),
    )
    return render(
        request,
        ctx,
        "planning/unit_economics.html",
        active="planning",
        values=values,
        errors=errors,
        result=result,
        period=period,
        prefill=prefill,
        last_month=add_months(prefill.end, -1) if prefill else None,
        chart=_chart(
            result,
            margin=[p.cumulative_margin_amount for p in result.series] if result else [],
            expected=[p.expected_margin_amount for p in result.series] if result else [],
            cac=[result.cac_amount for _ in result.series] if result else [],
        ),
        permalink=_permalink("/planning/unit-economics", values, period.texts()),
        status_code=422 if errors else 200,
    )


class _Form:
    """Reads the typed texts, collecting a problem per bad input instead of stopping."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.problems: list[FieldProblem] = []

    def _guard(self, name: str, read: Callable[[str], M], fallback: M) -> M:
        try:
            return read(self.values.get(name, ""))
        except Invalid as exc:
            self.problems.extend(
                FieldProblem(("query", name), p.code, p.message) for p in exc.problems
            )
            return fallback

    def currency(self, name: str) -> str:
        text = self.values.get(name, "").strip().upper()
        if _CURRENCY.match(text):
            return text
        self.problems.append(
            FieldProblem(("query", name), "string_pattern_mismatch", "a 3-letter code")
        )
        return "JPY"

    def money(self, name: str, currency: str) -> int:
        return self._guard(name, lambda text: parse_money(text, currency, field=name), 0)

    def number(self, name: str) -> Decimal:
        return self._guard(name, lambda text: _decimal(text, name), Decimal(0))

    def percent(self, name: str) -> Decimal:
        return self._guard(name, lambda text: _decimal(text, name) / 100, Decimal(0))

    def whole(self, name: str) -> int:
        def read(text: str) -> int:
            value = _decimal(text, name)
            if value != value.to_integral_value():
                raise Invalid.field(name, "must be a whole number", code="int_parsing")
            return int(value)

        return self._guard(name, read, 0)


def _compute(
    values: Mapping[str, str],
    errors: dict[str, str],
    model: type[B],
    build: Callable[[_Form], dict[str, Any]],
    calculate: Callable[[B], M],
) -> M | None:
    """Read the form, validate it as ``model`` and run the calculator; problems land in
    ``errors`` under the name of the input that holds the bad value."""
    form = _Form(values)
    payload = build(form)
    problems = list(form.problems)  # unreadable inputs first: their messages win
    try:
        result = calculate(parse(model, payload, where="query"))
    except Invalid as exc:
        problems.extend(exc.problems)
    if problems:
        errors.update(_errors(Invalid(problems)))
        return None
    return result


def _errors(exc: Invalid) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in exc.problems:
        name = str(problem.loc[1] if len(problem.loc) > 1 else problem.loc[0])
        head, _, year = name.partition(".")
        name = INPUT_NAMES.get(head, head) + (f".{year}" if year else "")
        errors.setdefault(name, MESSAGES.get(problem.code) or message_for(problem))
    return errors


class _Period:
    """The measured period as two months, both included (``from``, ``to`` = YYYY-MM)."""

    def __init__(self, query: Mapping[str, str], ctx: PageContext) -> None:
        this_month = today(ctx.actor.timezone).replace(day=1)
        self.default_to = add_months(this_month, -1)
        self.default_from = add_months(this_month, -12)
        self.from_text = str(query.get("from") or self.default_from.strftime("%Y-%m"))
        self.to_text = str(query.get("to") or self.default_to.strftime("%Y-%m"))

    def start(self) -> date:
        return _month(self.from_text, "from")

    def end(self) -> date:
        """The day after the period: the first day of the month after ``to``."""
        return add_months(_month(self.to_text, "to"), 1)

    def texts(self) -> dict[str, str]:
        return {"from": self.from_text, "to": self.to_text}


def _chart(result: Any, **series: list[int]) -> dict[str, Any]:
    """Chart data: amounts stay integer minor units; the page divides by 10^digits."""
    if result is None:
        return {"digits": 0, "labels": []}
    labels = [str(p.month) for p in result.series] if hasattr(result, "series") else []
    return {"digits": minor_digits(result.currency), "labels": labels, **series}


def _impact_chart(result: ImpactModelResult | None) -> dict[str, Any]:
    if result is None:
        return {"digits": 0, "labels": []}
    years = result.years
    return {
        "digits": minor_digits(result.currency),
        "labels": [str(y.year) for y in years],
        "new": [y.new_amount for y in years],
        "kept": [y.retained_without_cs_amount for y in years],
        "added": [y.added_by_cs_amount for y in years],
        "share": [float(y.cs_share * 100) if y.cs_share is not None else None for y in years],
    }


def _currency(request: Request) -> str:
    return str(request.app.state.settings.default_currency)


def _texts(query: Mapping[str, str], **defaults: str) -> dict[str, str]:
    return {k: str(query.get(k, default)).strip() for k, default in defaults.items()}


def _decimal(text: str, name: str) -> Decimal:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace("%", "").strip()
    try:
        value = Decimal(cleaned)
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise Invalid.field(name, "must be a number", code="decimal_parsing") from None
    return value


def _money_text(minor: int, currency: str) -> str:
    return f"{to_major(minor, currency):,}"


def _percent_text(ratio: Decimal) -> str:
    """0.02 → "2", 0.012345 → "1.23" (percent, at most two decimals, no trailing zeros)."""
    value = (ratio * 100).quantize(Decimal("0.01")).normalize()
    return f"{value:f}"


def _month(text: str, name: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        raise Invalid.field(name, "must be a month (YYYY-MM)", code="not_a_month") from None


def _team_id(text: str) -> uuid.UUID:
    if not text:
        raise Invalid.field("team", "choose a team", code="required")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise Invalid.field("team", "no such team", code="unknown_team") from None


def _permalink(path: str, values: Mapping[str, str], extra: Mapping[str, Any]) -> str:
    params = [(k, v) for k, v in values.items() if v]
    for key, value in extra.items():
        params.extend((key, v) for v in (value if isinstance(value, list) else [value]))
    return f"{path}?{urlencode(params)}"
