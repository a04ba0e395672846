"""Journey facts: each account's phase, how long it has been there against the phase's
target, each step's completion, and how many of the customer's own goals were achieved.

Reads the journey tables directly (``facts`` sits below ``journey`` in the layers), so
segments, playbooks and tier rules can use these facts without importing the journey.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.facts.frame import FactSpec, Kind
from kizuna.facts.providers import Column, LoadContext, raw_id
from kizuna.kit.clock import ensure_utc
from kizuna.models.account import Account
from kizuna.models.enums import Phase
from kizuna.models.journey import (
    AccountGoal,
    AccountJourneyStep,
    JourneyPhase,
    JourneyPhaseHistory,
    JourneyStep,
)

STEP_PREFIX = "journey.step."
_GROUP = "journey"


def local_days(entered_at: datetime, today: date, zone: ZoneInfo) -> int:
    """Whole days from the local day of ``entered_at`` to ``today`` (0 on the same day)."""
    return (today - ensure_utc(entered_at).astimezone(zone).date()).days


class JourneyFacts:
    """``journey.phase``, ``journey.days_in_phase``, ``journey.phase_target_days``,
    ``journey.overdue``, ``journey.step.<key>`` and ``journey.goals_achieved_ratio``."""

    prefix = "journey."

    def specs(self, session: Session) -> list[FactSpec]:
        out = [
            FactSpec(
                "journey.phase",
                Kind.CHOICE,
                "ジャーニーのフェーズ",
                "Journey phase",
                _GROUP,
                choices=tuple(Phase),
            ),
            FactSpec(
                "journey.days_in_phase",
                Kind.NUMBER,
                "現フェーズの滞在日数",
                "Days in phase",
                _GROUP,
                unit="days",
            ),
            FactSpec(
                "journey.phase_target_days",
                Kind.NUMBER,
                "現フェーズの目標日数",
                "Phase target (days)",
                _GROUP,
                unit="days",
            ),
            FactSpec(
                "journey.overdue",
                Kind.FLAG,
                "フェーズの目標日数超過",
                "Over the phase's target",
                _GROUP,
                description="現フェーズの滞在日数が目標日数を超えている",
                description_en="Days in the current phase exceed the phase's target",
            ),
            FactSpec(
                "journey.goals_achieved_ratio",
                Kind.NUMBER,
                "顧客ゴールの達成率",
                "Customer goals achieved",
                _GROUP,
                unit="ratio",
                description="期日を過ぎた、または結果の出た顧客ゴールのうち達成したものの割合",
                description_en="Share of the customer's goals achieved among those achieved, "
                "missed or past their due date",
            ),
        ]
        phase_order = {p.value: n for n, p in enumerate(Phase)}
        steps = session.execute(
            select(
                JourneyStep.key,
                JourneyStep.phase,
                JourneyStep.position,
                JourneyStep.name,
                JourneyStep.name_en,
            )
        ).all()
        for key, _phase, _position, name, name_en in sorted(
            steps, key=lambda r: (phase_order.get(r[1], len(phase_order)), r[2], r[0])
        ):
            out.append(
                FactSpec(
                    f"{STEP_PREFIX}{key}",
                    Kind.FLAG,
                    f"ステップ完了: {name}",
                    f"Step done: {name_en or name}",
                    _GROUP,
                )
            )
        return out

    def load(self, session: Session, keys: set[str], ctx: LoadContext) -> dict[str, Column]:
        out: dict[str, Column] = {}
        n = len(ctx.account_ids)
        zone = ZoneInfo(ctx.zone)
        if keys & {
            "journey.phase",
            "journey.days_in_phase",
            "journey.phase_target_days",
            "journey.overdue",
        }:
            out.update(self._phases(session, ctx, zone, n))
        steps = {k for k in keys if k.startswith(STEP_PREFIX)}
        if steps:
            out.update(self._steps(session, ctx, steps, n))
        if "journey.goals_achieved_ratio" in keys:
            out["journey.goals_achieved_ratio"] = self._goals(session, ctx, n)
        return out

    def _phases(
        self, session: Session, ctx: LoadContext, zone: ZoneInfo, n: int
    ) -> dict[str, Column]:
        targets = dict(session.execute(select(JourneyPhase.phase, JourneyPhase.target_days)).all())
        phases = session.execute(select(raw_id(Account.id), Account.phase)).all()
        opened = {
            account_id: (phase, entered_at)
            for account_id, phase, entered_at in session.execute(
                select(
                    raw_id(JourneyPhaseHistory.account_id),
                    JourneyPhaseHistory.phase,
                    JourneyPhaseHistory.entered_at,
                ).where(JourneyPhaseHistory.exited_at.is_(None))
            )
        }
        phase_col = np.full(n, None, dtype=object)
        days = np.full(n, np.nan)
        target = np.full(n, np.nan)
        for account_id, phase in phases:
            row = ctx.index.get(str(account_id), -1)
            if row < 0 or phase is None:
                continue
            value = phase.value
            phase_col[row] = value
            if value in targets:
                target[row] = float(targets[value])
            current = opened.get(account_id)
            if current is not None and current[0] == value:
                days[row] = float(local_days(current[1], ctx.today, zone))
        with np.errstate(invalid="ignore"):
            overdue = np.where(np.isnan(days) | np.isnan(target), np.nan, (days > target) * 1.0)
        return {
            "journey.phase": phase_col,
            "journey.days_in_phase": days,
            "journey.phase_target_days": target,
            "journey.overdue": overdue,
        }

    def _steps(
        self, session: Session, ctx: LoadContext, keys: set[str], n: int
    ) -> dict[str, Column]:
        wanted = {k.removeprefix(STEP_PREFIX) for k in keys}
        ids = dict(
            session.execute(
                select(JourneyStep.id, JourneyStep.key).where(JourneyStep.key.in_(wanted))
            ).all()
        )
        done: dict[str, list[Any]] = defaultdict(list)
        if ids:
            for account_id, step_id in session.execute(
                select(raw_id(AccountJourneyStep.account_id), AccountJourneyStep.step_id).where(
                    AccountJourneyStep.step_id.in_(list(ids)), AccountJourneyStep.done.is_(True)
                )
            ):
                done[ids[step_id]].append(account_id)
        out: dict[str, Column] = {}
        for key in wanted:
            column = np.zeros(n)
            rows = ctx.rows(done.get(key, []))
            column[rows[rows >= 0]] = 1.0
            out[f"{STEP_PREFIX}{key}"] = column
        return out

    def _goals(self, session: Session, ctx: LoadContext, n: int) -> Column:
        achieved: dict[Any, int] = defaultdict(int)
        decided: dict[Any, int] = defaultdict(int)
        for account_id, status, due_on in session.execute(
            select(raw_id(AccountGoal.account_id), AccountGoal.status, AccountGoal.due_on)
        ):
            if status == "achieved":
                achieved[account_id] += 1
                decided[account_id] += 1
            elif status == "missed" or (due_on is not None and due_on < ctx.today):
                decided[account_id] += 1
        column = np.full(n, np.nan)
        for account_id, total in decided.items():
            row = ctx.index.get(str(account_id), -1)
            if row >= 0 and total:
                column[row] = achieved[account_id] / total
        return column
