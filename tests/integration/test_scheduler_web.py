"""The /admin/jobs page: schedules with their last run, recent runs, polling partials, and
"Run now" / "Pause" / "Resume" for administrators only (CSRF-protected)."""

from __future__ import annotations

from datetime import time, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kizuna.kit.clock import utc_now
from kizuna.models.enums import Role
from kizuna.models.job import Job, JobStatus
from kizuna.models.schedule import RunStatus, Schedule
from kizuna.queue import service as queue
from kizuna.scheduler import service as scheduler
from kizuna.scheduler.cadence import Cadence
from webtools import csrf_of, web_login


def _plant(session: Session) -> None:
    scheduler.ensure_schedule(
        session, "test.daily", "health.rescore", Cadence.daily(time(5, 0)), zone="Asia/Tokyo"
    )
    scheduler.ensure_schedule(
        session, "test.weekly", "test.web.weekly", Cadence.weekly(0, time(4, 0)), zone="UTC"
    )
    session.execute(
        update(Schedule)
        .where(Schedule.key == "test.weekly")
        .values(
            last_status=RunStatus.FAILED,
            last_started_at=utc_now() - timedelta(minutes=3),
            last_finished_at=utc_now() - timedelta(minutes=1),
            last_duration_seconds=125.0,
            last_error="Traceback (most recent call last):\nValueError: the moon is down",
            consecutive_failures=3,
        )
    )
    done = queue.enqueue(session, "test.web.weekly", {})
    session.execute(
        update(Job)
        .where(Job.id == done.id)
        .values(
            status=JobStatus.FAILED,
            started_at=utc_now() - timedelta(seconds=90),
            finished_at=utc_now(),
            attempts=3,
            locked_by="host:42:abc123",
            error="Traceback (most recent call last):\nValueError: the moon is down",
        )
    )
    queue.enqueue(session, "health.rescore", {})


def test_a_manager_sees_schedules_and_runs_in_japanese_without_admin_buttons(
    app_client: TestClient, session: Session
) -> None:
    _plant(session)
    web_login(app_client, session, Role.MANAGER)
    page = app_client.get("/admin/jobs")
    assert page.status_code == 200
    html = page.text
    assert "ジョブとスケジュール" in html
    assert 'href="/admin/jobs"' in html  # in the settings navigation
    assert "毎日 05:00" in html
    assert "毎週月曜日 04:00" in html
    assert "(UTC)" in html
    assert "ヘルススコア再計算" in html  # job names through the label filter
    assert 'data-status="failed"' in html
    assert "the moon is down" in html
    assert "2 分 5 秒" in html  # 125 s, readable
    assert "1 分 30 秒" in html  # the failed run's duration
    assert "host:42:abc123" in html
    assert 'hx-get="/admin/jobs/schedules"' in html
    assert 'hx-trigger="every 5s' in html
    assert 'id="runs-chart"' in html
    assert "今すぐ実行" not in html
    assert "/pause" not in html


def test_filters_narrow_the_runs(app_client: TestClient, session: Session) -> None:
    _plant(session)
    web_login(app_client, session, Role.MANAGER)
    html = app_client.get("/admin/jobs", params={"status": "failed"}).text
    assert 'hx-get="/admin/jobs/runs?status=failed"' in html
    runs = app_client.get("/admin/jobs/runs", params={"status": "failed"}).text
    assert runs.count("data-job-id=") >= 1
    assert 'data-status="queued"' not in runs
    by_name = app_client.get("/admin/jobs/runs", params={"name": "health.rescore"}).text
    assert by_name.count("data-job-id=") == 1
    assert 'data-status="queued"' in by_name
    ignored = app_client.get("/admin/jobs/runs", params={"status": "lost"})
    assert ignored.status_code == 200  # an unknown status is no filter


def test_an_admin_runs_pauses_and_resumes(app_client: TestClient, session: Session) -> None:
    _plant(session)
    web_login(app_client, session, Role.ADMIN)
    page = app_client.get("/admin/jobs")
    assert "今すぐ実行" in page.text
    token = csrf_of(page.text)
    ran = app_client.post(
        "/admin/jobs/schedules/test.weekly/run", data={"csrf_token": token}, follow_redirects=False
    )
    assert ran.status_code == 303
    assert ran.headers["location"] == "/admin/jobs"
    queued = session.scalars(
        select(Job).where(Job.name == "test.web.weekly", Job.status == JobStatus.QUEUED)
    ).all()
    assert len(queued) == 1
    assert queued[0].singleton_key == "test.web.weekly"

    paused = app_client.post(
        "/admin/jobs/schedules/test.weekly/pause", data={"csrf_token": token}, follow_redirects=True
    )
    assert "スケジュールを一時停止しました。" in paused.text
    assert 'data-testid="paused"' in paused.text
    assert 'action="/admin/jobs/schedules/test.weekly/resume"' in paused.text
    app_client.post("/admin/jobs/schedules/test.weekly/resume", data={"csrf_token": token})
    session.expire_all()
    assert session.scalars(select(Schedule.enabled).where(Schedule.key == "test.weekly")).one()

    forged = app_client.post("/admin/jobs/schedules/test.weekly/pause", data={})
    assert forged.status_code == 403
    missing = app_client.post("/admin/jobs/schedules/test.nothing/run", data={"csrf_token": token})
    assert missing.status_code == 404


def test_partials_and_who_may_see_the_page(app_client: TestClient, session: Session) -> None:
    _plant(session)
    web_login(app_client, session, Role.CSM)
    assert app_client.get("/admin/jobs").status_code == 403
    assert 'href="/admin/jobs"' not in app_client.get("/portfolio").text
    web_login(app_client, session, Role.MANAGER)
    schedules = app_client.get("/admin/jobs/schedules")
    assert schedules.status_code == 200
    assert '<div id="job-schedules"' in schedules.text
    assert "<html" not in schedules.text
    token = csrf_of(app_client.get("/admin/jobs").text)
    denied = app_client.post(
        "/admin/jobs/schedules/test.daily/run", data={"csrf_token": token}, follow_redirects=False
    )
    assert denied.status_code == 403
