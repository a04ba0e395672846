"""Account facts on a planted company: every provider's values, conditions evaluated over
them, and the catalogue (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from factories import (
    make_account,
    make_activity,
    make_contact,
    make_line,
    make_product,
    make_survey_response,
    make_team,
    make_user,
    utc,
)
from health_factories import make_score, make_version
from kizuna.facts import conditions
from kizuna.facts.catalogue import FactsCache, fact_specs, load_facts
from kizuna.facts.frame import Facts, Kind
from kizuna.kit.errors import Invalid
from kizuna.models.account import Account
from kizuna.models.custom_field import CustomFieldDefinition
from kizuna.models.enums import (
    ActivityKind,
    ContactRole,
    CustomFieldObject,
    CustomFieldType,
    Phase,
    ProductKind,
    Tier,
)
from kizuna.models.segment import AccountTag

TODAY = date(2026, 6, 15)
ZONE = "Asia/Tokyo"


@pytest.fixture
def company(session: Session) -> dict[str, str]:
    team = make_team(session, name="エンタープライズCS")
    csm = make_user(session, email="csm@example.test", team_id=team.id)
    session.add(
        CustomFieldDefinition(
            object_type=CustomFieldObject.ACCOUNT,
            key="go_live",
            label_ja="本番開始日",
            label_en="Go-live",
            field_type=CustomFieldType.DATE,
        )
    )
    session.add(
        CustomFieldDefinition(
            object_type=CustomFieldObject.ACCOUNT,
            key="goal_attainment",
            label_ja="目標達成率",
            label_en="Goal attainment",
            field_type=CustomFieldType.DECIMAL,
        )
    )
    big = make_account(
        session,
        name="大手商事",
        tier=Tier.TIER1,
        phase=Phase.ADOPTION,
        region="関東",
        employee_count=1200,
        csm_owner_id=csm.id,
        custom_fields={"go_live": "2026-06-20", "goal_attainment": "0.8"},
    )
    small = make_account(session, name="小さな工房", tier=Tier.TIER3)
    plan = make_product(session, code="PLAN-STD")
    option = make_product(session, code="OPT-SSO", kind=ProductKind.OPTION)
    make_line(session, big, plan, mrr=500_000, start=date(2025, 1, 1), quantity=50)
    make_line(session, big, option, mrr=50_000, start=date(2025, 1, 1), end=date(2026, 3, 1))
    make_line(session, small, plan, mrr=30_000, start=date(2026, 1, 1))
    make_activity(session, big, kind=ActivityKind.MEETING, occurred_at=utc(2026, 6, 10, 1))
    make_activity(session, big, kind=ActivityKind.MEETING, occurred_at=utc(2026, 5, 1, 1))
    make_activity(
        session, big, kind=ActivityKind.MEETING, occurred_at=utc(2024, 1, 1), is_pre_sale=True
    )
    make_contact(session, big, roles=[ContactRole.ADMIN, ContactRole.CHAMPION])
    make_contact(session, big, roles=[ContactRole.ADMIN])
    make_contact(session, big, is_active=False, roles=[ContactRole.ADMIN])
    make_survey_response(session, big, score=4, responded_on=date(2026, 6, 1))
    session.add(AccountTag(account_id=big.id, tag="renewal-risk"))
    make_score(
        session, big, make_version(session), score=52.0, band="yellow", today=TODAY, change_7d=-12
    )
    session.flush()
    return {"big": str(big.id), "small": str(small.id)}


def _facts(session: Session, tmp_path: Path, keys: list[str]) -> Facts:
    return load_facts(session, keys, today=TODAY, zone=ZONE, data_dir=tmp_path)


def test_every_provider_reads_its_values(
    session: Session, tmp_path: Path, company: dict[str, str]
) -> None:
    keys = [
        "account.tier",
        "account.region",
        "account.employee_count",
        "account.csm_owner",
        "account.csm_team",
        "account.custom.go_live",
        "account.custom.goal_attainment",
        "tags",
        "health.score",
        "health.band",
        "health.change_7d",
        "signal.mrr",
        "signal.nps_latest",
        "activity.meeting.count",
        "activity.meeting.days_since",
        "contact.count",
        "contact.admin.count",
        "products",
    ]
    facts = _facts(session, tmp_path, keys)
    big, small = facts.row_of(company["big"]), facts.row_of(company["small"])
    assert big is not None
    assert small is not None
    expected_big = {
        "account.tier": "tier1",
        "account.region": "関東",
        "account.employee_count": 1200.0,
        "account.csm_owner": "csm@example.test",
        "account.csm_team": "エンタープライズCS",
        "account.custom.go_live": date(2026, 6, 20),
        "account.custom.goal_attainment": 0.8,
        "tags": ["renewal-risk"],
        "health.score": 52.0,
        "health.band": "yellow",
        "health.change_7d": -12.0,
        "signal.mrr": 500_000.0,  # the option line ended on 2026-03-01
        "signal.nps_latest": 4.0,
        "activity.meeting.count": 2.0,  # the pre-sale meeting does not count
        "activity.meeting.days_since": 5.0,  # 2026-06-10 10:00 JST
        "contact.count": 2.0,  # the inactive contact does not count
        "contact.admin.count": 2.0,
        "products": ["PLAN-STD"],
    }
    assert {k: facts.value(k, big) for k in keys} == expected_big
    assert facts.value("account.region", small) is None
    assert facts.value("health.score", small) is None
    assert facts.value("activity.meeting.count", small) == 0.0  # counts are 0, not unknown
    assert facts.value("activity.meeting.days_since", small) is None
    assert facts.value("tags", small) == []


def test_conditions_over_loaded_facts(
    session: Session, tmp_path: Path, company: dict[str, str]
) -> None:
    specs = fact_specs(session)
    at_risk = conditions.parse(
        {
            "all": [
                {"fact": "health.change_7d", "op": "lte", "value": -10},
                {"fact": "tags", "op": "has", "value": "renewal-risk"},
                {"fact": "account.custom.go_live", "op": "in_next_days", "value": 7},
                {"not": {"fact": "products", "op": "has", "value": "OPT-SSO"}},
            ]
        },
        specs,
    )
    facts = _facts(session, tmp_path, sorted(conditions.facts_used(at_risk)))
    mask = conditions.evaluate(at_risk, facts)
    assert list(facts.account_ids[mask]) == [company["big"]]
    not_tier1 = conditions.parse({"fact": "account.tier", "op": "ne", "value": "tier1"}, specs)
    facts = _facts(session, tmp_path, ["account.tier"])
    assert list(facts.account_ids[conditions.evaluate(not_tier1, facts)]) == [company["small"]]
    row = facts.row_of(company["big"])
    assert row is not None
    (check,) = conditions.explain(not_tier1, facts, row)
    assert (check.actual, check.passed) == ("tier1", False)


def test_catalogue_lists_custom_fields_with_their_kind(
    session: Session, company: dict[str, str]
) -> None:
    specs = fact_specs(session)
    assert specs["account.custom.go_live"].kind is Kind.DATE
    assert specs["account.custom.goal_attainment"].kind is Kind.NUMBER
    assert specs["products"].choices == ("OPT-SSO", "PLAN-STD")
    assert specs["signal.mrr"].unit == "yen"
    assert "signal.field:employee_count" not in specs  # fields are account.* facts


def test_unknown_fact_is_refused_by_name(session: Session, tmp_path: Path) -> None:
    with pytest.raises(Invalid) as caught:
        _facts(session, tmp_path, ["account.tier", "account.shoe_size"])
    assert "account.shoe_size" in str(caught.value)


def test_no_accounts_gives_empty_columns(session: Session, tmp_path: Path) -> None:
    facts = _facts(session, tmp_path, ["signal.mrr", "tags", "account.tier"])
    assert len(facts) == 0
    assert np.asarray(facts.column("signal.mrr")).shape == (0,)


def test_a_cache_reuses_columns_until_they_are_dropped(
    session: Session, tmp_path: Path, company: dict[str, str]
) -> None:
    cache = FactsCache()
    keys = ["account.region", "contact.count"]
    first = load_facts(session, keys, today=TODAY, zone=ZONE, data_dir=tmp_path, cache=cache)
    assert set(cache.columns) == set(keys)
    assert fact_specs(session, cache) is cache.specs
    big = first.row_of(company["big"])
    session.execute(update(Account).values(region="関西"))
    session.flush()
    # Reused: the same arrays, the value read before the change.
    again = load_facts(session, keys, today=TODAY, zone=ZONE, data_dir=tmp_path, cache=cache)
    assert again.column("contact.count") is first.column("contact.count")
    assert again.value("account.region", big) == "関東"
    # Dropped by whoever wrote it: read again.
    cache.drop("account.")
    fresh = load_facts(session, keys, today=TODAY, zone=ZONE, data_dir=tmp_path, cache=cache)
    assert fresh.value("account.region", big) == "関西"
    assert fresh.column("contact.count") is first.column("contact.count")
    # Another day: nothing is reused.
    later = load_facts(
        session, keys, today=date(2026, 6, 16), zone=ZONE, data_dir=tmp_path, cache=cache
    )
    assert later.column("contact.count") is not first.column("contact.count")
    assert cache.today == date(2026, 6, 16)
