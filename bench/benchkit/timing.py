"""Sequential HTTP timing (one client, one request at a time) and latency summaries."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import httpx


@dataclass(frozen=True)
class Probe:
    """One GET to time: which page, which variant of it, and the request itself."""

    page: str
    variant: str
    path: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """Latency in milliseconds over ``count`` requests."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of sorted values, linearly interpolated."""
    if not ordered:
        raise ValueError("no samples")
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples_ms: Sequence[float]) -> Summary:
    ordered = sorted(samples_ms)
    return Summary(
        count=len(ordered),
        p50=percentile(ordered, 50),
        p95=percentile(ordered, 95),
        p99=percentile(ordered, 99),
        max=ordered[-1],
        mean=sum(ordered) / len(ordered),
    )


def timed_get(client: httpx.Client, probe: Probe) -> float:
    """Milliseconds from sending the request to having read the whole body."""
    start = time.perf_counter()
    response = client.get(probe.path, params=probe.params)
    _ = response.content
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{probe.path} {probe.params}: HTTP {response.status_code}")
    return elapsed


def run_probes(
    client: httpx.Client, probes: Sequence[Probe], advance: Callable[[], None]
) -> list[tuple[Probe, float]]:
    """Time every probe in order; ``advance`` is called after each (progress bar)."""
    results = []
    for probe in probes:
        results.append((probe, timed_get(client, probe)))
        advance()
    return results
