"""Demo data for segments, tags, tiers and coverage (C6), loaded after the demo company.

``load_coverage_demo(session, data_dir=…, zone=…, today=…)`` adds, idempotently:

* tags: ``事例候補`` (Tier 1 accounts in the expansion phase), ``更新要注意`` (renewal within
  90 days with NPS 6 or lower), ``オンボーディング遅延`` (onboarding for more than 90 days);
* three shared segments owned by the first manager (tier, health and tag conditions);
* two tier rules that reproduce the demo's own tiering from today's MRR (the top ~10 % of
  paying accounts Tier 1, the next ~30 % Tier 2), so the daily run changes few tiers;
* one assignment rule: empty CSM owners go round robin over the CSM team;
* a lower capacity for the CSM with the largest book, so /coverage shows one person over
  capacity and re-balancing has something to suggest.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.coverage import service as coverage
from kizuna.coverage.schemas import AssignmentRuleIn, TierRuleIn
from kizuna.facts import conditions
from kizuna.models import Account, Segment, Team, User
from kizuna.models.coverage import AssignmentStrategy, OwnerField
from kizuna.models.enums import Role, TeamKind, Tier
from kizuna.segment import tags
from kizuna.segment.evaluation import FactSource

_DEMO = Actor.system("demo")


def tag_definitions(today: date) -> dict[str, dict[str, object]]:
    """Each demo tag and the condition of the accounts that get it."""
    long_ago = date.fromordinal(today.toordinal() - 90).isoformat()
    return {
        "事例候補": {"all": [{"fact": "account.tier", "op": "eq", "value": "tier1"},
                             {"fact": "account.phase", "op": "eq", "value": "expansion"}]},
        "更新要注意": {"all": [{"fact": "signal.days_to_renewal", "op": "lte", "value": 90},
                               {"fact": "signal.nps_latest", "op": "lte", "value": 6}]},
        "オンボーディング遅延": {"all": [
            {"fact": "account.phase", "op": "eq", "value": "onboarding"},
            {"fact": "account.created_on", "op": "lt", "value": long_ago},
        ]},
    }  # fmt: skip


SEGMENTS: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("解約リスクの高い顧客", "ヘルススコアが赤、または解約リスク30%以上",
     {"any": [{"fact": "health.band", "op": "eq", "value": "red"},
              {"fact": "health.churn_risk", "op": "gte", "value": 30}]}),
    ("Tier 1・2 の拡大候補", "アップセル/クロスセルの可能性がある企業で、拡大シグナルあり",
     {"all": [{"fact": "account.tier", "op": "in", "value": ["tier1", "tier2"]},
              {"fact": "health.expansion", "op": "is_set"}]}),
    ("事例・更新要注意タグ", "タグ「事例候補」または「更新要注意」",
     {"any": [{"fact": "tags", "op": "has", "value": "事例候補"},
              {"fact": "tags", "op": "has", "value": "更新要注意"}]}),
)  # fmt: skip


def load_coverage_demo(session: Session, *, data_dir: Path, zone: str, today: date) -> None:
    source = FactSource(session, today=today, zone=zone, data_dir=data_dir)
    _tags(session, source, today)
    _segments(session, source)
    _rules(session, source)
    _capacity(session)
    session.flush()


def _tags(session: Session, source: FactSource, today: date) -> None:
    for tag, definition in tag_definitions(today).items():
        condition = source.parse(definition)
        facts = source.facts(conditions.facts_used(condition))
        for account_id in facts.account_ids[conditions.evaluate(condition, facts)]:
            tags.add_tags(session, _DEMO, uuid.UUID(str(account_id)), [tag])


def _segments(session: Session, source: FactSource) -> None:
    owner = session.scalar(
        select(User).where(User.role == Role.MANAGER).order_by(User.email).limit(1)
    )
    existing = set(session.scalars(select(Segment.name)))
    for name, description, definition in SEGMENTS:
        if name in existing:
            continue
        session.add(
            Segment(
                name=name,
                description=description,
                definition=conditions.to_json(source.parse(definition)),
                owner_id=owner.id if owner else None,
                shared=True,
                archived=False,
            )
        )


def _rules(session: Session, source: FactSource) -> None:
    if not coverage.tier_rules(session, _DEMO):
        facts = source.facts({"signal.mrr"})
        mrr = facts.column("signal.mrr")
        paying = np.sort(mrr[~np.isnan(mrr) & (mrr > 0)])[::-1]
        if len(paying) >= 10:
            tier1 = float(paying[round(len(paying) * 0.1) - 1])
            tier2 = float(paying[round(len(paying) * 0.4) - 1])
            coverage.set_tier_rules(
                session,
                _DEMO,
                [
                    TierRuleIn(
                        name="MRR 上位10%",
                        tier=Tier.TIER1,
                        condition={"fact": "signal.mrr", "op": "gte", "value": tier1},
                    ),
                    TierRuleIn(
                        name="MRR 上位40%",
                        tier=Tier.TIER2,
                        condition={"fact": "signal.mrr", "op": "gte", "value": tier2},
                    ),
                ],
                source=source,
            )
    team = session.scalar(select(Team).where(Team.kind == TeamKind.CSM).order_by(Team.name))
    if team is not None and not coverage.assignment_rules(session, _DEMO):
        coverage.set_assignment_rules(
            session,
            _DEMO,
            [
                AssignmentRuleIn(
                    name="CS担当はCSチームで順番に",
                    condition={},
                    owner_field=OwnerField.CSM_OWNER,
                    strategy=AssignmentStrategy.ROUND_ROBIN,
                    team_id=team.id,
                )
            ],
            source=source,
        )


def _capacity(session: Session) -> None:
    """The CSM holding the most accounts gets a capacity 10 below their book."""
    owners = session.scalars(select(Account.csm_owner_id).where(Account.csm_owner_id.is_not(None)))
    counts = Counter(owners)
    if not counts:
        return
    busiest, held = max(counts.items(), key=lambda item: (item[1], str(item[0])))
    user = session.get(User, busiest)
    if user is not None and (user.capacity_accounts or 0) >= held:
        user.capacity_accounts = max(1, held - 10)
