"""Typed factory functions for tests: real rows through real services where it matters."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kizuna.auth import service as auth
from kizuna.auth.actor import Actor
from kizuna.auth.passwords import hash_password
from kizuna.models import (
    Account,
    Activity,
    Contact,
    ContactRoleLink,
    Product,
    Subscription,
    SurveyResponse,
    Team,
    User,
)
from kizuna.models.enums import (
    ActivityKind,
    ContactRole,
    ProductKind,
    ProductUnit,
    Role,
    SurveyKind,
    TeamKind,
)

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"
_HASH = hash_password(PASSWORD)


def make_user(session: Session, role: Role = Role.CSM, **fields: Any) -> User:
    n = next(_seq)
    user = User(
        email=fields.pop("email", f"user{n}@example.test"),
        name=fields.pop("name", f"テスト 利用者{n}"),
        password_hash=_HASH,
        role=role,
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def make_account(session: Session, **fields: Any) -> Account:
    n = next(_seq)
    account = Account(name=fields.pop("name", f"株式会社テスト{n}"), **fields)
    session.add(account)
    session.flush()
    return account


def make_product(session: Session, **fields: Any) -> Product:
    n = next(_seq)
    product = Product(
        code=fields.pop("code", f"P-{n}"),
        name=fields.pop("name", f"プラン{n}"),
        kind=fields.pop("kind", ProductKind.BASE_PLAN),
        unit=fields.pop("unit", ProductUnit.SEAT),
        list_price_amount=fields.pop("list_price_amount", 1000),
        **fields,
    )
    session.add(product)
    session.flush()
    return product


def make_line(
    session: Session,
    account: Account,
    product: Product,
    *,
    mrr: int,
    start: date,
    end: date | None = None,
    **fields: Any,
) -> Subscription:
    line = Subscription(
        account_id=account.id,
        product_id=product.id,
        mrr_amount=mrr,
        start_on=start,
        end_on=end,
        **fields,
    )
    session.add(line)
    session.flush()
    return line


def token_for(session: Session, user: User, scopes: list[str] | None = None) -> str:
    issued = auth.create_token(
        session,
        Actor.system(),
        user_id=user.id,
        name="test",
        scopes=scopes or ["admin"],
        expires_at=None,
    )
    return issued.secret


def api_as(
    client: TestClient, session: Session, role: Role, scopes: list[str] | None = None
) -> User:
    """Create a user with ``role`` and make ``client`` send that user's bearer token."""
    user = make_user(session, role)
    client.headers["Authorization"] = f"Bearer {token_for(session, user, scopes)}"
    session.commit()
    return user


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def make_contact(session: Session, account: Account, **fields: Any) -> Contact:
    n = next(_seq)
    roles: list[ContactRole] = fields.pop("roles", [])
    contact = Contact(
        account_id=account.id,
        name=fields.pop("name", f"担当者{n}"),
        email=fields.pop("email", f"contact{n}@customer.test"),
        **fields,
    )
    contact.role_links = [ContactRoleLink(role=role) for role in roles]
    session.add(contact)
    session.flush()
    return contact


def make_team(session: Session, kind: TeamKind = TeamKind.CSM, **fields: Any) -> Team:
    n = next(_seq)
    team = Team(name=fields.pop("name", f"チーム{n}"), kind=kind, **fields)
    session.add(team)
    session.flush()
    return team


def make_activity(
    session: Session,
    account: Account,
    *,
    kind: ActivityKind = ActivityKind.MEETING,
    occurred_at: datetime | None = None,
    **fields: Any,
) -> Activity:
    n = next(_seq)
    activity = Activity(
        account_id=account.id,
        kind=kind,
        subject=fields.pop("subject", f"打ち合わせ{n}"),
        occurred_at=occurred_at or utc(2024, 4, 1, 10),
        **fields,
    )
    session.add(activity)
    session.flush()
    return activity


def make_survey_response(
    session: Session,
    account: Account,
    *,
    score: int,
    kind: SurveyKind = SurveyKind.NPS,
    responded_on: date | None = None,
    **fields: Any,
) -> SurveyResponse:
    response = SurveyResponse(
        account_id=account.id,
        kind=kind,
        score=score,
        responded_on=responded_on or date(2024, 4, 1),
        **fields,
    )
    session.add(response)
    session.flush()
    return response


def all_pages(client: TestClient, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of a paged list, following ``next_cursor`` to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def make_event_source(session: Session, **fields: Any) -> tuple[Any, str]:
    """An event source and its write key (usage ingestion)."""
    from kizuna.usage import sources
    from kizuna.usage.source_schemas import SourceCreate

    data = {"name": f"Source {next(_seq)}", **fields}
    return sources.create_source(session, Actor.system(), SourceCreate(**data))


def make_planning_company(session: Session) -> Team:
    """A small company for the planning prefill, measured over January–March 2026; returns
    the customer-sales team.

    The team's active members own A1 (sales owner: new ¥10,000 in January, which a
    customer-sales pilot does not count, then +¥15,000 in February) and A2 (AE owner: +¥3,000
    in March): ¥18,000 of expansion ÷ 2 members ÷ 3 months = ¥3,000 per person per month.
    A3 (an inactive member's) and A4 (another team's) do not count. A5 churns in January
    (its last day is the 19th): company MRR churn 30,000 ÷ 50,000 = 60 %, then 0 %, 0 % →
    20 %; logo churn 1 ÷ 2, 0, 0 → 16.6667 %. At the end of March: MRR ¥64,000 on 4
    accounts, ARPA ¥16,000.
    """
    team = make_team(session, TeamKind.CUSTOMER_SALES, name="カスタマーセールス")
    other = make_team(session, TeamKind.SALES, name="フィールドセールス")
    u1 = make_user(session, Role.CUSTOMER_SALES, team_id=team.id)
    u2 = make_user(session, Role.CUSTOMER_SALES, team_id=team.id)
    gone = make_user(session, Role.CUSTOMER_SALES, team_id=team.id, is_active=False)
    outsider = make_user(session, Role.SALES, team_id=other.id)
    plan = make_product(session)
    a1 = make_account(session, sales_owner_id=u1.id)
    make_line(session, a1, plan, mrr=10_000, start=date(2026, 1, 15))
    make_line(session, a1, plan, mrr=15_000, start=date(2026, 2, 10))
    a2 = make_account(session, ae_owner_id=u2.id)
    make_line(session, a2, plan, mrr=20_000, start=date(2025, 6, 1))
    make_line(session, a2, plan, mrr=3_000, start=date(2026, 3, 5))
    a3 = make_account(session, sales_owner_id=gone.id)
    make_line(session, a3, plan, mrr=7_000, start=date(2026, 2, 1))
    a4 = make_account(session, sales_owner_id=outsider.id)
    make_line(session, a4, plan, mrr=9_000, start=date(2026, 1, 10))
    a5 = make_account(session)
    make_line(session, a5, plan, mrr=30_000, start=date(2025, 1, 1), end=date(2026, 1, 20))
    return team


def make_health(
    session: Session,
    account: Account,
    *,
    band: str,
    score: float | None,
    probability: float | None = None,
    reasons: list[dict[str, Any]] | None = None,
    measures: list[dict[str, Any]] | None = None,
    on: date | None = None,
) -> None:
    """A stored health score (with an explanation of ``measures``: key, name, points,
    weight, value) and, with ``probability``, a churn risk with ``reasons`` (feature, value,
    contribution) — rows as the scorer and the churn model write them (renewals tests)."""
    from kizuna.models.health import (
        ChurnModel,
        ChurnRisk,
        HealthScore,
        HealthScorecard,
        HealthScorecardVersion,
    )

    n = next(_seq)
    day = on or datetime.now(UTC).date()
    card = HealthScorecard(key=f"card-{n}", name=f"スコアカード{n}", name_en=f"Card {n}")
    session.add(card)
    session.flush()
    measures = measures or []
    definition = {
        "groups": [{"key": "g", "name": "利用", "name_en": "Usage", "weight": 1}],
        "measures": [
            {
                "key": m["key"],
                "name": m["name"],
                "name_en": m.get("name_en", m["name"]),
                "group": "g",
                "signal": m.get("signal", m["key"]),
                "weight": m.get("weight", 1),
            }
            for m in measures
        ],
    }
    version = HealthScorecardVersion(
        scorecard_id=card.id, number=1, status="published", definition=definition
    )
    session.add(version)
    session.flush()
    explanation = {
        "groups": [{"key": "g", "score": score}],
        "measures": [
            {
                "key": m["key"],
                "group": "g",
                "value": m.get("value"),
                "points": m["points"],
                "weight": m.get("weight", 1),
                "contribution": m.get("contribution"),
            }
            for m in measures
        ],
    }
    session.add(
        HealthScore(
            account_id=account.id,
            version_id=version.id,
            scored_on=day,
            score=score,
            band=band,
            explanation=explanation,
        )
    )
    if probability is not None:
        model = ChurnModel(number=10_000 + n, status="published", horizon_days=90, train_until=day)
        session.add(model)
        session.flush()
        session.add(
            ChurnRisk(
                account_id=account.id,
                model_id=model.id,
                scored_on=day,
                probability=probability,
                reasons=reasons or [],
            )
        )
    session.flush()
