"""Loading the demo into a real (SQLite) database with bulk inserts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session

import kizuna.models  # registers every table on Base.metadata
from kizuna.auth.passwords import verify_password
from kizuna.db.base import Base
from kizuna.demo import DEMO_PASSWORD, DEMO_USERS, generate, load_demo
from kizuna.kit.errors import Conflict
from kizuna.models import (
    Account,
    Activity,
    Contact,
    ContactRoleLink,
    Subscription,
    SurveyResponse,
    User,
    activity_contact,
    activity_user,
)
from kizuna.models.enums import Role

TODAY = date(2026, 2, 15)
ACCOUNTS = 40


def _foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@pytest.fixture
def demo_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    event.listen(engine, "connect", _foreign_keys_on)
    assert kizuna.models.Account.__tablename__ == "account"
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    with Session(demo_engine) as session:
        yield session


def _count(session: Session, target: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(target)) or 0)


def test_load_writes_everything(demo_session: Session) -> None:
    stages: list[str] = []
    summary = load_demo(
        demo_session,
        seed=3,
        accounts=ACCOUNTS,
        today=TODAY,
        progress=lambda stage, done, total: stages.append(stage),
    )
    demo_session.commit()
    demo = generate(3, ACCOUNTS, today=TODAY)

    assert summary.accounts == _count(demo_session, Account) == ACCOUNTS
    assert summary.contacts == _count(demo_session, Contact) == len(demo.contacts)
    assert summary.contact_roles == _count(demo_session, ContactRoleLink)
    assert summary.subscriptions == _count(demo_session, Subscription) == len(demo.lines)
    assert summary.activities == _count(demo_session, Activity) == len(demo.activities)
    assert summary.activity_users == _count(demo_session, activity_user)
    assert summary.activity_contacts == _count(demo_session, activity_contact)
    assert summary.survey_responses == _count(demo_session, SurveyResponse) == len(demo.surveys)
    assert summary.users == _count(demo_session, User) == len(DEMO_USERS)
    assert summary.teams == 7
    assert summary.products == 9
    assert {"accounts", "activities", "survey_responses"} <= set(stages)


def test_loaded_rows_keep_their_values(demo_session: Session) -> None:
    load_demo(demo_session, seed=3, accounts=ACCOUNTS, today=TODAY)
    demo = generate(3, ACCOUNTS, today=TODAY)

    first = demo.accounts[0]
    account = demo_session.scalars(select(Account).where(Account.external_id == "ACC-00001")).one()
    assert (account.name, account.domain, account.tier) == (first.name, first.domain, first.tier)
    assert account.csm_owner_id is not None

    total_mrr = demo_session.scalar(select(func.sum(Subscription.mrr_amount)))
    assert total_mrr == sum(line.mrr_amount for line in demo.lines)

    admin = demo_session.scalars(select(User).where(User.role == Role.ADMIN)).one()
    assert admin.email == "admin@demo.kizuna.jp"
    assert verify_password(admin.password_hash, DEMO_PASSWORD)
    hashes = set(demo_session.scalars(select(User.password_hash)))
    assert len(hashes) == 1  # hashed once, reused

    activity = demo_session.scalars(select(Activity).order_by(Activity.occurred_at)).first()
    assert activity is not None
    assert activity.occurred_at.tzinfo is not None


def test_second_load_is_refused(demo_session: Session) -> None:
    load_demo(demo_session, seed=3, accounts=ACCOUNTS, today=TODAY)
    with pytest.raises(Conflict) as caught:
        load_demo(demo_session, seed=3, accounts=ACCOUNTS, today=TODAY)
    assert caught.value.code == "demo_already_loaded"


def test_existing_users_are_reused_not_altered(demo_session: Session) -> None:
    demo_session.add(
        User(email="admin@demo.kizuna.jp", name="既存 管理者", password_hash="x", role=Role.ADMIN)
    )
    demo_session.flush()

    summary = load_demo(demo_session, seed=3, accounts=ACCOUNTS, today=TODAY)

    assert summary.users == len(DEMO_USERS) - 1
    admin = demo_session.scalars(select(User).where(User.email == "admin@demo.kizuna.jp")).one()
    assert (admin.name, admin.password_hash) == ("既存 管理者", "x")
