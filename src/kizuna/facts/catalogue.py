"""Every fact a condition may name, and loading the facts a set of conditions needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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
    Column,
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


@dataclass
class FactsCache:
    """Columns loaded once and reused by later loads of the same unit of work: the daily
    journey evaluation and the playbook evaluation right after it read the same signals,
    activities, contacts… (a second ``load_facts`` of those was a second or more on 10 k
    accounts). Valid for one day and one set of accounts; whoever then writes state that a
    fact reads drops it (``drop``), and the next load reads it again."""

    today: date | None = None
    account_ids: list[str] = field(default_factory=list)
    specs: dict[str, FactSpec] | None = None
    columns: dict[str, Column] = field(default_factory=dict)
    # Keys a later load will ask for: a provider that runs anyway loads them too (one pass
    # over the signals instead of two, when the journey and the playbooks read different
    # ones).
    ahead: set[str] = field(default_factory=set)

    def drop(self, *prefixes: str) -> None:
        """Forget the columns whose keys start with any of ``prefixes``."""
        for key in [k for k in self.columns if k.startswith(prefixes)]:
            del self.columns[key]


def fact_specs(session: Session, cache: FactsCache | None = None) -> dict[str, FactSpec]:
    """Every available fact by key, in catalogue order (providers, then their order)."""
    if cache is not None and cache.specs is not None:
        return cache.specs
    specs = {spec.key: spec for p in PROVIDERS for spec in p.specs(session)}
    if cache is not None:
        cache.specs = specs
    return specs


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
    cache: FactsCache | None = None,
) -> Facts:
    """The facts ``keys`` for every account (rows ordered by account id).

    Only the providers of the keys asked for run; a provider computes all its keys asked
    for in one pass. ``Invalid`` names an unknown key. With ``cache``, columns it holds
    (for the same day and accounts) are reused and the ones loaded are added to it.
    """
    specs = specs if specs is not None else fact_specs(session, cache)
    wanted = set(keys)
    unknown = sorted(wanted - set(specs))
    if unknown:
        raise Invalid(
            [FieldProblem(("fact",), "unknown_fact", f"unknown fact {k!r}") for k in unknown]
        )
    ids = [str(i) for i in session.scalars(select(Account.id).order_by(Account.id))]
    if cache is not None and (cache.today != today or cache.account_ids != ids):
        cache.today, cache.account_ids, cache.columns = today, ids, {}
    known = cache.columns if cache is not None else {}
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
        if not mine:
            continue
        missing = {k for k in mine if k not in known}
        if missing and cache is not None:
            missing |= {
                k for k in cache.ahead if k in specs and k not in known and _provider(k) is provider
            }
        if missing:
            columns = provider.load(session, missing, ctx)
            loaded = {k: v for k, v in columns.items() if k in missing}
            if cache is not None:
                cache.columns.update(loaded)
            facts.columns.update(loaded)
        facts.columns.update({k: known[k] for k in mine - missing})
    return facts
