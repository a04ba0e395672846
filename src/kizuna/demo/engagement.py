"""The hidden engagement of each customer: a mean-reverting random walk over months.

Engagement (0–1) is the latent cause behind every observable outcome in the demo. A
later issue trains a churn model on the observables, so the walk must have structure a
model can find: each account has a baseline, about a quarter drift downwards from their
start (the future churners), some drift upwards (the expanders), and all wobble.
"""

from __future__ import annotations

import random

LOW, HIGH = 0.03, 0.98


def _clamp(value: float) -> float:
    return min(HIGH, max(LOW, value))


def walk(rng: random.Random, months: int, start: int) -> tuple[float, ...]:
    """Monthly engagement for ``months`` months; the trend starts at month ``start``."""
    base = rng.betavariate(2.6, 2.0)
    roll = rng.random()
    if roll < 0.25:
        drift = -rng.uniform(0.008, 0.03)
    elif roll > 0.8:
        drift = rng.uniform(0.004, 0.015)
    else:
        drift = 0.0
    value = _clamp(base + rng.gauss(0.0, 0.08))
    values = []
    for month in range(months):
        target = _clamp(base + drift * max(0, month - start))
        value = _clamp(value + 0.25 * (target - value) + rng.gauss(0.0, 0.05))
        values.append(round(value, 4))
    return tuple(values)


def recent(values: tuple[float, ...], month: int, span: int = 3) -> float:
    """Mean engagement over the ``span`` months before ``month`` (what a renewal sees)."""
    window = values[max(0, month - span) : month] or values[month : month + 1]
    return sum(window) / len(window)
