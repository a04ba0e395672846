"""Subscription history: 12-month contracts renewed, expanded, contracted or churned.

All dates are month starts, so a line is either active for a whole month or not at all.
A renewal ends every line on the renewal date and opens new lines that start the same
day; churn ends the lines without successors; a reactivated account opens a new
contract after a gap. Engagement in the months before each decision steers it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from kizuna.demo import catalog as c
from kizuna.demo.engagement import recent
from kizuna.demo.story import LineDraft, Story

TERM = 12
MIN_SEATS = 5
MAX_SEATS = 1500


def mrr_amount(code: str, quantity: int, discount: Decimal) -> int:
    """List price × quantity less the discount, rounded half up to whole yen."""
    gross = Decimal(c.PRICES[code] * quantity)
    return int((gross * (100 - discount) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class _Contract:
    """An account's commercial state while it is a customer."""

    plan: str
    seats: int
    options: dict[str, int]
    discount: Decimal
    term_end: int
    lines: list[LineDraft] = field(default_factory=list)


def build_history(rng: random.Random, story: Story, current: int, window: int) -> None:
    """Fill ``story`` with lines, renewals, churns and seats up to month ``current``.

    Churn is only decided at renewals from ``window`` (the first month of the shown
    history) on, so every account is a customer when the window opens or joins later.
    """
    seats = _round_seats(story.employee_count * rng.uniform(0.03, 0.2))
    plan = _plan_for(rng, seats)
    contract: _Contract | None = _open(
        rng, story, story.start, plan, seats, _initial_options(rng, plan, seats), True
    )
    for month in range(story.start + 1, current + 1):
        if contract is not None and month == contract.term_end:
            contract = _renew(rng, story, contract, month, window)
        elif contract is not None:
            _maybe_add_option(rng, story, contract, month)
        else:
            contract = _maybe_reactivate(rng, story, month)
        if contract is not None:
            story.seats[month] = contract.seats
    if contract is not None:
        _close(contract, contract.term_end)
    story.value = _value(story, current)


def _value(story: Story, current: int) -> int:
    """MRR now, or in the last month before the account churned (used for tiering)."""
    month = current if story.is_active(current) else max(story.seats)
    return sum(
        mrr_amount(line.product_code, line.quantity, line.discount_percent)
        for line in story.lines
        if line.start <= month and (line.end is None or month < line.end)
    )


def _round_seats(value: float) -> int:
    seats = int(round(value / 5) * 5)
    return min(MAX_SEATS, max(MIN_SEATS, seats))


def _plan_for(rng: random.Random, seats: int) -> str:
    if seats <= 30:
        return c.PLAN_STARTER if rng.random() < 0.75 else c.PLAN_STANDARD
    if seats <= 300:
        return c.PLAN_STANDARD if rng.random() < 0.85 else c.PLAN_ENTERPRISE
    return c.PLAN_ENTERPRISE if rng.random() < 0.75 else c.PLAN_STANDARD


def _initial_options(rng: random.Random, plan: str, seats: int) -> dict[str, int]:
    big = plan == c.PLAN_ENTERPRISE
    chances = {
        c.OPT_ANALYTICS: 0.25,
        c.OPT_API: 0.15 + (0.15 if big else 0.0),
        c.OPT_SSO: 0.1 + (0.35 if seats > 100 else 0.0),
        c.ADD_STORAGE: 0.1,
        c.OPT_WORKFLOW: 0.12 + (0.1 if big else 0.0),
    }
    return {code: _option_units(rng, code) for code, p in chances.items() if rng.random() < p}


def _option_units(rng: random.Random, code: str) -> int:
    """Quantity of a fixed-price option (storage comes in 100 GB blocks)."""
    return rng.randint(1, 5) if code == c.ADD_STORAGE else 1


def _discount(rng: random.Random, plan: str, seats: int) -> Decimal:
    """Bigger deals get bigger discounts: 0 / 5 / 10 / 15 percent."""
    list_mrr = c.PRICES[plan] * seats
    step = (
        3
        if list_mrr >= 1_000_000
        else 2
        if list_mrr >= 300_000
        else 1
        if list_mrr >= 100_000
        else 0
    )
    step = min(3, max(0, step + rng.choice((-1, 0, 0, 0, 1))))
    return Decimal(5 * step)


def _line(story: Story, contract: _Contract, code: str, month: int, auto_renew: bool) -> None:
    quantity = contract.seats if code in c.SEAT_PRICED else contract.options.get(code, 1)
    draft = LineDraft(code, quantity, contract.discount, month, None, (story.index, month))
    draft.auto_renew = auto_renew
    story.lines.append(draft)
    contract.lines.append(draft)


def _open(
    rng: random.Random,
    story: Story,
    month: int,
    plan: str,
    seats: int,
    options: dict[str, int],
    new_tenure: bool,
) -> _Contract:
    contract = _Contract(plan, seats, options, _discount(rng, plan, seats), month + TERM)
    _line(story, contract, plan, month, True)
    for code in c.OPTIONS:
        if code in options:
            _line(story, contract, code, month, True)
    if new_tenure:
        story.tenure_starts.append(month)
        first_ever = len(story.tenure_starts) == 1
        if first_ever and rng.random() < 0.35 + (0.3 if seats > 50 else 0.0):
            _line(story, contract, c.SVC_ONBOARDING, month, False)
    story.seats[month] = seats
    return contract


def _close(contract: _Contract, month: int) -> None:
    for line in contract.lines:
        line.end = month


def _renew(
    rng: random.Random, story: Story, contract: _Contract, month: int, window: int
) -> _Contract | None:
    _close(contract, month)
    story.renewals.append(month)
    engagement = recent(story.engagement, month)
    risk = 0.02 + 0.6 * (1 - engagement) ** 3
    if contract.seats < 20:
        risk *= 1.3
    if month >= window and rng.random() < risk:
        story.churns.append(month)
        return None
    seats = _renewed_seats(rng, contract.seats, engagement)
    plan = _renewed_plan(rng, contract.plan, seats, engagement)
    drop = 0.05 + 0.35 * (1 - engagement) ** 2
    options = {code: n for code, n in contract.options.items() if rng.random() >= drop}
    return _open(rng, story, month, plan, seats, options, False)


def _renewed_seats(rng: random.Random, seats: int, engagement: float) -> int:
    expand = 0.05 + 0.55 * engagement**2
    contract = 0.05 + 0.45 * (1 - engagement) ** 2
    roll = rng.random()
    if roll < expand:
        return min(MAX_SEATS, max(seats + MIN_SEATS, _round_seats(seats * rng.uniform(1.1, 1.6))))
    if roll < expand + contract and seats > MIN_SEATS:
        return min(seats - MIN_SEATS, _round_seats(seats * rng.uniform(0.55, 0.9)))
    return seats


def _renewed_plan(rng: random.Random, plan: str, seats: int, engagement: float) -> str:
    if plan == c.PLAN_STARTER and (seats > 30 or (engagement > 0.7 and rng.random() < 0.25)):
        return c.PLAN_STANDARD
    if plan == c.PLAN_STANDARD and (seats > 300 or (engagement > 0.75 and rng.random() < 0.1)):
        return c.PLAN_ENTERPRISE
    if plan == c.PLAN_ENTERPRISE and engagement < 0.3 and rng.random() < 0.2:
        return c.PLAN_STANDARD
    return plan


def _maybe_add_option(rng: random.Random, story: Story, contract: _Contract, month: int) -> None:
    """Mid-term cross-sell, co-termed with the running contract (more likely when engaged)."""
    engagement = story.engagement[month]
    missing = [code for code in c.OPTIONS if code not in contract.options]
    if not missing or rng.random() >= 0.004 + 0.03 * engagement**2:
        return
    code = rng.choice(missing)
    contract.options[code] = _option_units(rng, code)
    _line(story, contract, code, month, True)


def _maybe_reactivate(rng: random.Random, story: Story, month: int) -> _Contract | None:
    """A churned customer whose engagement recovered may sign again after a gap."""
    if len(story.tenure_starts) > 1 or month - story.churns[-1] < 3:
        return None
    if story.engagement[month] < 0.45 or rng.random() >= 0.12:
        return None
    last_seats = story.seats[max(story.seats)]
    seats = _round_seats(last_seats * rng.uniform(0.5, 1.0))
    plan = c.PLAN_STARTER if seats <= 30 else c.PLAN_STANDARD
    return _open(rng, story, month, plan, seats, {}, True)
