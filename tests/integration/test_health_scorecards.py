"""Scorecards (versions, publish, YAML, assignment) and daily scores on a small planted
company, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_line, make_product, make_survey_response, make_user
from kizuna.auth.actor import Actor
from kizuna.auth.service import actor_for_user
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.health import schedule, scorecards, service, snapshots
from kizuna.health.definition import default_definition
from kizuna.health.explain import expanded
from kizuna.health.schemas import AppliesTo, ScorecardCreate, ScorecardUpdate
from kizuna.jobs.runner import Worker
from kizuna.jobs.schedules import ensure_default_schedules
from kizuna.kit.clock import utc_now
from kizuna.kit.errors import Conflict, Invalid
from kizuna.models.audit import AuditEvent
from kizuna.models.enums import Role, Tier
from kizuna.models.health import HealthScore, HealthScorecardVersion, HealthScoreHistory
from kizuna.models.job import Job, JobStatus
from kizuna.scheduler import service as scheduler

TODAY = date(2026, 11, 23)
WEEK_AGO = TODAY - timedelta(days=7)
SYSTEM = Actor.system("test")


def nps_definition(best: float = 10.0) -> dict[str, Any]:
    return {
        "groups": [{"key": "engagement", "name": "関係性", "weight": 1.0}],
        "measures": [
            {
                "key": "nps",
                "name": "NPS",
                "group": "engagement",
                "signal": "nps_latest",
                "weight": 1.0,
                "scoring": {"kind": "linear", "worst": 0.0, "best": best},
                "missing": "exclude",
            }
        ],
        "min_coverage": 0.0,
    }


def create(
    session: Session,
    key: str = "paying",
    *,
    tiers: list[Tier] | None = None,
    priority: int = 10,
    actor: Actor = SYSTEM,
) -> None:
    scorecards.create_scorecard(
        session,
        actor,
        ScorecardCreate(
            key=key,
            name=f"{key} スコアカード",
            applies_to=AppliesTo(tiers=tiers if tiers is not None else list(Tier)),
            priority=priority,
            definition=nps_definition(),
        ),
    )


def versions(session: Session, key: str) -> list[tuple[int, str]]:
    card = scorecards.load_scorecard(session, key)
    return [(v.number, v.status) for v in scorecards.versions_of(session, card.id)]


def test_editing_a_published_scorecard_creates_a_draft_and_publish_retires(
    session: Session,
) -> None:
    actor = actor_for_user(make_user(session, Role.ADMIN, name="管理 花子"))
    create(session, actor=actor)
    assert versions(session, "paying") == [(1, "draft")]
    scorecards.update_scorecard(
        session, actor, "paying", ScorecardUpdate(definition=nps_definition(9), note="9 is top")
    )
    assert versions(session, "paying") == [(1, "draft")]  # a draft is edited in place
    scorecards.publish(session, actor, "paying")
    assert versions(session, "paying") == [(1, "published")]
    scorecards.update_scorecard(
        session, actor, "paying", ScorecardUpdate(definition=nps_definition(8), note="8 is top")
    )
    assert versions(session, "paying") == [(2, "draft"), (1, "published")]
    scorecards.publish(session, actor, "paying")
    assert versions(session, "paying") == [(2, "published"), (1, "retired")]
    with pytest.raises(Conflict):
        scorecards.publish(session, actor, "paying")

    detail = scorecards.get_scorecard(session, actor, "paying")
    assert detail.published_version == 2
    assert detail.draft_version is None
    assert detail.definition["measures"][0]["scoring"]["best"] == 8
    assert [v.note for v in detail.versions] == ["8 is top", "9 is top"]
    assert {v.created_by_name for v in detail.versions} == {"管理 花子"}
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "health_scorecard")
    ).all()
    assert actions.count("health_scorecard.publish") == 2
    assert session.scalar(select(Job).where(Job.name == "health.rescore")) is not None


def test_definition_problems_name_the_field(session: Session) -> None:
    document = nps_definition()
    document["measures"][0]["signal"] = "no_such_signal"
    with pytest.raises(Invalid) as caught:
        scorecards.create_scorecard(
            session, SYSTEM, ScorecardCreate(key="bad", name="悪い", definition=document)
        )
    assert caught.value.problems[0].loc == ("body", "definition", "measures", 0, "signal")
    document = nps_definition()
    document["measures"][0]["scoring"] = {"kind": "linear", "worst": 1, "best": 1}
    with pytest.raises(Invalid) as caught:
        scorecards.create_scorecard(
            session, SYSTEM, ScorecardCreate(key="bad", name="悪い", definition=document)
        )
    assert caught.value.problems[0].loc == ("body", "definition", "measures", 0, "scoring")


def test_yaml_round_trip(session: Session) -> None:
    text = scorecards.export_yaml(session, SYSTEM, "default")
    document = yaml.safe_load(text)
    assert document["key"] == "default"
    assert len(document["definition"]["measures"]) >= 12
    document["key"] = "copy"
    result = scorecards.import_yaml(session, SYSTEM, yaml.safe_dump(document, allow_unicode=True))
    assert result.created
    assert result.version == 1
    copy = scorecards.get_scorecard(session, SYSTEM, "copy")
    assert copy.definition == scorecards.get_scorecard(session, SYSTEM, "default").definition
    # Importing over a published scorecard makes a new draft.
    result = scorecards.import_yaml(session, SYSTEM, text)
    assert not result.created
    assert versions(session, "default") == [(2, "draft"), (1, "published")]
    with pytest.raises(Invalid) as caught:
        scorecards.import_yaml(session, SYSTEM, "key: [unclosed")
    assert caught.value.problems[0].loc == ("file",)


def test_the_most_specific_highest_priority_scorecard_wins(session: Session) -> None:
    create(session, "tier1", tiers=[Tier.TIER1], priority=5)
    create(session, "everyone", tiers=[], priority=1)
    scorecards.publish(session, SYSTEM, "tier1")
    scorecards.publish(session, SYSTEM, "everyone")
    active = scorecards.active_scorecards(session)
    chosen = scorecards.assign(active, [("a", "tier1", None), ("b", "tier2", None)])
    assert {k: v.scorecard.key for k, v in chosen.items()} == {"a": "tier1", "b": "everyone"}
    chosen = scorecards.assign(
        [a for a in active if a.scorecard.key != "everyone"], [("b", "tier3", "onboarding")]
    )
    assert chosen["b"].scorecard.key == "default"


def plant(session: Session) -> dict[str, Any]:
    """A (NPS 6 → 10), B (NPS 8 → 2), C (a customer until 5 days ago), D (never paid)."""
    product = make_product(session)
    accounts = {}
    for name, tier in (("A", Tier.TIER1), ("B", Tier.TIER2), ("C", Tier.TIER3), ("D", None)):
        accounts[name] = make_account(session, name=f"株式会社{name}", tier=tier)
    start = TODAY - timedelta(days=400)
    make_line(session, accounts["A"], product, mrr=100_000, start=start)
    make_line(session, accounts["B"], product, mrr=50_000, start=start)
    make_line(
        session, accounts["C"], product, mrr=30_000, start=start, end=TODAY - timedelta(days=5)
    )
    for name, before, after in (("A", 6, 10), ("B", 8, 2), ("C", 7, 7)):
        make_survey_response(
            session, accounts[name], score=before, responded_on=TODAY - timedelta(days=30)
        )
        make_survey_response(
            session, accounts[name], score=after, responded_on=TODAY - timedelta(days=3)
        )
    return accounts


def rescore(session: Session, tmp_path: Path, day: date) -> service.RescoreResult:
    return service.rescore_all(session, SYSTEM, data_dir=tmp_path, zone="Asia/Tokyo", today=day)


def test_rescore_scores_customers_explains_and_tracks_change(
    session: Session, tmp_path: Path
) -> None:
    accounts = plant(session)
    create(session)
    scorecards.publish(session, SYSTEM, "paying")
    first = rescore(session, tmp_path, WEEK_AGO)
    assert first.accounts == 3  # A, B, C; D never paid
    version_1 = scorecards.active_scorecards(session)[0].version.id

    scorecards.update_scorecard(
        session, SYSTEM, "paying", ScorecardUpdate(definition=nps_definition())
    )
    scorecards.publish(session, SYSTEM, "paying")
    result = rescore(session, tmp_path, TODAY)
    assert result.accounts == 2
    assert result.scorecards == {"paying": 2}
    assert result.bands == {"green": 1, "yellow": 0, "red": 1, "unknown": 0}

    scores = {s.account_id: s for s in session.scalars(select(HealthScore))}
    assert set(scores) == {accounts["A"].id, accounts["B"].id}  # C's stale score is gone
    a = scores[accounts["A"].id]
    assert (a.score, a.band, a.score_7d_ago, a.change_7d) == (100.0, "green", 60.0, 40.0)
    explanation = expanded(a.explanation, scorecards.active_scorecards(session)[0].definition)
    measure = explanation["measures"][0]
    assert (measure["value"], measure["points"], measure["contribution"]) == (10.0, 100.0, 100.0)
    assert (measure["previous_value"], measure["previous_points"]) == (6.0, 60.0)
    assert measure["observed_on"] == (TODAY - timedelta(days=3)).isoformat()
    assert explanation["changes"] == [{"key": "nps", "delta": 40.0}]
    assert explanation["previous_on"] == WEEK_AGO.isoformat()

    history = {(h.account_id, h.scored_on): h for h in session.scalars(select(HealthScoreHistory))}
    assert history[(accounts["A"].id, WEEK_AGO)].version_id == version_1  # kept
    assert history[(accounts["A"].id, TODAY)].version_id != version_1
    assert history[(accounts["A"].id, TODAY)].measures == {"nps": [10.0, 100.0]}
    assert (accounts["C"].id, WEEK_AGO) in history
    assert (accounts["C"].id, TODAY) not in history

    assert snapshots.dropped(session, points=50) == {accounts["B"].id: 60.0}
    assert snapshots.dropped(session, points=61) == {}
    page = service.list_scores(session, SYSTEM, service.ScoreFilters(dropped_by=50))
    assert [s.account_id for s in page.items] == [accounts["B"].id]
    # Over 10 days: compared with the latest snapshot on or before day −10 (within a
    # week), i.e. the one 7 days back is too recent and nothing older exists.
    page = service.list_scores(session, SYSTEM, service.ScoreFilters(dropped_by=50, days=10))
    assert page.items == []
    page = service.list_scores(session, SYSTEM, service.ScoreFilters(bands=["green"]))
    assert [s.account_id for s in page.items] == [accounts["A"].id]
    with pytest.raises(Invalid):
        service.list_scores(session, SYSTEM, service.ScoreFilters(bands=["purple"]))


def test_rescoring_twice_is_idempotent_and_backfill_writes_weekly_history(
    session: Session, tmp_path: Path
) -> None:
    plant(session)
    create(session)
    scorecards.publish(session, SYSTEM, "paying")
    rows = service.backfill(
        session, SYSTEM, data_dir=tmp_path, zone="Asia/Tokyo", today=TODAY, days=28
    )
    assert service.backfill_days(TODAY, 28) == [TODAY - timedelta(days=d) for d in (28, 21, 14, 7)]
    assert rows == 12  # A, B and C were customers on each of the 4 days
    rescore(session, tmp_path, TODAY)
    again = rescore(session, tmp_path, TODAY)
    assert again.accounts == 2
    days = session.scalars(select(HealthScoreHistory.scored_on).distinct()).all()
    assert sorted(days) == [*service.backfill_days(TODAY, 28), TODAY]
    assert session.query(HealthScore).count() == 2


def test_no_published_scorecard_scores_nobody(session: Session, tmp_path: Path) -> None:
    plant(session)
    for version in session.scalars(select(HealthScorecardVersion)):
        version.status = "retired"
    session.flush()
    result = rescore(session, tmp_path, TODAY)
    assert result.accounts == 0
    assert session.query(HealthScore).count() == 0


def test_the_migration_seeds_the_default_dear_scorecard_published(session: Session) -> None:
    detail = scorecards.get_scorecard(session, SYSTEM, "default")
    assert detail.is_default
    assert detail.published_version == 1
    assert detail.definition == default_definition().model_dump(mode="json")
    scorecards.check_definition(session, detail.definition)  # every signal is known


def test_the_daily_schedule_queues_the_rescore_at_five_in_the_morning_local_time(
    db: Database, settings: Settings
) -> None:
    with db.sessions() as session, session.begin():
        ensure_default_schedules(session, "Asia/Tokyo")
        rescore = scheduler.get_schedule(session, SYSTEM, schedule.RESCORE_JOB)
        due = rescore.next_run_at
        assert due.astimezone(UTC).hour == 20  # 05:00 in Tokyo

        def rescores(jobs: list[Job]) -> list[Job]:  # other default schedules may be due too
            return [job for job in jobs if job.name == schedule.RESCORE_JOB]

        assert rescores(scheduler.tick(session, due - timedelta(seconds=1))) == []
        (job,) = rescores(scheduler.tick(session, due))
        assert (job.name, job.singleton_key) == (schedule.RESCORE_JOB, schedule.RESCORE_JOB)
        assert rescores(scheduler.tick(session, due)) == []  # advanced to tomorrow's 05:00
        assert scheduler.get_schedule(session, SYSTEM, schedule.RESCORE_JOB).next_run_at == (
            due + timedelta(days=1)
        )


def test_the_rescore_job_scores_and_does_not_queue_itself_again(
    db: Database, settings: Settings
) -> None:
    with db.sessions() as session, session.begin():
        plant(session)
        assert schedule.request_rescore(session) is not None
        assert schedule.request_rescore(session) is None  # one waits already
        job = session.scalar(select(Job).where(Job.name == schedule.RESCORE_JOB))
        assert job is not None
        assert job.singleton_key == schedule.RESCORE_JOB
        assert job.run_after > utc_now()  # requests within 30 seconds share this run
        job.run_after = utc_now()
    worker = Worker(db, settings, names=[schedule.RESCORE_JOB])
    assert worker.run_once()
    with db.sessions() as session:
        done = session.scalar(
            select(Job).where(Job.name == schedule.RESCORE_JOB, Job.status == JobStatus.DONE)
        )
        assert done is not None, "the rescore did not finish"
        assert done.result["accounts"] == 2  # A and B pay today; C stopped, D never paid
        waiting = session.scalars(
            select(Job).where(Job.name == schedule.RESCORE_JOB, Job.status == JobStatus.QUEUED)
        ).all()
        assert waiting == []  # the daily run is the schedule's, not a chain of jobs
    assert not worker.run_once()
