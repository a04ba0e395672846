"""Every fact a condition may name, and loading the facts a set of conditions needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.facts.frame import Facts, FactSpec
from kizuna.facts.journey import JourneyFacts
from kizuna.facts.providers import (
    AccountFacts,
    ActivityFacts,
    ContactFacts,
    HealthFacts,
    LoadContext,
    ProductFacts,
    Provider,
    SignalFacts,
    TagFacts,
)
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.account import Account

PROVIDERS: list[Provider] = [
    AccountFacts(),
    TagFacts(),
    HealthFacts(),
    SignalFacts(),
    ActivityFacts(),
    ContactFacts(),
    ProductFacts(),
    JourneyFacts(),
]


def fact_specs(session: Session) -> dict[str, FactSpec]:
    """Every available fact by key, in catalogue order (providers, then their order)."""
    return {spec.key: spec for p in PROVIDERS for spec in p.specs(session)}


def _provider(key: str) -> Provider:
    for provider in PROVIDERS:
        if key == provider.prefix or (
            provider.prefix.endswith(".") and key.startswith(provider.prefix)
        ):
            return provider
    raise KeyError(key)


def load_facts(
    session: Session,
    keys: Iterable[str],
    *,
    today: date,
    zone: str,
    data_dir: Path,
    specs: dict[str, FactSpec] | None = None,
) -> Facts:
    """The facts ``keys`` for every account (rows ordered by account id).

    Only the providers of the keys asked for run; a provider computes all its keys asked
    for in one pass. ``Invalid`` names an unknown key.
    """
    specs = specs if specs is not None else fact_specs(session)
    wanted = set(keys)
    unknown = sorted(wanted - set(specs))
    if unknown:
        raise Invalid(
            [FieldProblem(("fact",), "unknown_fact", f"unknown fact {k!r}") for k in unknown]
        )
    ids = [str(i) for i in session.scalars(select(Account.id).order_by(Account.id))]
    ctx = LoadContext(
        account_ids=ids,
        index={key: n for n, i in enumerate(ids) for key in (i, i.replace("-", ""))},
        today=today,
        zone=zone,
        data_dir=data_dir,
    )
    facts = Facts(account_ids=np.array(ids, dtype=object), today=today, specs=specs)
    by_provider: dict[int, set[str]] = {}
    for key in wanted:
        by_provider.setdefault(id(_provider(key)), set()).add(key)
    for provider in PROVIDERS:
        mine = by_provider.get(id(provider))
        if mine:
            columns = provider.load(session, mine, ctx)
            facts.columns.update({k: v for k, v in columns.items() if k in mine})
    return facts
