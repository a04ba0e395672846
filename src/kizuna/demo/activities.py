"""Conversation history: the touchpoints of the vendor's staff with each customer.

Volume grows with tier and engagement; engaged customers see more meetings with their
decision makers and upbeat minutes, disengaged ones get reminder e-mails and internal
risk notes. Scheduled touchpoints (pre-sale, kickoff, trainings, QBRs, renewal talks,
churn notices, events) come on top of the routine monthly flow.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime

from kizuna.demo import minutes as m
from kizuna.demo.catalog import USERS, users_with
from kizuna.demo.dates import add_months, business_time, jst_date, jst_midnight_utc
from kizuna.demo.inquiries import inquiry_timing
from kizuna.demo.model import DemoActivity, DemoContact
from kizuna.demo.story import Story
from kizuna.models.enums import ActivityKind, ContactRole, Role, Tier

K = ActivityKind
R = ContactRole
USER_NAMES = {u.email: u.name for u in USERS}
MANAGER = users_with(Role.MANAGER)[0]
MARKETING = users_with(Role.CUSTOMER_MARKETING)[0]
MONTHLY_RATE = {Tier.TIER1: 3.0, Tier.TIER2: 2.1, Tier.TIER3: 1.35}
DURATIONS = {
    K.MEETING: (30, 60, 60, 90),
    K.CALL: (5, 10, 15, 30),
    K.QBR: (60, 90),
    K.TRAINING: (60, 90, 120),
    K.EVENT: (90, 120, 180),
}


@dataclass
class Builder:
    """Creates the activities of one account; ``months`` index the demo calendar."""

    rng: random.Random
    story: Story
    months: tuple[date, ...]
    today: date

    def build(self, window: int, current: int) -> list[DemoActivity]:
        out: list[DemoActivity] = []
        self._pre_sale(out, window)
        for month in range(window, current + 1):
            self._scheduled(out, month)
            if self.story.is_active(month):
                self._routine(out, month)
        return out

    # -- scheduled touchpoints -------------------------------------------------------

    def _pre_sale(self, out: list[DemoActivity], window: int) -> None:
        story = self.story
        if story.start <= window:
            return
        first = max(jst_date(story.created_at), self.months[window])
        moments = [business_time(self.rng, first, self.months[story.start]) for _ in range(4)]
        ordered = sorted(t for t in moments[: self.rng.randint(2, 4)] if t is not None)
        buyers = self._pick([R.DECISION_MAKER], 1) + self._pick([R.CHAMPION, R.ADMIN], 1)
        for topic, moment in zip(m.PRE_SALES, ordered, strict=False):
            self._add(out, K.MEETING, topic, moment, story.owners["ae"], (), buyers, pre=True)

    def _scheduled(self, out: list[DemoActivity], month: int) -> None:
        story, owners = self.story, self.story.owners
        csm, sales = owners["csm"], owners["sales"]
        if month in story.tenure_starts[:1]:
            everyone = self._pick([R.DECISION_MAKER, R.ADMIN, R.CHAMPION], 3)
            self._at(out, month, K.MEETING, m.KICKOFF, csm, (owners["ae"],), everyone)
        if month in story.tenure_starts[1:]:
            self._at(out, month, K.MEETING, m.REACTIVATION, sales, (csm,), self._dm(0.9))
        if story.tenure_starts[0] <= month <= story.tenure_starts[0] + 1:
            learners = self._pick([R.ADMIN, R.USER], self.rng.randint(1, 3))
            self._at(out, month, K.TRAINING, self.rng.choice(m.TRAININGS), csm, (), learners)
        if month + 1 in story.churns:
            self._at(out, month, K.EMAIL, m.CHURN_NOTICE, csm, (), self._dm(1.0))
        if month + 2 in story.renewals and story.is_active(month):
            people = self._dm(0.5 + 0.4 * self._e(month)) + self._pick([R.CHAMPION], 1)
            self._at(out, month, K.MEETING, m.RENEWAL, sales, (csm,), people)
        if story.is_active(month):
            self._qbr(out, month)
            self._event(out, month)

    def _qbr(self, out: list[DemoActivity], month: int) -> None:
        story = self.story
        since = month - max(s for s in story.tenure_starts if s <= month)
        if story.tier is not Tier.TIER1 or since == 0 or since % 3:
            return
        e = self._e(month)
        people = self._dm(0.3 + 0.6 * e) + self._pick([R.CHAMPION], 1)
        if self.rng.random() < e:
            people += self._pick([R.EXECUTIVE_SPONSOR], 1)
        users = (MANAGER, story.owners["sales"])
        self._at(out, month, K.QBR, m.QBR, story.owners["csm"], users, people)

    def _event(self, out: list[DemoActivity], month: int) -> None:
        if self.months[month].month not in (6, 11):
            return
        if self.rng.random() >= 0.15 + 0.5 * self._e(month):
            return
        people = self._pick([R.CHAMPION, R.USER, R.ADMIN], self.rng.randint(1, 2))
        topic = self.rng.choice(m.EVENTS)
        self._at(out, month, K.EVENT, topic, self.story.owners["csm"], (MARKETING,), people)

    # -- the routine monthly flow ----------------------------------------------------

    def _routine(self, out: list[DemoActivity], month: int) -> None:
        e = self._e(month)
        seats = self.story.seats[month]
        weights = {
            K.MEETING: 3 + 2 * e,
            K.CALL: 2.0,
            K.EMAIL: 2.5 + 2 * (1 - e),
            K.INQUIRY: 1 + 0.5 * math.log10(seats),
            K.NOTE: 0.7 + 1.5 * (1 - e),
            K.TRAINING: 0.25,
        }
        lam = MONTHLY_RATE[self.story.tier] * (0.55 + 0.9 * e)
        for _ in range(_poisson(self.rng, lam)):
            kind = self.rng.choices(list(weights), list(weights.values()))[0]
            self._routine_one(out, month, kind, e)

    def _routine_one(self, out: list[DemoActivity], month: int, kind: K, e: float) -> None:
        owners, rng = self.story.owners, self.rng
        tone = e + rng.gauss(0.0, 0.12)
        if kind is K.MEETING:
            pool = (
                m.MEETING_GOOD
                if tone > 0.6
                else m.MEETING_BAD
                if tone < 0.35
                else m.MEETING_NEUTRAL
            )
            people = self._dm(0.1 + 0.7 * e) + self._pick([R.CHAMPION, R.ADMIN], rng.randint(1, 2))
            extra = (owners["sales"],) if rng.random() < 0.3 else ()
            self._at(out, month, kind, rng.choice(pool), owners["csm"], extra, people)
        elif kind is K.INQUIRY:
            asker = self._pick([R.ADMIN, R.USER, R.CHAMPION], 1)
            self._at(out, month, kind, rng.choice(m.INQUIRIES), owners["support"], (), asker)
        elif kind is K.NOTE:
            pool = m.NOTES_GOOD if tone >= 0.5 else m.NOTES_BAD
            self._at(out, month, kind, rng.choice(pool), owners["csm"], (), [])
        elif kind is K.TRAINING:
            learners = self._pick([R.USER, R.ADMIN], rng.randint(1, 3))
            self._at(out, month, kind, rng.choice(m.TRAININGS), owners["csm"], (), learners)
        else:
            author = owners["csm"] if rng.random() < 0.75 else owners["sales"]
            pool = m.CALLS if kind is K.CALL else m.EMAILS
            people = self._pick([R.CHAMPION, R.ADMIN, R.USER], 1) + self._dm(0.05 + 0.3 * e)
            self._at(out, month, kind, rng.choice(pool), author, (), people)

    # -- helpers -----------------------------------------------------------------------

    def _e(self, month: int) -> float:
        return self.story.engagement[month]

    def _pick(self, roles: list[ContactRole], k: int) -> list[DemoContact]:
        """Up to ``k`` distinct contacts holding any of ``roles`` (earlier roles first)."""
        chosen: list[DemoContact] = []
        for role in roles:
            candidates = [c for c in self.story.contacts_with(role) if c not in chosen]
            self.rng.shuffle(candidates)
            chosen += candidates[: k - len(chosen)]
        return chosen

    def _dm(self, chance: float) -> list[DemoContact]:
        """A decision maker, with probability ``chance`` (engaged customers meet them)."""
        return self._pick([R.DECISION_MAKER], 1) if self.rng.random() < chance else []

    def _at(
        self,
        out: list[DemoActivity],
        month: int,
        kind: K,
        topic: m.Topic,
        author: str,
        others: tuple[str, ...],
        people: list[DemoContact],
    ) -> None:
        until = min(add_months(self.months[month], 1), self.today)
        moment = business_time(self.rng, self.months[month], until)
        if moment is not None:
            self._add(out, kind, topic, moment, author, others, people)

    def _add(
        self,
        out: list[DemoActivity],
        kind: K,
        topic: m.Topic,
        moment: datetime,
        author: str,
        others: tuple[str, ...],
        people: list[DemoContact],
        *,
        pre: bool = False,
    ) -> None:
        users = tuple(dict.fromkeys((author, *others)))
        people = list({c.external_id: c for c in people}.values())
        subject, body = self._text(kind, topic, moment, users, people)
        timing = (
            inquiry_timing(self.rng, moment, self.story.tier, self.now) if kind is K.INQUIRY else {}
        )
        duration = self.rng.choice(DURATIONS[kind]) if kind in DURATIONS else None
        out.append(
            DemoActivity(
                external_id="",
                account=self.story.external_id,
                kind=kind,
                subject=subject,
                body=body,
                occurred_at=moment,
                duration_minutes=duration,
                is_pre_sale=pre,
                author=author,
                users=users,
                contacts=tuple(c.external_id for c in people),
                **timing,
            )
        )

    @property
    def now(self) -> datetime:
        """The demo's 'now': the start of ``today`` in Japan (no activity is later)."""
        return jst_midnight_utc(self.today)

    def _text(
        self,
        kind: K,
        topic: m.Topic,
        moment: datetime,
        users: tuple[str, ...],
        people: list[DemoContact],
    ) -> tuple[str, str]:
        local = jst_date(moment)
        fill = {
            "feature": self.rng.choice(m.FEATURES),
            "seats": self.rng.choice((10, 20, 30, 50, 100)),
            "quarter": f"{local.year}年Q{(local.month - 1) // 3 + 1}",
            "year": local.year,
        }
        subject = topic.subject.format(**fill)
        detail, next_action = topic.detail.format(**fill), topic.next_action.format(**fill)
        if kind is K.INQUIRY:
            return subject, f"【お問い合わせ内容】\n{detail}\n\n【対応】\n{next_action}"
        if kind in (K.EMAIL, K.NOTE):
            return subject, f"{detail}\n\n→ {next_action}"
        body = m.BODY_FORMAT.format(
            company=self.story.name,
            contacts="、".join(f"{c.name}様" for c in people) or "-",
            users="、".join(USER_NAMES[u] for u in users),
            detail=detail,
            next_action=next_action,
        )
        return subject, body


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; fine for the small rates used here."""
    limit, k, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def build_activities(
    rng: random.Random, story: Story, months: tuple[date, ...], today: date, window: int
) -> list[DemoActivity]:
    current = len(months) - 1
    return Builder(rng, story, months, today).build(window, current)
