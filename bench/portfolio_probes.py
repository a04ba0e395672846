"""What the benchmark requests: Portfolio variants and Account 360 pages.

Portfolio requests cycle through what people actually do on the page (default sort,
renewal sort, deep paging, search, filters alone and combined). Account 360 requests
go to random accounts, a quarter of them to the ten accounts with the most activities.
"""

from __future__ import annotations

import random

from benchkit.timing import Probe
from portfolio_build import BuiltData

PORTFOLIO = "Portfolio"
ACCOUNT_360 = "Account 360"
HEAVY_SHARE = 0.25
RANDOM, HEAVIEST = "random", "heaviest 10"


def portfolio_variants(data: BuiltData) -> list[tuple[str, dict[str, str]]]:
    csm, other_csm = str(data.csm_ids[0]), str(data.csm_ids[1])
    return [
        ("default (-mrr, page 1)", {}),
        ("sort=renewal", {"sort": "renewal"}),
        ("sort=name, page 50", {"sort": "name", "page": "50"}),
        ("q=name fragment", {"q": "さくら"}),
        ("q=domain fragment", {"q": "tech"}),
        ("tier=tier1", {"tier": "tier1"}),
        ("owner_id=CSM", {"owner_id": csm}),
        ("industry", {"industry": "製造業"}),
        ("phase", {"phase": "expansion"}),
        ("tier+phase+owner, renewal",
         {"tier": "tier2", "phase": "adoption", "owner_id": other_csm, "sort": "renewal"}),
        ("region+paying, -employees",
         {"region": "大阪府", "active_only": "true", "sort": "-employee_count"}),
    ]  # fmt: skip


def variant_order(data: BuiltData) -> list[str]:
    """Variant names in the order the report lists them."""
    return [name for name, _ in portfolio_variants(data)] + [HEAVIEST, RANDOM]


def portfolio_probes(data: BuiltData, count: int) -> list[Probe]:
    variants = portfolio_variants(data)
    return [
        Probe(PORTFOLIO, name, "/portfolio", params)
        for name, params in (variants[i % len(variants)] for i in range(count))
    ]


def account_probes(data: BuiltData, count: int, rng: random.Random) -> list[Probe]:
    heavy = [account_id for account_id, _ in data.heaviest]
    probes = []
    for i in range(count):
        if i < count * HEAVY_SHARE:
            probes.append(Probe(ACCOUNT_360, HEAVIEST, f"/accounts/{heavy[i % len(heavy)]}"))
        else:
            probes.append(Probe(ACCOUNT_360, RANDOM, f"/accounts/{rng.choice(data.account_ids)}"))
    return probes


def warmup_probes(data: BuiltData, rng: random.Random) -> list[Probe]:
    """Every Portfolio variant twice, and 20 Account 360 pages."""
    count = 2 * len(portfolio_variants(data))
    return [*portfolio_probes(data, count), *account_probes(data, 20, rng)]


def measured_probes(data: BuiltData, requests: int, rng: random.Random) -> list[Probe]:
    """``requests`` of each page, interleaved in a fixed pseudo-random order."""
    probes = [*portfolio_probes(data, requests), *account_probes(data, requests, rng)]
    rng.shuffle(probes)
    return probes
