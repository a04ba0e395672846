"""The deterministic demo company: a Japanese B2B SaaS vendor and its customers.

``generate`` is pure: the same ``seed``, ``accounts`` and ``today`` always give equal
data, and nothing depends on the wall clock or the global random state. Each account
draws from its own ``random.Random`` per step, so changing one step (say, activities)
leaves the others' numbers alone.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from itertools import count

from kizuna.demo import catalog
from kizuna.demo.accounts import assign_owners, assign_phase, assign_tiers, draft_stories
from kizuna.demo.activities import build_activities
from kizuna.demo.contracts import TERM, build_history, mrr_amount
from kizuna.demo.dates import add_months, month_start
from kizuna.demo.engagement import walk
from kizuna.demo.model import DemoActivity, DemoData, DemoLine, DemoSurvey
from kizuna.demo.people import build_contacts
from kizuna.demo.story import Story
from kizuna.demo.surveys import build_surveys

HISTORY_MONTHS = 24
HORIZON_MONTHS = 36


def _rng(seed: int, step: str, index: int = 0) -> random.Random:
    # String seeds are hashed with SHA-512 by random.Random: stable across runs.
    return random.Random(f"kizuna-demo:{seed}:{step}:{index}")


def generate(seed: int = 42, accounts: int = 320, *, today: date) -> DemoData:
    """The whole demo as plain values. Account starts reach up to 36 months back; the
    shown history (activities, surveys, churn) covers the 24 months up to ``today``."""
    current_start = month_start(today)
    months = tuple(add_months(current_start, i - HORIZON_MONTHS) for i in range(HORIZON_MONTHS + 1))
    current = len(months) - 1
    window = current - HISTORY_MONTHS
    stories = draft_stories(_rng(seed, "accounts"), accounts, months)
    for story in stories:
        story.engagement = walk(_rng(seed, "engagement", story.index), len(months), story.start)
        build_history(_rng(seed, "contracts", story.index), story, current, window)
    assign_tiers(stories)
    assign_owners(stories)
    serial = count(1)
    activities: list[DemoActivity] = []
    surveys: list[DemoSurvey] = []
    for story in stories:
        assign_phase(story, current)
        story.contacts = build_contacts(_rng(seed, "contacts", story.index), story, serial)
        acts = build_activities(_rng(seed, "activities", story.index), story, months, today, window)
        activities += acts
        rng = _rng(seed, "surveys", story.index)
        surveys += build_surveys(rng, story, acts, months, window, today)
    return DemoData(
        seed=seed,
        today=today,
        window_start=months[window],
        months=months,
        teams=catalog.TEAMS,
        users=catalog.USERS,
        products=catalog.PRODUCTS,
        accounts=tuple(s.to_account() for s in stories),
        contacts=tuple(c for s in stories for c in s.contacts),
        lines=_lines(stories, months),
        activities=_numbered_activities(activities),
        surveys=_numbered_surveys(surveys),
        engagement={s.external_id: s.engagement for s in stories},
    )


def _month(months: tuple[date, ...], index: int) -> date:
    return add_months(months[0], index)


def _lines(stories: list[Story], months: tuple[date, ...]) -> tuple[DemoLine, ...]:
    """Number lines (SUB-…) and contracts (C-YYYY-NNNN) in order of start date."""
    order = {code: i for i, code in enumerate(p.code for p in catalog.PRODUCTS)}
    drafts = sorted(
        ((story, d) for story in stories for d in story.lines),
        key=lambda sd: (sd[1].start, sd[0].index, order[sd[1].product_code]),
    )
    refs: dict[tuple[int, int], str] = {}
    per_year: dict[int, int] = {}
    lines = []
    for n, (story, draft) in enumerate(drafts, start=1):
        start_on = _month(months, draft.start)
        if draft.contract_key not in refs:
            per_year[start_on.year] = per_year.get(start_on.year, 0) + 1
            refs[draft.contract_key] = f"C-{start_on.year}-{per_year[start_on.year]:04d}"
        assert draft.end is not None
        lines.append(
            DemoLine(
                external_id=f"SUB-{n:06d}",
                account=story.external_id,
                product_code=draft.product_code,
                contract_ref=refs[draft.contract_key],
                quantity=draft.quantity,
                unit_list_price_amount=catalog.PRICES[draft.product_code],
                discount_percent=draft.discount_percent,
                mrr_amount=mrr_amount(draft.product_code, draft.quantity, draft.discount_percent),
                start_on=start_on,
                end_on=_month(months, draft.end),
                term_months=TERM,
                billing_period_months=story.billing_period_months,
                auto_renew=draft.auto_renew,
            )
        )
    return tuple(lines)


def _numbered_activities(activities: list[DemoActivity]) -> tuple[DemoActivity, ...]:
    ordered = sorted(activities, key=lambda a: (a.occurred_at, a.account, a.subject))
    return tuple(replace(a, external_id=f"ACT-{n:06d}") for n, a in enumerate(ordered, 1))


def _numbered_surveys(surveys: list[DemoSurvey]) -> tuple[DemoSurvey, ...]:
    ordered = sorted(surveys, key=lambda s: (s.responded_on, s.account, s.kind, s.contact or ""))
    return tuple(replace(s, external_id=f"SRV-{n:06d}") for n, s in enumerate(ordered, 1))
