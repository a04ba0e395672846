"""Inquiry (問い合わせ) timings: first response and resolution, for response-time SLAs."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from kizuna.models.enums import InquiryStatus, Tier

RECENT = timedelta(days=30)
UNANSWERED = timedelta(days=5)


def inquiry_timing(
    rng: random.Random, opened: datetime, tier: Tier, now: datetime
) -> dict[str, Any]:
    """Opened/first-response/resolved instants and the status as seen at ``now``.

    Tier-1 customers get faster first responses; about one in ten waits until the next
    business day. Resolution times are log-normal (median about five hours). A share of
    recent inquiries is still pending, and some from the last days are still unanswered.
    """
    fast = tier is Tier.TIER1
    wait = rng.randint(10, 120) if fast else rng.randint(15, 480)
    if rng.random() < 0.1:
        wait += rng.randint(960, 1800)
    first = opened + timedelta(minutes=wait)
    resolved: datetime | None = first + timedelta(
        minutes=int(rng.lognormvariate(math.log(300), 1.2))
    )
    if now - opened < RECENT and rng.random() < 0.25:
        resolved = None
    if now - opened < UNANSWERED and rng.random() < 0.5:
        first = now  # not answered yet: pushed past 'now' below
    status = InquiryStatus.RESOLVED
    if resolved is None or resolved > now or first >= now:
        resolved = None
        status = InquiryStatus.PENDING if first < now else InquiryStatus.OPEN
    return {
        "inquiry_status": status,
        "opened_at": opened,
        "first_response_at": first if first < now else None,
        "resolved_at": resolved,
    }
