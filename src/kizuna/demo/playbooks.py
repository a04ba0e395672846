"""Demo playbooks: the examples of seed 001 §6-3 (when / who / what / how), published,
and one evaluation so their tasks appear in the cockpit with their "why".

Call :func:`load_playbooks` after ``load_demo`` and the journey's first evaluation (the
accounts, owners, health scores and journey phases must exist), in the same transaction.
Idempotent: existing keys are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.models.playbook import Playbook
from kizuna.models.user import Team
from kizuna.playbook import service
from kizuna.playbook.schemas import PlaybookCreate, RunReport

CS_TEAM = "カスタマーサクセス"
SALES_TEAM = "カスタマーセールス"


@dataclass(frozen=True)
class DemoPlaybook:
    key: str
    name: str
    description: str
    team: str | None
    definition: dict[str, Any]


def _task(title: str, *, days: int, assignee: str = "owner:csm", priority: str = "normal",
          steps: tuple[str, ...] = (), description: str = "") -> dict[str, Any]:  # fmt: skip
    return {
        "type": "create_task",
        "title": title,
        "description": description,
        "steps": list(steps),
        "due_in_days": days,
        "priority": priority,
        "assignee": assignee,
    }


PLAYBOOKS: tuple[DemoPlaybook, ...] = (
    DemoPlaybook(
        "onboarding_stalled",
        "オンボーディング停滞 → CSMから電話",
        "オンボーディングが目標日数を超えた顧客に、CSMが電話で詰まっている点を確認する。",
        CS_TEAM,
        {
            "trigger": {"type": "phase_stalled", "phase": "onboarding"},
            "touch_models": ["high_touch", "low_touch"],
            "actions": [
                _task(
                    "オンボーディング停滞: {account} に電話",
                    days=3,
                    priority="high",
                    steps=(
                        "初期設定の進捗を確認",
                        "詰まっている点をヒアリング",
                        "次回日程を決める",
                    ),
                    description="{why}",
                )
            ],
            "cooldown_days": 30,
        },
    ),
    DemoPlaybook(
        "health_drop_review",
        "ヘルス急落 → リスクレビュー",
        "ヘルススコアが7日で10ポイント以上下がった顧客のリスクを洗い出す。",
        CS_TEAM,
        {
            "trigger": {"type": "health_dropped", "points": 10, "days": 7},
            "actions": [
                _task(
                    "リスクレビュー: {account}",
                    days=5,
                    priority="high",
                    steps=("利用状況の変化を確認", "問い合わせ履歴を確認", "対応方針を決める"),
                    description="{why}",
                )
            ],
            "cooldown_days": 14,
        },
    ),
    DemoPlaybook(
        "renewal_tier1_qbr",
        "Tier 1 更新90日前 → QBR と MCP",
        "Tier 1 顧客の更新90日前に、QBR の実施と相互クロージングプラン (MCP) の作成を始める。",
        None,
        {
            "trigger": {"type": "renewal_in", "days": 90},
            "audience": {"condition": {"fact": "account.tier", "op": "eq", "value": "tier1"}},
            "actions": [
                _task(
                    "QBR の実施: {account}",
                    days=21,
                    steps=("利用データと成果をまとめる", "決裁者の出席を確認", "次期の目標を合意"),
                ),
                _task(
                    "MCP (相互クロージングプラン) の作成: {account}",
                    days=30,
                    assignee="owner:sales",
                ),
            ],
        },
    ),
    DemoPlaybook(
        "nps_detractor_call",
        "NPS 批判者 → 2日以内に電話",
        "NPS で 0〜6 を付けた回答者に、2日以内に理由を聞く。",
        CS_TEAM,
        {
            "trigger": {"type": "nps_detractor", "max_score": 6},
            "actions": [
                _task(
                    "NPS 批判者へのフォロー電話: {account}",
                    days=2,
                    priority="urgent",
                    description="{why}",
                ),
            ],
        },
    ),
    DemoPlaybook(
        "seats_expansion",
        "シート利用 90% 超 → 追加シートの提案",
        "契約シートの9割以上が使われている顧客に、カスタマーセールスが追加シートを提案する。",
        SALES_TEAM,
        {
            "trigger": {"type": "seats_nearly_used", "ratio": 0.9},
            "actions": [
                _task(
                    "追加シートの提案: {account}",
                    days=14,
                    assignee="owner:sales",
                    steps=("利用率を確認", "見積を作成", "提案"),
                ),
                {
                    "type": "update_field",
                    "field": "tags",
                    "add": ["expansion-candidate"],
                    "remove": [],
                },
            ],
            "cooldown_days": 90,
        },
    ),
    DemoPlaybook(
        "renewal_at_risk_recovery",
        "更新リスク → リカバリープラン",
        "更新予測が「リスクあり」「解約」になった顧客に、CSM が3日以内にリカバリープランを立てる。",
        None,
        {
            "trigger": {"type": "renewal_at_risk"},
            "actions": [
                _task(
                    "更新リスクのリカバリープラン: {account}",
                    days=3,
                    priority="high",
                    steps=("リスク要因を確認", "決裁者との面談を設定", "クロージングプランを更新"),
                ),
            ],
            "cooldown_days": 30,
        },
    ),
    DemoPlaybook(
        "tech_touch_setup_reminder",
        "テックタッチ: 初期設定未完了 → 担当者にメール",
        "テックタッチ顧客で、オンボーディング開始から14日たっても初期設定が終わっていない。",
        None,
        {
            "trigger": {
                "type": "condition",
                "condition": {
                    "all": [
                        {"fact": "journey.phase", "op": "eq", "value": "onboarding"},
                        {"fact": "journey.days_in_phase", "op": "gte", "value": 14},
                        {"fact": "journey.step.initial_setup", "op": "is_false"},
                    ]
                },
            },
            "touch_models": ["tech_touch"],
            "actions": [
                {
                    "type": "email_owner",
                    "owner": "csm",
                    "subject": "[Kizuna] {account}: 初期設定が未完了です",
                    "body": "{owner} さん\n\n{account} の初期設定がまだ完了していません。\n"
                    "セットアップガイドの案内をお願いします。\n\n{why}\n\n{link}",
                }
            ],
            "cooldown_days": 30,
        },
    ),
)


def load_playbooks(
    session: Session, *, today: date, zone: str, data_dir: Path, evaluate: bool = True
) -> RunReport | None:
    """Create and publish the demo playbooks (skipping keys that exist), then evaluate
    them once (unless ``evaluate`` is false). Needs the journey facts (``journey.*``)."""
    actor = Actor.system("demo")
    teams = {name: team_id for team_id, name in session.execute(select(Team.id, Team.name))}
    existing = set(session.scalars(select(Playbook.key)))
    for demo in PLAYBOOKS:
        if demo.key in existing:
            continue
        service.create_playbook(
            session,
            actor,
            PlaybookCreate(
                key=demo.key,
                name=demo.name,
                description=demo.description,
                team_id=teams.get(demo.team) if demo.team else None,
                definition=demo.definition,
                note="デモ",
            ),
        )
        service.publish(session, actor, demo.key, note="デモ")
    if not evaluate:
        return None
    return service.run(session, actor, today=today, zone=zone, data_dir=data_dir, origin="demo")
