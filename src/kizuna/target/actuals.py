"""What was achieved in a period, per person: the three measures targets are set on.

- **created amount** (商談創出金額): opportunities *created* in the period
  (``created_at``), credited to ``created_by_id`` (the CSM who passed the lead for CS
  opportunities);
- **won amount** (受注金額): opportunities *won* in the period (stage ``won``,
  ``won_at``), credited to ``created_by_id`` as well — the check that what one creates
  also closes;
- **lead count** (アップセルリードのパス数): leads *passed* in the period (``passed_at``),
  credited to ``passed_by_id``, whatever happened to them later (the same count as the
  leads page and the CSM KPI view; the won amount is the check on empty passes). Leads
  are a CS thing, so they count towards the ``cs`` lead source only.

Amounts are monthly recurring amounts in minor units, converted into the reporting
currency with the rate valid on the local day of the event (``MissingRate`` when there is
none, as everywhere else). Period bounds are local days in the company's time zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.kit.money import minor_digits
from kizuna.models.enums import LeadSource
from kizuna.models.pipeline import Lead, Opportunity, OpportunityStage
from kizuna.revenue.rates_table import RateTable
from kizuna.revenue.repository import load_rates
from kizuna.task.periods import local_day, utc_bounds


@dataclass
class Tally:
    created_amount: int = 0
    won_amount: int = 0
    lead_count: int = 0

    def add(self, other: Tally) -> None:
        self.created_amount += other.created_amount
        self.won_amount += other.won_amount
        self.lead_count += other.lead_count


@dataclass
class Actuals:
    """Measures per credited person (``None``: nobody is credited) and per lead source."""

    by_user: dict[uuid.UUID | None, Tally] = field(default_factory=dict)
    by_source: dict[LeadSource, Tally] = field(default_factory=dict)

    def of(self, user_id: uuid.UUID | None) -> Tally:
        return self.by_user.setdefault(user_id, Tally())

    def total(self) -> Tally:
        out = Tally()
        for tally in self.by_user.values():
            out.add(tally)
        return out

    def sum_of(self, user_ids: Iterable[uuid.UUID]) -> Tally:
        out = Tally()
        for user_id in user_ids:
            if user_id in self.by_user:
                out.add(self.by_user[user_id])
        return out


class _Converter:
    """Amounts into the reporting currency (rates loaded on first foreign amount)."""

    def __init__(self, session: Session, reporting: str, zone: str) -> None:
        self.session, self.reporting, self.zone = session, reporting, zone
        self.rates: RateTable | None = None

    def __call__(self, amount: int, currency: str, at: datetime) -> int:
        if currency == self.reporting:
            return amount
        if self.rates is None:
            self.rates = load_rates(self.session)
        rate = self.rates.rate_on(currency, local_day(at, self.zone), self.reporting)
        shift = Decimal(10) ** (minor_digits(self.reporting) - minor_digits(currency))
        value = Decimal(amount) * rate * shift
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def measure(
    session: Session,
    first: date,
    last: date,
    *,
    zone: str,
    reporting: str,
    lead_source: LeadSource | None = None,
) -> Actuals:
    """Created / won amount and lead count per person for local days ``first``…``last``;
    ``lead_source`` None measures every source."""
    start, end = utc_bounds(first, last, zone)
    convert = _Converter(session, reporting, zone)
    out = Actuals()
    out.by_source = {source: Tally() for source in LeadSource}
    columns = (Opportunity.created_by_id, Opportunity.lead_source, Opportunity.amount)
    created = select(*columns, Opportunity.currency, Opportunity.created_at).where(
        Opportunity.created_at >= start, Opportunity.created_at < end
    )
    won = select(*columns, Opportunity.currency, Opportunity.won_at).where(
        Opportunity.stage == OpportunityStage.WON,
        Opportunity.won_at >= start,
        Opportunity.won_at < end,
    )
    if lead_source is not None:
        created = created.where(Opportunity.lead_source == lead_source)
        won = won.where(Opportunity.lead_source == lead_source)
    for user_id, source, amount, currency, at in session.execute(created):
        value = convert(int(amount), currency, at)
        out.of(user_id).created_amount += value
        out.by_source[source].created_amount += value
    for user_id, source, amount, currency, won_at in session.execute(won):
        if won_at is not None:
            value = convert(int(amount), currency, won_at)
            out.of(user_id).won_amount += value
            out.by_source[source].won_amount += value
    if lead_source in (None, LeadSource.CS):
        leads = select(Lead.passed_by_id).where(Lead.passed_at >= start, Lead.passed_at < end)
        for (user_id,) in session.execute(leads):
            out.of(user_id).lead_count += 1
            out.by_source[LeadSource.CS].lead_count += 1
    return out
