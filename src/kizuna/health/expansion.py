"""Expansion signals (拡張シグナル): where a paying account is ready to buy more.

Three kinds, each stored with the numbers behind it (``evidence``) and a strength 0–1 used
only for ordering:

- ``seats``: the seats are nearly used up — active users of the last complete month ÷
  licensed seats (signal ``seat_activation``) ≥ ``SEAT_THRESHOLD``.
- ``option``: the account uses a capability that an option sells without holding that
  option. Which capability belongs to which option is configured on the option product's
  custom fields: ``expansion_metric`` (a usage signal key such as
  ``usage:exported_rows:month``, or a bare metric key meaning its monthly value) and
  ``expansion_threshold`` (the value from which the usage counts as a signal).
- ``renewal``: strong health (band green) and a renewal within ``RENEWAL_DAYS`` days
  (signal ``days_to_renewal``): the moment to talk about a larger renewal.

``detect`` rewrites every row (delete + insert) in the caller's transaction; the values
come from the signals engine as of today, so they use only complete periods.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from kizuna.db.bulk import insert_rows
from kizuna.health.signals.catalogue import parse_usage_key, usage_key
from kizuna.health.signals.history import History, load_history, signal_frame
from kizuna.health.signals.outcomes import customer_at
from kizuna.kit.clock import utc_now
from kizuna.models.enums import ProductKind, ProductUnit
from kizuna.models.health import ExpansionSignal, HealthScore
from kizuna.models.product import Product
from kizuna.models.subscription import Subscription
from kizuna.models.usage_metric import UsageMetric

SEAT_THRESHOLD = 0.9
RENEWAL_DAYS = 90
METRIC_FIELD = "expansion_metric"
THRESHOLD_FIELD = "expansion_threshold"
SEAT_COLUMNS = ("seat_activation", "seats", "days_to_renewal")


@dataclass(frozen=True)
class OptionRule:
    """An option product and the usage that shows an account would use it."""

    code: str
    name: str
    name_en: str
    signal: str  # usage:<metric>:<grain>
    metric_name: str
    metric_name_en: str
    threshold: float


def option_rules(session: Session) -> list[OptionRule]:
    """Active option/add-on products whose custom fields name a usage metric and threshold.

    Misconfigured products (unknown or disabled metric, missing or non-positive threshold)
    are skipped: a product setting must not stop the daily scoring.
    """
    products = session.scalars(
        select(Product)
        .where(
            Product.is_active.is_(True),
            Product.kind.in_([ProductKind.OPTION, ProductKind.ADD_ON]),
        )
        .order_by(Product.code)
    ).all()
    configured = [p for p in products if p.custom_fields.get(METRIC_FIELD)]
    if not configured:
        return []
    metrics = {m.key: m for m in session.scalars(select(UsageMetric)) if m.enabled}
    rules = []
    for product in configured:
        signal = signal_key(str(product.custom_fields[METRIC_FIELD]))
        threshold = _positive(product.custom_fields.get(THRESHOLD_FIELD))
        parsed = parse_usage_key(signal)
        metric = metrics.get(parsed[0]) if parsed else None
        if metric is None or parsed is None or parsed[1] not in metric.grains or not threshold:
            continue
        rules.append(
            OptionRule(
                product.code,
                product.name,
                product.name_en or product.name,
                signal,
                metric.name,
                metric.name_en or metric.name,
                threshold,
            )
        )
    return rules


def signal_key(configured: str) -> str:
    """``exported_rows`` → ``usage:exported_rows:month``; a full signal key is kept."""
    text = configured.strip()
    return text if text.startswith("usage:") else usage_key(text, "month")


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def columns(session: Session, rules: Sequence[OptionRule] | None = None) -> list[str]:
    """The signals ``detect`` reads: the seat and renewal signals and each option rule's."""
    rules = option_rules(session) if rules is None else rules
    return [*SEAT_COLUMNS, *sorted({r.signal for r in rules})]


def detect(
    session: Session,
    *,
    data_dir: Path,
    zone: str,
    today: date,
    history: History | None = None,
) -> int:
    """Rewrite ``expansion_signal`` for every paying account; returns the rows written.

    ``history``: one already loaded for ``today`` that holds ``columns(session)`` (the
    rescore loads once for everything it scores); None loads what today's frame needs."""
    rules = option_rules(session)
    keys = columns(session, rules)
    if history is None:
        history = load_history(
            session, data_dir=data_dir, zone=zone, today=today, columns=keys, since=today
        )
    ids = np.asarray(history.account_ids, dtype=object)
    as_of = np.full(len(ids), np.datetime64(today, "D"))
    paying = np.asarray(customer_at(history, ids, as_of), dtype=bool)
    ids, as_of = ids[paying], as_of[paying]
    frame = signal_frame(history, ids, as_of, keys)
    context = Context(
        today=today,
        held=_held_options(session, today),
        plans=_seat_plans(session, today),
        health=_health(session),
    )
    rows: list[dict[str, Any]] = []
    for i, account in enumerate(ids):
        values = {key: float(frame.values[key][i]) for key in keys}
        rows.extend(find(str(account), values, rules, context))
    session.execute(delete(ExpansionSignal))
    insert_rows(session, ExpansionSignal.__table__, rows)
    session.flush()
    return len(rows)


@dataclass(frozen=True)
class Context:
    today: date
    held: dict[str, set[str]]  # account id → option codes held today
    plans: dict[str, tuple[str, str]]  # account id → seat plan (name, name_en)
    health: dict[str, tuple[str, float | None]]  # account id → (band, score)


def find(
    account: str, values: dict[str, float], rules: Sequence[OptionRule], ctx: Context
) -> list[dict[str, Any]]:
    """The signals of one account from its signal values (NaN = missing). Pure."""
    found = [_seats(values, ctx.plans.get(account)), _renewal(values, ctx.health.get(account))]
    held = ctx.held.get(account, set())
    found.extend(_option(values, rule) for rule in rules if rule.code not in held)
    now = utc_now()
    return [
        {
            "account_id": uuid.UUID(account),
            "kind": kind,
            "subject": subject,
            "detected_on": ctx.today,
            "strength": round(strength, 4),
            "evidence": evidence,
            "computed_at": now,
        }
        for kind, subject, strength, evidence in (f for f in found if f is not None)
    ]


Found = tuple[str, str, float, dict[str, Any]] | None


def _seats(values: dict[str, float], plan: tuple[str, str] | None) -> Found:
    share, seats = values["seat_activation"], values["seats"]
    if np.isnan(share) or np.isnan(seats) or seats <= 0 or share < SEAT_THRESHOLD:
        return None
    evidence = {
        "active_users": round(share * seats),
        "seats": int(seats),
        "utilisation": round(share, 4),
        "threshold": SEAT_THRESHOLD,
        "product": plan[0] if plan else "",
        "product_en": plan[1] if plan else "",
    }
    return "seats", "", _clip(0.5 + (share - SEAT_THRESHOLD) * 2.5), evidence


def _renewal(values: dict[str, float], health: tuple[str, float | None] | None) -> Found:
    days = values["days_to_renewal"]
    if health is None or health[0] != "green" or health[1] is None:
        return None
    if np.isnan(days) or not 0 <= days <= RENEWAL_DAYS:
        return None
    score = float(health[1])
    evidence = {"score": round(score, 1), "band": "green", "days_to_renewal": int(days)}
    # Healthier and sooner is stronger: a green account 2 weeks from renewal comes first.
    return "renewal", "", _clip(score / 100 * (1 - 0.5 * days / RENEWAL_DAYS)), evidence


def _option(values: dict[str, float], rule: OptionRule) -> Found:
    value = values[rule.signal]
    if np.isnan(value) or value < rule.threshold:
        return None
    evidence = {
        "option": rule.code,
        "option_name": rule.name,
        "option_name_en": rule.name_en,
        "signal": rule.signal,
        "metric_name": rule.metric_name,
        "metric_name_en": rule.metric_name_en,
        "value": round(value, 4),
        "threshold": rule.threshold,
    }
    # At the threshold 0.4, +0.2 per doubling: far above the threshold is a stronger case.
    return "option", rule.code, _clip(0.4 + 0.2 * math.log2(value / rule.threshold)), evidence


def _clip(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _active(today: date) -> Any:
    return (Subscription.start_on <= today) & or_(
        Subscription.end_on.is_(None), Subscription.end_on > today
    )


def _held_options(session: Session, today: date) -> dict[str, set[str]]:
    rows = session.execute(
        select(Subscription.account_id, Product.code)
        .join(Product, Product.id == Subscription.product_id)
        .where(_active(today), Product.kind.in_([ProductKind.OPTION, ProductKind.ADD_ON]))
    ).all()
    held: dict[str, set[str]] = {}
    for account_id, code in rows:
        held.setdefault(str(account_id), set()).add(code)
    return held


def _seat_plans(session: Session, today: date) -> dict[str, tuple[str, str]]:
    """The seat-priced base plan each account holds today (the largest line when several)."""
    rows = session.execute(
        select(Subscription.account_id, Product.name, Product.name_en)
        .join(Product, Product.id == Subscription.product_id)
        .where(
            _active(today),
            Product.kind == ProductKind.BASE_PLAN,
            Product.unit == ProductUnit.SEAT,
        )
        .order_by(Subscription.account_id, Subscription.quantity)
    ).all()
    return {str(a): (name, name_en or name) for a, name, name_en in rows}


def _health(session: Session) -> dict[str, tuple[str, float | None]]:
    rows = session.execute(select(HealthScore.account_id, HealthScore.band, HealthScore.score))
    return {str(a): (band, score) for a, band, score in rows}
