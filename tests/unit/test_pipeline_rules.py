"""The lead SLA clock and the status rules of leads and opportunities (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kizuna.kit.errors import Conflict, Invalid
from kizuna.models.pipeline import LeadStatus, OpportunityStage
from kizuna.pipeline import rules, sla

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TOKYO)


# 2026-11-20 is a Friday, 11-21 Saturday, 11-22 Sunday, 11-23 Monday.


def test_sla_counts_calendar_hours_when_weekends_count() -> None:
    due = sla.sla_due_at(tokyo(2026, 11, 20, 18), 48, business_days_only=False)
    assert due == tokyo(2026, 11, 22, 18).astimezone(UTC)


def test_sla_skips_the_weekend_in_tokyo() -> None:
    # Friday 18:00 + 48 business hours: 6 h of Friday, Monday 24 h, Tuesday 18 h.
    due = sla.sla_due_at(tokyo(2026, 11, 20, 18), 48, business_days_only=True)
    assert due.astimezone(TOKYO) == tokyo(2026, 11, 24, 18)
    assert due.tzinfo is UTC


def test_sla_friday_evening_24_hours_is_monday_evening() -> None:
    due = sla.sla_due_at(tokyo(2026, 11, 20, 18), 24, business_days_only=True)
    assert due.astimezone(TOKYO) == tokyo(2026, 11, 23, 18)


def test_sla_passed_on_a_saturday_starts_on_monday() -> None:
    due = sla.sla_due_at(tokyo(2026, 11, 21, 10), 8, business_days_only=True)
    assert due.astimezone(TOKYO) == tokyo(2026, 11, 23, 8)


def test_sla_midweek_is_plain_hours() -> None:
    due = sla.sla_due_at(tokyo(2026, 11, 17, 9, 30), 48, business_days_only=True)
    assert due.astimezone(TOKYO) == tokyo(2026, 11, 19, 9, 30)


def test_sla_weekend_is_judged_in_the_zone_not_in_utc() -> None:
    # Monday 08:00 in Tokyo is still Sunday 23:00 UTC: in Tokyo it is a business day.
    passed = tokyo(2026, 11, 23, 8)
    assert passed.astimezone(UTC).weekday() == 6
    due = sla.sla_due_at(passed, 4, business_days_only=True)
    assert due.astimezone(TOKYO) == tokyo(2026, 11, 23, 12)
    # The same instant read in UTC would have skipped ahead to Monday 00:00 UTC.
    in_utc = sla.sla_due_at(passed, 4, business_days_only=True, zone="UTC")
    assert in_utc == datetime(2026, 11, 23, 4, tzinfo=UTC)
    assert in_utc != due


def test_sla_rejects_negative_hours() -> None:
    with pytest.raises(ValueError, match="negative"):
        sla.sla_due_at(tokyo(2026, 11, 20), -1, business_days_only=True)


def test_overdue_and_how_late() -> None:
    due = tokyo(2026, 11, 24, 18)
    assert not sla.is_overdue(due, tokyo(2026, 11, 24, 18))
    assert sla.is_overdue(due, tokyo(2026, 11, 24, 18, 1))
    assert sla.late_by(due, tokyo(2026, 11, 26, 23)) == timedelta(days=2, hours=5)
    assert sla.late_by(due, tokyo(2026, 11, 20)) == timedelta(0)
    assert sla.late_text(timedelta(days=2, hours=5, minutes=30)) == (2, 5)


def test_within_sla() -> None:
    due = tokyo(2026, 11, 24, 18)
    assert sla.within_sla(due, tokyo(2026, 11, 24, 18))
    assert not sla.within_sla(due, tokyo(2026, 11, 24, 18, 1))
    assert not sla.within_sla(due, None)


@pytest.mark.parametrize("action", rules.LEAD_ACTIONS)
def test_only_passed_leads_can_be_decided(action: str) -> None:
    rules.check_lead_action(LeadStatus.PASSED, action)
    for status in (LeadStatus.ACCEPTED, LeadStatus.REJECTED, LeadStatus.WITHDRAWN):
        with pytest.raises(Conflict) as caught:
            rules.check_lead_action(status, action)
        assert caught.value.code == "lead_state"
        assert status.value in caught.value.message


def test_unknown_lead_action_is_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown"):
        rules.check_lead_action(LeadStatus.PASSED, "reopen")


def test_open_stages_move_freely_both_ways() -> None:
    for a in rules.OPEN_STAGES:
        for b in rules.OPEN_STAGES:
            rules.check_stage_move(a, b)


@pytest.mark.parametrize("final", rules.CLOSED_STAGES)
def test_won_and_lost_are_final(final: OpportunityStage) -> None:
    for target in OpportunityStage:
        with pytest.raises(Conflict) as caught:
            rules.check_stage_move(final, target)
        assert caught.value.code == "opportunity_closed"
    with pytest.raises(Conflict):
        rules.check_open(final, "win")


@pytest.mark.parametrize(
    ("target", "code"), [(OpportunityStage.WON, "use_win"), (OpportunityStage.LOST, "use_lose")]
)
def test_a_plain_stage_move_cannot_close(target: OpportunityStage, code: str) -> None:
    with pytest.raises(Invalid) as caught:
        rules.check_stage_move(OpportunityStage.PROPOSAL, target)
    assert caught.value.problems[0].code == code


def test_won_line_is_coterminous_with_the_latest_current_end() -> None:
    end, term = rules.won_line_term(date(2026, 12, 1), [date(2027, 3, 31), date(2027, 6, 30)])
    assert end == date(2027, 6, 30)
    assert term == 7  # Dec 1 → Jun 30 is 6 months and 29 days: rounded up


def test_won_line_without_a_current_end_runs_twelve_months() -> None:
    assert rules.won_line_term(date(2026, 12, 1), []) == (date(2027, 12, 1), 12)
    # Ends on or before the start are not a contract to align with.
    assert rules.won_line_term(date(2026, 12, 1), [date(2026, 12, 1)]) == (date(2027, 12, 1), 12)


def test_months_between() -> None:
    assert rules.months_between(date(2026, 1, 31), date(2026, 2, 28)) == 1
    assert rules.months_between(date(2026, 1, 15), date(2027, 1, 15)) == 12
    assert rules.months_between(date(2026, 1, 15), date(2027, 1, 16)) == 13
    assert rules.months_between(date(2026, 1, 15), date(2026, 1, 20)) == 1


def test_default_name() -> None:
    assert (
        rules.opportunity_name("Yappli CRM", "株式会社サンプル") == "Yappli CRM — 株式会社サンプル"
    )
    assert rules.opportunity_name(None, "株式会社サンプル") == "株式会社サンプル"
