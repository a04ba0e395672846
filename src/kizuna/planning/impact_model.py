"""CS revenue impact model (seed 003: why the CMO should budget for CS marketing).

The seed's model, year by year. A business wins ``new`` revenue from new customers each
year (its example: $100k, $300k, $800k, …). Without customer success a share of existing
customers renews anyway (the business's "inertia": churn 20 % a year); with a working CS
team churn falls to 10 % and cross-/up-sell adds 15 % a year, a net churn of −5 %.

Formulas (N_t = new revenue of year t, c₀ = churn without CS, c₁ = churn with CS,
e = expansion; R and R′ are total revenue without and with CS, R₀ = R′₀ = 0):

- retained without CS (inertia) K_t = R_{t−1} × (1 − c₀),   R_t = N_t + K_t
- existing with CS X_t = R′_{t−1} × (1 − c₁ + e),            R′_t = N_t + X_t
- added by CS A_t = X_t − K_t (the incremental value of CS over the inertia)
- CS share (the seed's comparison of CS with new sales) = A_t ÷ (A_t + N_t)
- also shown: existing share X_t ÷ R′_t and A_t ÷ R′_t

With zero churn and no expansion the model is the seed's first table: existing customers'
revenue is everything sold in earlier years, and overtakes new sales from year 5 on.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from kizuna.kit.errors import Invalid
from kizuna.planning import inputs
from kizuna.planning.schemas import ImpactModelResult, ImpactYear


def impact_model(
    *,
    new_revenue_amounts: list[int],
    churn_without_cs: Decimal,
    churn_with_cs: Decimal,
    expansion_rate: Decimal,
    currency: str = "USD",
) -> ImpactModelResult:
    """Revenue from new and existing customers per year, with and without CS."""
    inputs.check_all(
        lambda: _years(new_revenue_amounts),
        lambda: inputs.rate("churn_without_cs", churn_without_cs),
        lambda: inputs.rate("churn_with_cs", churn_with_cs),
        lambda: inputs.expansion("expansion_rate", expansion_rate),
    )
    c0, c1, growth = churn_without_cs, churn_with_cs, expansion_rate
    if c1 > c0:
        raise Invalid.field(
            "churn_with_cs", "churn with CS must not be higher than without", inputs.CHURN_ORDER
        )

    years: list[ImpactYear] = []
    with localcontext() as ctx:
        ctx.prec = 60
        without, with_cs = Decimal(0), Decimal(0)
        for year, new in enumerate(new_revenue_amounts, start=1):
            kept = without * (1 - c0)
            existing = with_cs * (1 - c1 + growth)
            added = existing - kept
            without, with_cs = new + kept, new + existing
            # Rounded once each; "added" is their difference so every row adds up exactly.
            kept_amount, existing_amount = inputs.to_minor(kept), inputs.to_minor(existing)
            years.append(
                ImpactYear(
                    year=year,
                    new_amount=new,
                    retained_without_cs_amount=kept_amount,
                    added_by_cs_amount=existing_amount - kept_amount,
                    existing_amount=existing_amount,
                    total_amount=inputs.to_minor(with_cs),
                    total_without_cs_amount=inputs.to_minor(without),
                    existing_share=inputs.ratio_or_none(existing, with_cs),
                    cs_share=inputs.ratio_or_none(added, added + new),
                    cs_share_of_total=inputs.ratio_or_none(added, with_cs),
                )
            )
    return ImpactModelResult(
        currency=currency,
        churn_without_cs=c0,
        churn_with_cs=c1,
        expansion_rate=growth,
        net_churn_with_cs=c1 - growth,
        years=years,
        first_year_existing_exceeds_new=next(
            (y.year for y in years if y.existing_amount > y.new_amount), None
        ),
        total_added_by_cs_amount=sum(y.added_by_cs_amount for y in years),
    )


def _years(amounts: list[int]) -> None:
    if not 1 <= len(amounts) <= 30:
        raise Invalid.field(
            "new_revenue_amounts", "give from 1 to 30 years of new revenue", inputs.YEARS_RANGE
        )
    inputs.check_all(
        *(
            lambda year=year, value=value: inputs.amount(f"new_revenue_amounts.{year}", value)
            for year, value in enumerate(amounts, start=1)
        )
    )
