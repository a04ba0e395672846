"""Imports, saved mappings and exports through the REST API, on SQLite and PostgreSQL.

Validation and writes are queued jobs: the tests run them with the real Worker, inside
the test's rolled-back transaction (the ``db`` fixture's sessions join it).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import api_as
from kizuna.api import imports as imports_api
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.jobs.runner import Worker
from kizuna.models.enums import Role

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
JAPANESE = (FIXTURES / "japanese_accounts.csv").read_bytes()
HEADERS = ["会社名", "ドメイン", "業種", "従業員数", "地域", "外部ID"]


def run_jobs(db: Database, settings: Settings) -> int:
    """Run queued jobs until none is left; how many ran."""
    worker = Worker(db, settings)
    count = 0
    while worker.run_once():
        count += 1
    return count


def upload(
    client: TestClient,
    content: bytes = JAPANESE,
    filename: str = "japanese_accounts.csv",
    **form: Any,
) -> Any:
    data = {
        "kind": "accounts",
        **{k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()},
    }
    return client.post(
        "/api/v1/imports", data=data, files={"file": (filename, content, "text/csv")}
    )


def status(client: TestClient, run_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/imports/{run_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def import_through(
    client: TestClient, db: Database, settings: Settings, content: bytes, filename: str
) -> dict[str, Any]:
    """Upload (skipping bad rows), validate, confirm, write: the final status."""
    created = upload(client, content, filename, skip_invalid=True)
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    assert run_jobs(db, settings) == 1
    confirmed = client.post(f"/api/v1/imports/{run_id}/confirm")
    assert confirmed.status_code == 202, confirmed.text
    assert run_jobs(db, settings) == 1
    return status(client, run_id)


def test_upload_validate_fix_confirm_and_write(
    app_client: TestClient, session: Session, db: Database, settings: Settings
) -> None:
    api_as(app_client, session, Role.MANAGER)
    created = upload(app_client)
    assert created.status_code == 201, created.text
    run = created.json()
    assert (run["status"], run["job"]["status"], run["job"]["name"]) == (
        "validating",
        "queued",
        "importing.validate",
    )
    assert run["headers"] == HEADERS
    assert run["mapping"]["columns"]["name"] == "会社名"
    assert run["unmapped_required"] == []

    assert run_jobs(db, settings) == 1
    checked = status(app_client, run["id"])
    assert checked["status"] == "validated"
    assert checked["job"]["status"] == "done"
    assert checked["total_rows"] == 6
    assert checked["invalid_rows"] == 2
    assert checked["progress"]["done"] == 6, checked["progress"]
    problem = {"row", "column", "value", "code", "message"}
    assert all(set(p) == problem for p in checked["problems"])
    assert {(p["row"], p["column"]) for p in checked["problems"]} >= {(5, "従業員数")}
    assert any(p["value"] == "約30名" for p in checked["problems"])

    refused = app_client.post(f"/api/v1/imports/{run['id']}/confirm")
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_rows"

    fixed = app_client.put(
        f"/api/v1/imports/{run['id']}/mapping",
        json={"yaml": checked["mapping"]["yaml"], "skip_invalid": True},
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["status"], fixed.json()["skip_invalid"]) == ("validating", True)
    assert run_jobs(db, settings) == 1
    assert status(app_client, run["id"])["status"] == "validated"

    confirmed = app_client.post(f"/api/v1/imports/{run['id']}/confirm")
    assert confirmed.status_code == 202, confirmed.text
    assert confirmed.json()["job"]["name"] == "importing.execute"
    assert run_jobs(db, settings) == 1
    done = status(app_client, run["id"])
    assert done["status"] == "done"
    assert done["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "skipped": 2}

    report = app_client.get(f"/api/v1/imports/{run['id']}/problems.csv")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    assert f"import-{run['id']}-problems.csv" in report.headers["content-disposition"]
    assert report.content.startswith(b"\xef\xbb\xbf")
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,column,value,code,message"
    assert len(lines) == 1 + len(done["problems"])
    assert any("約30名" in line for line in lines[1:])

    listed = app_client.get("/api/v1/imports").json()["items"]
    assert [item["id"] for item in listed] == [run["id"]]


def test_mapping_with_an_unknown_target_is_named(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    yaml_text = "kind: accounts\ncolumns:\n  name: 会社名\n  favourite_colour: 業種\n"
    refused = upload(app_client, mapping=yaml_text)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["mapping", "columns", "favourite_colour"]
    assert "mapping.columns.favourite_colour" in refused.json()["detail"]

    run_id = upload(app_client, validate=False).json()["id"]
    put = app_client.put(f"/api/v1/imports/{run_id}/mapping", json={"yaml": yaml_text})
    assert put.status_code == 422
    assert "mapping.columns.favourite_colour" in put.json()["detail"]
    as_json = app_client.put(
        f"/api/v1/imports/{run_id}/mapping", json={"columns": {"nope": "会社名"}}
    )
    assert as_json.status_code == 422
    assert as_json.json()["errors"][0]["loc"] == ["mapping", "columns", "nope"]
    empty = app_client.put(f"/api/v1/imports/{run_id}/mapping", json={"skip_invalid": True})
    assert empty.status_code == 422


def test_saved_mappings_and_presets(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.MANAGER)
    body = {
        "name": "CRM月次",
        "kind": "accounts",
        "definition": {"columns": {"name": "会社名", "external_id": "外部ID"}},
    }
    created = app_client.post("/api/v1/import-mappings", json=body)
    assert created.status_code == 201, created.text
    mapping_id = created.json()["id"]
    assert created.json()["mapping"]["columns"] == {"name": "会社名", "external_id": "外部ID"}

    duplicate = app_client.post(
        "/api/v1/import-mappings",
        json={"name": "CRM月次", "kind": "accounts", "yaml": "columns: {name: 会社名}"},
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"][0]["field"] == "name"
    both = app_client.post("/api/v1/import-mappings", json={**body, "yaml": "columns: {}"})
    assert both.status_code == 422

    listed = app_client.get("/api/v1/import-mappings", params={"kind": "accounts"}).json()
    assert [m["name"] for m in listed["items"]] == ["CRM月次"]
    assert (
        app_client.get("/api/v1/import-mappings", params={"kind": "contacts"}).json()["items"] == []
    )
    assert app_client.get(f"/api/v1/import-mappings/{mapping_id}").json()["name"] == "CRM月次"

    used = upload(app_client, mapping_name="CRM月次", validate=False)
    assert used.status_code == 201, used.text
    assert used.json()["mapping"]["columns"] == {"name": "会社名", "external_id": "外部ID"}
    unknown = upload(app_client, mapping_name="ない", validate=False)
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "mapping_name")

    assert app_client.delete(f"/api/v1/import-mappings/{mapping_id}").status_code == 204
    assert app_client.get(f"/api/v1/import-mappings/{mapping_id}").status_code == 404

    presets = app_client.get("/api/v1/import-mappings/presets", params={"kind": "subscriptions"})
    assert presets.status_code == 200
    stripe = {p["name"]: p for p in presets.json()["items"]}["stripe-subscriptions"]
    assert stripe["signature"]
    assert stripe["description"]
    assert stripe["mapping"]["kind"] == "subscriptions"


def test_export_reimports_unchanged_and_snapshot_zip(
    app_client: TestClient, session: Session, db: Database, settings: Settings
) -> None:
    api_as(app_client, session, Role.MANAGER)
    first = import_through(app_client, db, settings, JAPANESE, "japanese_accounts.csv")
    assert first["counts"]["created"] == 4

    exported = app_client.get("/api/v1/exports/accounts")
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert "accounts-20" in exported.headers["content-disposition"]
    assert exported.content.startswith(b"\xef\xbb\xbf")
    again = import_through(app_client, db, settings, exported.content, "accounts.csv")
    assert again["invalid_rows"] == 0
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 4, "skipped": 0}

    parquet = app_client.get("/api/v1/exports/accounts", params={"format": "parquet"})
    assert parquet.status_code == 200
    assert parquet.content[:4] == b"PAR1"

    snapshot = app_client.get("/api/v1/exports/all")
    assert snapshot.status_code == 200
    assert snapshot.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(snapshot.content)).namelist()
    assert "manifest.json" in names
    assert "accounts.csv" in names
    assert app_client.get("/api/v1/exports/all", params={"format": "xml"}).status_code == 422


def test_csm_cannot_import_or_export(app_client: TestClient, session: Session) -> None:
    api_as(app_client, session, Role.CSM)
    assert upload(app_client).status_code == 403
    assert app_client.get("/api/v1/imports").status_code == 403
    assert app_client.get("/api/v1/exports/accounts").status_code == 403


def test_oversize_upload_is_refused(
    app_client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_as(app_client, session, Role.MANAGER)
    monkeypatch.setattr(imports_api, "MAX_UPLOAD_BYTES", 100)
    refused = upload(app_client)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert app_client.get("/api/v1/imports").json()["items"] == []
