"""Usage metrics through the REST API and the pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as, make_account, make_line, make_product
from kizuna.auth.actor import Actor
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.kit.clock import today
from kizuna.kit.errors import Invalid
from kizuna.models.account import Account
from kizuna.models.enums import Role
from kizuna.usage import catalogue, compute, importer
from kizuna.usage.store import EventStore
from webtools import csrf_of, web_login

SYSTEM = Actor.system("test")


@pytest.fixture
def used_account(db: Database, session: Session, settings: Settings) -> Account:
    """An account with two weeks of Logins by three users, metrics computed."""
    account = make_account(session, external_id="USE-1", name="利用テスト株式会社")
    make_line(
        session, account, make_product(session), mrr=5000, start=today() - timedelta(90), quantity=6
    )
    start = datetime.now(UTC) - timedelta(days=14)
    n = 14 * 6
    table = pa.table(
        {
            "message_id": [f"e{i}" for i in range(n)],
            "event": ["Login"] * n,
            "user_id": [f"u{i % 3}" for i in range(n)],
            "group_id": ["USE-1"] * n,
            "timestamp": pa.array(
                [start + timedelta(hours=4 * i) for i in range(n)], pa.timestamp("ms", tz="UTC")
            ),
        }
    )
    path = settings.data_dir / "in.parquet"
    pq.write_table(table, path)
    importer.import_events(session, SYSTEM, EventStore.under(settings.data_dir), path)
    session.commit()
    with db.sessions() as own:
        compute.run(own, SYSTEM, compute.Options(data_dir=settings.data_dir))
    return account


def test_metric_crud_and_errors_name_the_field(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    body = {
        "key": "weekly_exports",
        "name": "エクスポート数",
        "kind": "count",
        "params": {"events": ["Export Downloaded"]},
        "grains": ["week"],
    }
    created = app_client.post("/api/v1/usage/metrics", json=body)
    assert created.status_code == 201, created.text
    metric = created.json()
    assert (metric["builtin"], metric["grains"]) == (False, ["week"])

    again = app_client.post("/api/v1/usage/metrics", json=body)
    assert again.status_code == 422
    assert "key" in again.text

    bad = app_client.post(
        "/api/v1/usage/metrics", json={**body, "key": "sum_x", "kind": "sum", "params": {}}
    )
    assert bad.status_code == 422
    assert "property" in bad.text

    derived = app_client.post(
        "/api/v1/usage/metrics",
        json={
            "key": "exports_change",
            "name": "増減",
            "kind": "pct_change",
            "params": {"metric": "weekly_exports"},
            "grains": ["week", "month"],
        },
    )
    assert derived.status_code == 422  # weekly_exports has no monthly values
    assert "grain_missing" in derived.text
    derived = app_client.post(
        "/api/v1/usage/metrics",
        json={
            "key": "exports_change",
            "name": "増減",
            "kind": "pct_change",
            "params": {"metric": "weekly_exports"},
            "grains": ["week"],
        },
    )
    assert derived.status_code == 201, derived.text

    patched = app_client.patch(
        f"/api/v1/usage/metrics/{metric['id']}", json={"name": "週次エクスポート"}
    )
    assert patched.json()["name"] == "週次エクスポート"
    in_use = app_client.delete(f"/api/v1/usage/metrics/{metric['id']}")
    assert in_use.status_code == 409
    assert app_client.delete(f"/api/v1/usage/metrics/{derived.json()['id']}").status_code == 204
    assert app_client.delete(f"/api/v1/usage/metrics/{metric['id']}").status_code == 204

    builtin = next(m for m in app_client.get("/api/v1/usage/metrics").json() if m["builtin"])
    assert app_client.delete(f"/api/v1/usage/metrics/{builtin['id']}").status_code == 409


def test_account_series_and_overview(
    app_client: TestClient, session: Session, used_account: Account
) -> None:
    api_as(app_client, session, Role.READ_ONLY)
    url = f"/api/v1/accounts/{used_account.id}/usage"
    daily = app_client.get(url, params={"metric": ["events", "active_users"], "grain": "day"})
    assert daily.status_code == 200, daily.text
    series = {m["key"]: m["points"] for m in daily.json()["metrics"]}
    assert sum(p["value"] for p in series["events"]) == 84
    assert max(p["value"] for p in series["active_users"]) == 3

    unknown = app_client.get(url, params={"metric": "nope"})
    assert unknown.status_code == 422
    assert "metric" in unknown.text
    missing = app_client.get("/api/v1/accounts/00000000-0000-0000-0000-000000000000/usage")
    assert missing.status_code == 404

    overview = app_client.get(
        "/api/v1/usage/overview", params={"metric": ["events", "seat_utilisation"]}
    )
    assert overview.status_code == 200, overview.text
    row = next(r for r in overview.json()["items"] if r["account_id"] == str(used_account.id))
    assert row["values"]["events"] > 0
    assert 0 < row["values"]["seat_utilisation"] <= 0.5  # 3 users on 6 seats
    assert app_client.get("/api/v1/usage/overview", params={"sort": "x"}).status_code == 422


def test_compute_is_queued_once(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.ADMIN)
    first = app_client.post("/api/v1/usage/compute", json={})
    assert first.status_code == 202
    assert first.json()["job_id"]
    assert app_client.post("/api/v1/usage/compute", json={}).json()["job_id"] is None


def test_yaml_round_trip_and_problems_by_key(session: Session) -> None:
    text = catalogue.export_catalogue(session, SYSTEM)
    document = yaml.safe_load(text)
    assert document["metrics"]["events"]["kind"] == "count"
    document["metrics"]["events"]["name"] = "全イベント数"
    document["metrics"]["yaml_made"] = {"name": "YAML", "kind": "active_days", "grains": ["week"]}
    counts = catalogue.import_catalogue(session, SYSTEM, yaml.safe_dump(document))
    assert counts["created"] == 1
    assert counts["updated"] == 1
    bad = {"metrics": {"broken": {"name": "x", "kind": "ratio", "params": {"numerator": "zz"}}}}
    with pytest.raises(Invalid) as caught:
        catalogue.import_catalogue(session, SYSTEM, yaml.safe_dump(bad))
    locations = {p.loc for p in caught.value.problems}
    assert ("metrics", "broken", "params", "numerator") in locations
    assert ("metrics", "broken", "params", "denominator") in locations


def test_pages(app_client: TestClient, session: Session, used_account: Account) -> None:
    web_login(app_client, session, Role.ADMIN)
    overview = app_client.get("/usage")
    assert overview.status_code == 200
    assert "利用テスト株式会社" in overview.text
    assert 'href="/usage/debugger"' in overview.text
    panel = app_client.get(f"/accounts/{used_account.id}/usage-panel?grain=day")
    assert panel.status_code == 200
    assert 'data-testid="usage-panel"' in panel.text
    assert "usage-chart-events" in panel.text
    detail = app_client.get(f"/accounts/{used_account.id}")
    assert f'hx-get="/accounts/{used_account.id}/usage-panel"' in detail.text

    form = app_client.get("/admin/metrics/new")
    bad = app_client.post(
        "/admin/metrics/new",
        data={
            "csrf_token": csrf_of(form.text),
            "key": "prop_sum",
            "name": "合計",
            "kind": "sum",
            "grains": "week",
            "enabled": "true",
        },
    )
    assert bad.status_code == 422
    assert 'data-testid="error-property"' in bad.text
    good = app_client.post(
        "/admin/metrics/new",
        data={
            "csrf_token": csrf_of(form.text),
            "key": "prop_sum",
            "name": "合計",
            "kind": "sum",
            "grains": "week",
            "property": "rows",
            "events": "Export, Login",
            "enabled": "true",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text
    listing = app_client.get("/admin/metrics")
    assert "prop_sum" in listing.text


def test_viewer_reads_usage_but_cannot_edit_metrics(
    app_client: TestClient, session: Session, tmp_path: Path
) -> None:
    web_login(app_client, session, Role.READ_ONLY)
    assert app_client.get("/usage").status_code == 200
    assert app_client.get("/admin/metrics").status_code == 200
    assert app_client.get("/admin/metrics/new").status_code == 403
