"""Customer companies: names, profiles, tiers, phases and owners."""

from __future__ import annotations

import math
import random
from datetime import date

from kizuna.demo import names, texts
from kizuna.demo.catalog import USERS, users_with
from kizuna.demo.dates import add_months, business_time, jst_midnight_utc
from kizuna.demo.story import Story
from kizuna.models.enums import Phase, Role, Tier

MAX_EMPLOYEES = 30_000
# How much of a CSM's book one account of each tier takes (tier1 needs far more time).
TIER_WEIGHT = {Tier.TIER1: 3.0, Tier.TIER2: 1.5, Tier.TIER3: 1.0}


def draft_stories(rng: random.Random, count: int, months: tuple[date, ...]) -> list[Story]:
    """Company profiles with unique names and domains; subscription start months spread
    over the whole horizon (up to 36 months back, some only weeks ago)."""
    industries = list(names.INDUSTRY_WEIGHTS)
    weights = list(names.INDUSTRY_WEIGHTS.values())
    taken: set[tuple[str, str]] = set()
    stories = []
    for index in range(count):
        industry = rng.choices(industries, weights)[0]
        core, suffix = _unique_name_parts(rng, industry, taken)
        stories.append(_story(rng, index, industry, core, suffix, months))
    return stories


def _unique_name_parts(
    rng: random.Random, industry: str, taken: set[tuple[str, str]]
) -> tuple[names.Part, names.Part]:
    suffixes = names.INDUSTRY_SUFFIXES[industry]
    while True:
        core = rng.choice(names.COMPANY_CORES)
        suffix = names.GENERIC_SUFFIX if rng.random() < 0.08 else rng.choice(suffixes)
        if (core.romaji, suffix.romaji) not in taken:
            taken.add((core.romaji, suffix.romaji))
            return core, suffix


def _story(
    rng: random.Random,
    index: int,
    industry: str,
    core: names.Part,
    suffix: names.Part,
    months: tuple[date, ...],
) -> Story:
    stem = core.text + suffix.text
    name = f"株式会社{stem}" if rng.random() < 0.6 else f"{stem}株式会社"
    region = rng.choices(names.REGIONS, [r.weight for r in names.REGIONS])[0]
    employees = int(10 ** rng.uniform(1.0, math.log10(MAX_EMPLOYEES)))
    start = rng.randrange(len(months))
    lead = rng.randint(1, 3)
    first_talk = add_months(months[start], -lead)
    created = business_time(rng, first_talk, add_months(first_talk, 1))
    return Story(
        index=index,
        external_id=f"ACC-{index + 1:05d}",
        name=name,
        name_kana=core.kana + suffix.kana,
        domain=f"{core.romaji}-{suffix.romaji}.co.jp",
        industry=industry,
        employee_count=employees,
        region=region.name,
        area_code=region.area_code,
        start=start,
        billing_period_months=12 if rng.random() < 0.3 + 0.1 * math.log10(employees) else 1,
        texts=_profile_texts(rng, region.name, employees),
        created_at=created or jst_midnight_utc(months[start]),
    )


def _profile_texts(rng: random.Random, region: str, employees: int) -> dict[str, str]:
    dept, other = rng.sample(texts.DEPARTMENTS, 2)
    fill = {
        "dept": dept,
        "other": other,
        "task": rng.choice(texts.TASKS),
        "region": region,
        "days": rng.randint(2, 6),
        "pct": rng.choice((10, 15, 20, 30, 50)),
        "months": rng.choice((3, 6, 12)),
        "points": rng.choice((5, 10, 15)),
        "seats": max(10, round(employees * rng.uniform(0.1, 0.5), -1)),
        "n": rng.randint(2, 8),
    }
    return {
        "purpose": rng.choice(texts.PURPOSES).format(**fill),
        "challenges": rng.choice(texts.CHALLENGES).format(**fill),
        "criteria": rng.choice(texts.SUCCESS_CRITERIA).format(**fill),
        "expansion": rng.choice(texts.EXPANSION_ROOM).format(**fill),
    }


def assign_tiers(stories: list[Story]) -> None:
    """Tier 1 for the top ~10% by MRR (current, or last before churn), tier 2 the next 30%."""
    ranked = sorted(stories, key=lambda s: (-s.value, s.index))
    tier1 = round(len(ranked) * 0.1)
    tier2 = tier1 + round(len(ranked) * 0.3)
    for rank, story in enumerate(ranked):
        story.tier = Tier.TIER1 if rank < tier1 else Tier.TIER2 if rank < tier2 else Tier.TIER3


def assign_phase(story: Story, current: int) -> None:
    """Onboarding under 3 months into the current tenure, expansion when growing."""
    tenure_start = story.tenure_starts[-1]
    recent = story.engagement[max(0, current - 2) : current + 1]
    if story.is_active(current) and current - tenure_start < 3:
        story.phase = Phase.ONBOARDING
    elif story.is_active(current) and (
        story.seats[current] > story.seats[tenure_start] or sum(recent) / len(recent) >= 0.7
    ):
        story.phase = Phase.EXPANSION
    else:
        story.phase = Phase.ADOPTION


def assign_owners(stories: list[Story]) -> None:
    """CSMs balanced by tier-weighted load relative to capacity; other owners round-robin."""
    capacity = {u.email: u.capacity_accounts or 1 for u in USERS if u.role is Role.CSM}
    load = dict.fromkeys(capacity, 0.0)
    for story in sorted(stories, key=lambda s: (s.tier, s.index)):
        csm = min(capacity, key=lambda e: (load[e] / capacity[e], e))
        load[csm] += TIER_WEIGHT[story.tier]
        story.owners["csm"] = csm
    sales = users_with(Role.CUSTOMER_SALES)
    aes = users_with(Role.SALES)
    support = users_with(Role.SUPPORT)
    for story in stories:
        story.owners["sales"] = sales[story.index % len(sales)]
        story.owners["ae"] = aes[story.index % len(aes)]
        story.owners["support"] = support[story.index % len(support)]
