"""Synthetic customer data for the Portfolio / Account 360 benchmark: rows as plain dicts.

Realistic rather than random noise: Japanese company and person names from
``kizuna.demo.names``, tiers, phases, industries and regions in plausible shares, owners
among ~30 staff, contacts with buying-group roles, contract lines from an 8-product
catalogue (most active, some ended) and survey answers. The activity stream lives in
``portfolio_activities``. Everything is drawn from one seeded ``random.Random``.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kizuna.demo import catalog, names, texts
from kizuna.demo.dates import JST
from kizuna.kit.ids import uuid7
from kizuna.models.enums import ContactRole, Influence, Phase, Role, SurveyKind, TeamKind, Tier
from kizuna.subscription.terms import add_months

Row = dict[str, Any]
EMAIL_DOMAIN = "bench.kizuna.jp"
HISTORY_DAYS = 3 * 365

# ~30 staff: (role, head count, team).
ROSTER: tuple[tuple[Role, int, TeamKind], ...] = (
    (Role.MANAGER, 2, TeamKind.MANAGEMENT),
    (Role.ADMIN, 1, TeamKind.CS_OPS),
    (Role.CSM, 12, TeamKind.CSM),
    (Role.SUPPORT, 4, TeamKind.SUPPORT),
    (Role.CUSTOMER_SALES, 4, TeamKind.CUSTOMER_SALES),
    (Role.SALES, 4, TeamKind.SALES),
    (Role.CUSTOMER_MARKETING, 2, TeamKind.CUSTOMER_MARKETING),
    (Role.READ_ONLY, 1, TeamKind.MANAGEMENT),
)
TEAM_NAMES = {team.kind: team.name for team in catalog.TEAMS}

# The catalogue: 3 base plans, 4 options/add-ons, 1 service.
PRODUCTS = tuple(p for p in catalog.PRODUCTS if p.code != catalog.OPT_WORKFLOW)
PRICES = {p.code: p.list_price_amount for p in PRODUCTS}
SEAT_PRICED = frozenset(p.code for p in PRODUCTS if p.unit.value == "seat")
PLAN_BY_TIER: dict[Tier, tuple[tuple[str, ...], tuple[int, ...]]] = {
    Tier.TIER1: ((catalog.PLAN_ENTERPRISE, catalog.PLAN_STANDARD), (7, 3)),
    Tier.TIER2: ((catalog.PLAN_STARTER, catalog.PLAN_STANDARD, catalog.PLAN_ENTERPRISE), (2, 7, 1)),
    Tier.TIER3: ((catalog.PLAN_STARTER, catalog.PLAN_STANDARD), (6, 4)),
}
CHEAPER = {
    catalog.PLAN_ENTERPRISE: catalog.PLAN_STANDARD,
    catalog.PLAN_STANDARD: catalog.PLAN_STARTER,
    catalog.PLAN_STARTER: catalog.PLAN_STARTER,
}
OPTIONS = (catalog.OPT_ANALYTICS, catalog.OPT_API, catalog.OPT_SSO, catalog.ADD_STORAGE)
EMPLOYEE_LOG_RANGE = {Tier.TIER1: (3.0, 4.5), Tier.TIER2: (2.3, 3.6), Tier.TIER3: (1.0, 2.7)}
USD_SHARE = 0.03
JPY_PER_USD_CENT = 1.5


@dataclass
class AccountPlan:
    """What later stages need to know about one generated account."""

    id: uuid.UUID
    index: int
    name: str
    tier: Tier
    currency: str
    employees: int
    csm_id: uuid.UUID | None
    created_at: datetime
    start_on: date
    churned: bool
    contact_ids: list[uuid.UUID] = field(default_factory=list)
    contact_names: list[str] = field(default_factory=list)
    activity_count: int = 0


@dataclass
class Staff:
    """Generated users, by role, with their display names."""

    by_role: dict[Role, list[uuid.UUID]] = field(default_factory=dict)
    names: dict[uuid.UUID, str] = field(default_factory=dict)
    emails: dict[uuid.UUID, str] = field(default_factory=dict)


def stamps(moment: datetime) -> Row:
    return {"created_at": moment, "updated_at": moment, "custom_fields": {}}


def business_moment(rng: random.Random, day: date) -> datetime:
    """A moment between 9:00 and 18:00 JST on ``day``, as aware UTC."""
    minute = rng.randrange(9 * 60, 18 * 60)
    return datetime.combine(day, time(minute // 60, minute % 60), JST).astimezone(UTC)


class CustomerData:
    """Generates the rows of every table but activities, remembering what links them."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.now = datetime.now(UTC)
        self.staff = Staff()
        self.team_ids: dict[TeamKind, uuid.UUID] = {}
        self.product_ids: dict[str, uuid.UUID] = {}
        self.plans: list[AccountPlan] = []
        self._domains: set[str] = set()

    # -- vendor side -------------------------------------------------------------------

    def teams(self) -> list[Row]:
        kinds = sorted({team for _, _, team in ROSTER})
        rows = []
        for kind in kinds:
            self.team_ids[kind] = uuid7()
            rows.append(
                {
                    "id": self.team_ids[kind],
                    "name": TEAM_NAMES[kind],
                    "kind": kind,
                    "description": "",
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        return rows

    def users(self, password_hash: str) -> list[Row]:
        people = self.rng.sample(
            [(s, g) for s in names.SURNAMES for g in names.GIVEN_NAMES],
            sum(count for _, count, _ in ROSTER),
        )
        rows = []
        for role, count, team in ROSTER:
            for number in range(1, count + 1):
                surname, given = people.pop()
                user_id = uuid7()
                email = f"{role.value.replace('_', '-')}{number}@{EMAIL_DOMAIN}"
                self.staff.by_role.setdefault(role, []).append(user_id)
                self.staff.names[user_id] = f"{surname.text} {given.text}"
                self.staff.emails[user_id] = email
                rows.append({
                    "id": user_id, "email": email, "name": self.staff.names[user_id],
                    "password_hash": password_hash, "role": role,
                    "team_id": self.team_ids[team], "locale": "ja", "timezone": "Asia/Tokyo",
                    "capacity_accounts": 900 if role is Role.CSM else None,
                    "created_at": self.now, "updated_at": self.now,
                })  # fmt: skip
        return rows

    def products(self) -> list[Row]:
        rows = []
        for p in PRODUCTS:
            self.product_ids[p.code] = uuid7()
            rows.append({
                "id": self.product_ids[p.code], "code": p.code, "name": p.name,
                "name_en": p.name_en, "kind": p.kind, "unit": p.unit,
                "list_price_amount": p.list_price_amount, "currency": "JPY",
                "description": p.description, "is_active": True, **stamps(self.now),
            })  # fmt: skip
        return rows

    # -- accounts ----------------------------------------------------------------------

    def accounts(self, count: int) -> list[Row]:
        industries = list(names.INDUSTRY_WEIGHTS)
        weights = list(names.INDUSTRY_WEIGHTS.values())
        return [
            self._account(index, self.rng.choices(industries, weights)[0]) for index in range(count)
        ]

    def _account(self, index: int, industry: str) -> Row:
        rng = self.rng
        tier = rng.choices(list(Tier), (10, 30, 60))[0]
        low, high = EMPLOYEE_LOG_RANGE[tier]
        employees = int(10 ** rng.uniform(low, high))
        start_on = self.today - timedelta(days=rng.randrange(7, HISTORY_DAYS))
        created_at = business_moment(rng, start_on - timedelta(days=rng.randrange(30, 120)))
        name, kana, domain = self._company(industry)
        region = rng.choices(names.REGIONS, [r.weight for r in names.REGIONS])[0]
        csms = self.staff.by_role[Role.CSM]
        plan = AccountPlan(
            id=uuid7(), index=index, name=name, tier=tier,
            currency="USD" if rng.random() < USD_SHARE else "JPY", employees=employees,
            csm_id=None if rng.random() < 0.04 else rng.choice(csms),
            created_at=created_at, start_on=start_on, churned=rng.random() < 0.07,
        )  # fmt: skip
        self.plans.append(plan)
        return {
            "id": plan.id, "external_id": f"ACC-{index + 1:06d}", "name": name,
            "name_kana": kana, "domain": domain, "industry": industry,
            "employee_count": employees, "region": region.name, "currency": plan.currency,
            "tier": tier, "phase": self._phase(plan), **self._profile(region.name, employees),
            "notes": "", "csm_owner_id": plan.csm_id,
            "sales_owner_id": rng.choice(self.staff.by_role[Role.CUSTOMER_SALES]),
            "ae_owner_id": rng.choice(self.staff.by_role[Role.SALES]),
            "support_owner_id": rng.choice(self.staff.by_role[Role.SUPPORT]),
            **stamps(created_at),
        }  # fmt: skip

    def _company(self, industry: str) -> tuple[str, str, str]:
        """A unique company: display name, katakana reading and domain."""
        rng = self.rng
        while True:
            core = rng.choice(names.COMPANY_CORES)
            suffix = (
                names.GENERIC_SUFFIX
                if rng.random() < 0.08
                else rng.choice(names.INDUSTRY_SUFFIXES[industry])
            )
            parts = [core] if rng.random() < 0.3 else [rng.choice(names.COMPANY_CORES), core]
            domain = f"{''.join(names.romaji_of(p) for p in parts)}-{suffix.romaji}.co.jp"
            if domain not in self._domains:
                break
        self._domains.add(domain)
        stem = "".join(p.text for p in parts) + suffix.text
        name = f"株式会社{stem}" if rng.random() < 0.6 else f"{stem}株式会社"
        return name, "".join(p.kana for p in parts) + suffix.kana, domain

    def _phase(self, plan: AccountPlan) -> Phase:
        if (self.today - plan.start_on).days < 90:
            return Phase.ONBOARDING
        return Phase.EXPANSION if self.rng.random() < 0.3 else Phase.ADOPTION

    def _profile(self, region: str, employees: int) -> Row:
        rng = self.rng
        dept, other = rng.sample(texts.DEPARTMENTS, 2)
        fill = {
            "dept": dept, "other": other, "task": rng.choice(texts.TASKS), "region": region,
            "days": rng.randint(2, 6), "pct": rng.choice((10, 15, 20, 30, 50)),
            "months": rng.choice((3, 6, 12)), "points": rng.choice((5, 10, 15)),
            "seats": max(10, round(employees * rng.uniform(0.1, 0.5), -1)),
            "n": rng.randint(2, 8),
        }  # fmt: skip
        return {
            "purpose_of_adoption": rng.choice(texts.PURPOSES).format(**fill),
            "business_challenges": rng.choice(texts.CHALLENGES).format(**fill),
            "success_criteria": rng.choice(texts.SUCCESS_CRITERIA).format(**fill),
            "expansion_room": rng.choice(texts.EXPANSION_ROOM).format(**fill),
        }

    # -- contacts ----------------------------------------------------------------------

    def contacts(self) -> tuple[list[Row], list[Row]]:
        """~3 contacts per account and their role links."""
        contacts: list[Row] = []
        roles: list[Row] = []
        for plan in self.plans:
            count = self.rng.choices((1, 2, 3, 4, 5), (10, 25, 35, 20, 10))[0]
            for position in range(count):
                row, held = self._contact(plan, position)
                contacts.append(row)
                roles.extend({"contact_id": row["id"], "role": role} for role in held)
        return contacts, roles

    def _contact(self, plan: AccountPlan, position: int) -> tuple[Row, list[ContactRole]]:
        rng = self.rng
        held = self._roles(position)
        titles, departments = texts.ROLE_PROFILES[held[0]]
        surname, given = rng.choice(names.SURNAMES), rng.choice(names.GIVEN_NAMES)
        contact_id = uuid7()
        name = f"{surname.text} {given.text}"
        plan.contact_ids.append(contact_id)
        plan.contact_names.append(name)
        local = f"{names.romaji_of(given)}.{names.romaji_of(surname)}{position or ''}"
        domain = f"example-{plan.index}.co.jp"
        row = {
            "id": contact_id, "external_id": None, "account_id": plan.id, "name": name,
            "name_kana": f"{surname.kana} {given.kana}", "email": f"{local}@{domain}",
            "phone": f"03-{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}",
            "title": rng.choice(titles), "department": rng.choice(departments),
            "influence": rng.choice(list(Influence)), "is_primary": position == 0,
            "is_active": rng.random() < 0.93, "email_opt_out": rng.random() < 0.05,
            "call_opt_out": rng.random() < 0.03, **stamps(plan.created_at),
        }  # fmt: skip
        return row, held

    def _roles(self, position: int) -> list[ContactRole]:
        r = ContactRole
        if position == 0:
            return [r.DECISION_MAKER] + ([r.EXECUTIVE_SPONSOR] if self.rng.random() < 0.3 else [])
        if position == 1:
            return [r.ADMIN] + ([r.CHAMPION] if self.rng.random() < 0.4 else [])
        return [r.USER] + ([r.CHAMPION] if self.rng.random() < 0.1 else [])

    # -- contract lines ----------------------------------------------------------------

    def subscriptions(self) -> list[Row]:
        """~2.5 lines per account: base plan (maybe an earlier, upgraded one), options,
        an onboarding service; churned accounts have every line ended."""
        rows: list[Row] = []
        for plan in self.plans:
            rows.extend(self._lines(plan))
        return rows

    def _lines(self, plan: AccountPlan) -> list[Row]:
        rng = self.rng
        codes, weights = PLAN_BY_TIER[plan.tier]
        base = rng.choices(codes, weights)[0]
        seats = max(5, round(plan.employees * rng.uniform(0.1, 0.6)))
        start = plan.start_on
        lines = []
        if (self.today - start).days > 400 and rng.random() < 0.3:
            switch = start + timedelta(days=rng.randrange(180, (self.today - start).days - 30))
            lines.append(self._line(plan, CHEAPER[base], start, switch, round(seats * 0.7)))
            start = switch
        stop = self._churn_day(start) if plan.churned else None
        lines.append(self._line(plan, base, start, stop or self._open_end(start), seats))
        for code in rng.sample(OPTIONS, rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0]):
            option_start = start + timedelta(days=rng.randrange(0, (self.today - start).days + 1))
            end = stop or (self._past_end(option_start) if rng.random() < 0.15 else None)
            if end is None or end > option_start:
                lines.append(self._line(plan, code, option_start, end, seats))
        if rng.random() < 0.25:
            end = add_months(plan.start_on, 12)
            lines.append(self._line(plan, catalog.SVC_ONBOARDING, plan.start_on,
                                    min(end, stop) if stop else end, 1))  # fmt: skip
        return lines

    def _churn_day(self, start: date) -> date:
        """The day a churned account's lines stopped: after ``start``, before today."""
        span = (self.today - start).days
        return start + timedelta(days=max(1, rng_between(self.rng, span // 2, span - 1)))

    def _open_end(self, start: date) -> date | None:
        """Open-ended (60 %) or the next anniversary after today."""
        if self.rng.random() < 0.6:
            return None
        years = (self.today - start).days // 365 + 1
        return add_months(start, 12 * years)

    def _past_end(self, start: date) -> date | None:
        span = (self.today - start).days
        return start + timedelta(days=rng_between(self.rng, 1, span)) if span > 1 else None

    def _line(self, plan: AccountPlan, code: str, start: date, end: date | None, seats: int) -> Row:
        rng = self.rng
        quantity = seats if code in SEAT_PRICED else 1
        unit_price = PRICES[code]
        if plan.currency == "USD":
            unit_price = round(unit_price * 100 / JPY_PER_USD_CENT / 100)
        discount = rng.choice((0, 0, 0, 5, 10, 15))
        return {
            "id": uuid7(), "external_id": None, "account_id": plan.id,
            "product_id": self.product_ids[code], "contract_ref": f"C-{plan.index:06d}",
            "quantity": quantity, "mrr_amount": quantity * unit_price * (100 - discount) // 100,
            "currency": plan.currency, "unit_list_price_amount": unit_price,
            "discount_percent": discount, "start_on": start, "end_on": end,
            "term_months": 12, "billing_period_months": rng.choice((1, 1, 12)),
            "auto_renew": rng.random() < 0.85, **stamps(plan.created_at),
        }  # fmt: skip

    # -- surveys -----------------------------------------------------------------------

    def surveys(self) -> list[Row]:
        """~2 answers per account (NPS or CSAT) over the last two years."""
        rows = []
        for plan in self.plans:
            for _ in range(self.rng.choices((0, 1, 2, 3, 4), (10, 25, 35, 20, 10))[0]):
                rows.append(self._survey(plan))
        return rows

    def _survey(self, plan: AccountPlan) -> Row:
        rng = self.rng
        first = max(plan.start_on, self.today - timedelta(days=730))
        day = first + timedelta(days=rng_between(rng, 0, (self.today - first).days))
        nps = rng.random() < 0.65
        score = min(10, max(0, round(rng.gauss(7.5, 2)))) if nps else rng.choices(
            (1, 2, 3, 4, 5), (3, 7, 20, 40, 30))[0]  # fmt: skip
        return {
            "id": uuid7(), "external_id": None, "account_id": plan.id,
            "contact_id": rng.choice(plan.contact_ids) if rng.random() < 0.9 else None,
            "kind": SurveyKind.NPS if nps else SurveyKind.CSAT, "score": score,
            "comment": self._comment(nps, score) if rng.random() < 0.4 else "",
            "responded_on": day, "created_at": business_moment(rng, day),
            "updated_at": business_moment(rng, day),
        }  # fmt: skip

    def _comment(self, nps: bool, score: int) -> str:
        pool: tuple[str, ...]
        if not nps:
            pool = texts.CSAT_COMMENTS_GOOD if score >= 4 else texts.CSAT_COMMENTS_BAD
        elif score >= 9:
            pool = texts.NPS_COMMENTS_PROMOTER
        else:
            pool = texts.NPS_COMMENTS_PASSIVE if score >= 7 else texts.NPS_COMMENTS_DETRACTOR
        return self.rng.choice(pool)


def rng_between(rng: random.Random, low: int, high: int) -> int:
    """A random integer in ``[low, high]`` (``low`` when the range is empty)."""
    return low if high <= low else rng.randint(low, high)


def activity_weights(rng: random.Random, plans: list[AccountPlan]) -> list[float]:
    """Skewed activity volume: log-normal, more for big tiers, less for churned accounts."""
    tier_factor = {Tier.TIER1: 2.5, Tier.TIER2: 1.5, Tier.TIER3: 1.0}
    return [
        math.exp(rng.gauss(0, 1.1)) * tier_factor[p.tier] * (0.5 if p.churned else 1.0)
        for p in plans
    ]


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` proportionally to ``weights`` (largest remainders), summing exactly."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts
