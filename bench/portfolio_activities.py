"""The activity stream of the benchmark: ~1 M touchpoints over three years.

Volume per account is skewed (``portfolio_data.activity_weights``): most accounts have
tens to a few hundred activities, the busiest several thousand. Rows are produced in
chronological order across all accounts, as a live system writes them, so one account's
activities are scattered over the table rather than stored together. Meetings, QBRs,
trainings, events and half the calls have participants (staff and customer contacts).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from kizuna.demo import minutes
from kizuna.demo.dates import JST
from kizuna.kit.ids import uuid7
from kizuna.models.enums import ActivityKind, InquiryStatus, Role
from portfolio_data import HISTORY_DAYS, AccountPlan, Row, Staff, stamps

K = ActivityKind
KIND_WEIGHTS: dict[ActivityKind, int] = {
    K.EMAIL: 30, K.CALL: 15, K.MEETING: 18, K.INQUIRY: 12, K.NOTE: 16,
    K.QBR: 3, K.TRAINING: 3, K.EVENT: 3,
}  # fmt: skip
TOPICS: dict[ActivityKind, tuple[minutes.Topic, ...]] = {
    K.MEETING: (*minutes.MEETING_GOOD, *minutes.MEETING_NEUTRAL, *minutes.MEETING_BAD,
                *minutes.PRE_SALES, minutes.KICKOFF, minutes.RENEWAL),
    K.CALL: minutes.CALLS,
    K.EMAIL: minutes.EMAILS,
    K.INQUIRY: minutes.INQUIRIES,
    K.NOTE: (*minutes.NOTES_GOOD, *minutes.NOTES_BAD),
    K.QBR: (minutes.QBR,),
    K.TRAINING: minutes.TRAININGS,
    K.EVENT: minutes.EVENTS,
}  # fmt: skip
DURATIONS: dict[ActivityKind, tuple[int, ...]] = {
    K.MEETING: (30, 60, 60, 90), K.CALL: (5, 10, 15, 30), K.QBR: (60, 90),
    K.TRAINING: (60, 90, 120), K.EVENT: (90, 120, 180),
}  # fmt: skip
ALWAYS_WITH_PARTICIPANTS = frozenset({K.MEETING, K.QBR, K.TRAINING, K.EVENT})
POOL_SIZE = 40
BUSINESS_MINUTES = (9 * 60, 18 * 60)


@dataclass
class ActivityChunk:
    activities: list[Row] = field(default_factory=list)
    users: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)


def schedule(rng: random.Random, plans: list[AccountPlan], now: datetime) -> list[tuple[int, int]]:
    """``(unix time, account index)`` of every activity, in time order (weekday-agnostic
    business hours, JST), within three years and not long before the account existed."""
    horizon = (now - timedelta(days=HISTORY_DAYS)).astimezone(JST).date()
    today = now.astimezone(JST).date()
    items: list[tuple[int, int]] = []
    low, high = BUSINESS_MINUTES
    for index, plan in enumerate(plans):
        first = max(horizon, (plan.created_at - timedelta(days=60)).astimezone(JST).date())
        base = int(datetime.combine(first, time(0), JST).timestamp())
        days = max(1, (today - first).days)
        for _ in range(plan.activity_count):
            items.append((base + rng.randrange(days) * 86400 + rng.randrange(low, high) * 60,
                          index))  # fmt: skip
    items.sort()
    return items


class ActivityStream:
    """Turns the schedule into activity rows and participant links, chunk by chunk."""

    def __init__(self, rng: random.Random, plans: list[AccountPlan], staff: Staff) -> None:
        self.rng = rng
        self.plans = plans
        self.staff = staff
        self.kinds = list(KIND_WEIGHTS)
        self.cum_weights = _cumulative(list(KIND_WEIGHTS.values()))
        self.pools = {kind: self._pool(kind) for kind in self.kinds}
        self.support = staff.by_role[Role.SUPPORT]
        self.others = [
            *staff.by_role[Role.CUSTOMER_SALES], *staff.by_role[Role.SALES],
            *staff.by_role[Role.CUSTOMER_MARKETING], *staff.by_role[Role.CSM],
        ]  # fmt: skip

    def chunks(self, items: list[tuple[int, int]], size: int) -> Iterator[ActivityChunk]:
        chunk = ActivityChunk()
        for moment, index in items:
            self._add(chunk, self.plans[index], datetime.fromtimestamp(moment, UTC))
            if len(chunk.activities) >= size:
                yield chunk
                chunk = ActivityChunk()
        if chunk.activities:
            yield chunk

    def _pool(self, kind: ActivityKind) -> list[tuple[str, str, str]]:
        """Subjects and minutes with their placeholders filled, ``POOL_SIZE`` per kind."""
        rng = self.rng
        pool = []
        for _ in range(POOL_SIZE):
            topic = rng.choice(TOPICS[kind])
            fill = {
                "feature": rng.choice(minutes.FEATURES), "seats": rng.choice((10, 30, 50, 100)),
                "quarter": f"{rng.choice((2024, 2025, 2026))}年Q{rng.randint(1, 4)}",
                "year": rng.choice((2024, 2025, 2026)),
            }  # fmt: skip
            pool.append((topic.subject.format(**fill), topic.detail.format(**fill),
                         topic.next_action.format(**fill)))  # fmt: skip
        return pool

    def _add(self, chunk: ActivityChunk, plan: AccountPlan, occurred: datetime) -> None:
        rng = self.rng
        kind = rng.choices(self.kinds, cum_weights=self.cum_weights)[0]
        author = self._author(plan, kind)
        subject, detail, next_action = rng.choice(self.pools[kind])
        activity_id = uuid7()
        users, contacts = self._participants(plan, kind, author)
        chunk.users.extend({"activity_id": activity_id, "user_id": u} for u in users)
        chunk.contacts.extend({"activity_id": activity_id, "contact_id": c} for c in contacts)
        durations = DURATIONS.get(kind)
        chunk.activities.append({
            "id": activity_id, "external_id": None, "account_id": plan.id, "kind": kind,
            "subject": subject, "body": self._body(plan, detail, next_action, users, contacts),
            "occurred_at": occurred,
            "duration_minutes": rng.choice(durations) if durations else None,
            "is_pre_sale": occurred.date() < plan.start_on, "author_id": author,
            **self._inquiry(kind, occurred),
            **stamps(occurred + timedelta(minutes=rng.randrange(5, 240))),
        })  # fmt: skip

    def _author(self, plan: AccountPlan, kind: ActivityKind) -> uuid.UUID:
        rng = self.rng
        if kind is K.INQUIRY:
            return rng.choice(self.support)
        if plan.csm_id is not None and rng.random() < 0.7:
            return plan.csm_id
        return rng.choice(self.others)

    def _participants(
        self, plan: AccountPlan, kind: ActivityKind, author: uuid.UUID
    ) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        rng = self.rng
        if kind not in ALWAYS_WITH_PARTICIPANTS and not (kind is K.CALL and rng.random() < 0.5):
            return [], []
        users = [author]
        if rng.random() < 0.4:
            colleague = rng.choice(self.others)
            if colleague != author:
                users.append(colleague)
        contacts = rng.sample(plan.contact_ids, min(len(plan.contact_ids), rng.randint(1, 2)))
        return users, contacts

    def _body(
        self, plan: AccountPlan, detail: str, next_action: str,
        users: list[uuid.UUID], contacts: list[uuid.UUID],
    ) -> str:  # fmt: skip
        if not users:
            return f"{detail}\n\n■ネクストアクション\n{next_action}"
        names = dict(zip(plan.contact_ids, plan.contact_names, strict=True))
        return minutes.BODY_FORMAT.format(
            company=plan.name,
            contacts="、".join(names[c] for c in contacts),
            users="、".join(self.staff.names[u] for u in users),
            detail=detail,
            next_action=next_action,
        )

    def _inquiry(self, kind: ActivityKind, occurred: datetime) -> Row:
        if kind is not K.INQUIRY:
            return {"inquiry_status": None, "opened_at": None, "first_response_at": None,
                    "resolved_at": None}  # fmt: skip
        rng = self.rng
        status = rng.choices(list(InquiryStatus), (10, 5, 85))[0]
        first = occurred + timedelta(minutes=rng.randrange(5, 8 * 60))
        resolved = first + timedelta(hours=rng.randrange(1, 96))
        return {
            "inquiry_status": status, "opened_at": occurred,
            "first_response_at": None if status is InquiryStatus.OPEN else first,
            "resolved_at": resolved if status is InquiryStatus.RESOLVED else None,
        }  # fmt: skip


def _cumulative(weights: list[int]) -> list[int]:
    total, out = 0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out
