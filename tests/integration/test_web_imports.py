"""The import pages through HTTP, on SQLite and PostgreSQL: upload → map → check all rows →
confirm → result, the problem report, saved mappings, exports and who may use them.

The queued jobs run with ``Worker(db, settings).run_once()``: the worker's sessions join
the test's transaction through savepoints, like the app's, so nothing leaks between tests.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import PASSWORD, make_account, make_user
from kizuna.auth import service as auth
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.jobs.runner import Worker
from kizuna.models import Account, ImportRun
from kizuna.models.enums import Role
from kizuna.models.importing import ImportStatus
from kizuna.web.deps import SESSION_COOKIE

FIXTURE = Path(__file__).parents[1] / "fixtures" / "imports" / "japanese_accounts.csv"
IMPORTED = {"株式会社あさひ商事", "有限会社つばめ工房", "株式会社ミライ人材", "ＮＥＸＴ株式会社"}
_SELECT = re.compile(r'<select name="([^"]+)"[^>]*>(.*?)</select>', re.S)
_SELECTED = re.compile(r'<option value="([^"]*)" selected>')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def sign_in(client: TestClient, session: Session, role: Role) -> str:
    """Log ``client`` in as a new user with ``role`` (English pages); its CSRF token."""
    user = make_user(session, role, locale="en")
    opened = auth.login(session, user.email, PASSWORD, policy=auth.LoginPolicy())
    session.commit()
    client.cookies.set(SESSION_COOKIE, opened.token)
    return opened.csrf_token


def run_jobs(db: Database, settings: Settings) -> int:
    worker = Worker(db, settings)
    count = 0
    while worker.run_once():
        count += 1
    return count


def mapping_form(html: str) -> dict[str, str]:
    """The mapping form as a browser sends it (selects and hidden fields; no checkbox)."""
    form = html[html.index('data-testid="mapping-form"') :]
    form = form[: form.index("</form>")]
    values = dict(_HIDDEN.findall(form))
    for name, options in _SELECT.findall(form):
        chosen = _SELECTED.search(options)
        values[name] = chosen.group(1) if chosen else ""
    return values


def shown(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html)
    assert match, f"no {name} on the page"
    return match.group(1).strip()


def upload(client: TestClient, csrf: str, content: bytes, name: str = FIXTURE.name) -> str:
    response = client.post(
        "/imports",
        data={"kind": "accounts", "csrf_token": csrf},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/imports/[0-9a-f-]{36}", location)
    return location


def test_upload_map_check_confirm_and_result(
    app_client: TestClient, session: Session, db: Database, settings: Settings
) -> None:
    csrf = sign_in(app_client, session, Role.ADMIN)
    assert 'data-testid="upload-form"' in app_client.get("/imports").text
    url = upload(app_client, csrf, FIXTURE.read_bytes())

    page = app_client.get(url).text
    form = mapping_form(page)
    assert form["col:name"] == "会社名"
    assert form["col:external_id"] == "外部ID"
    assert form["col:employee_count"] == "従業員数"
    assert form["col:tier"] == ""
    assert "CSV · UTF-8 (BOM)" in page
    assert page.count('data-testid="preview-row"') == 5
    assert "有限会社つばめ工房" in page
    assert "約30名" in page

    # Check all rows: the job is queued, the page polls its progress.
    response = app_client.post(f"{url}/mapping", data=form, follow_redirects=False)
    assert response.status_code == 303
    page = app_client.get(url).text
    assert f'hx-get="{url}/progress"' in page
    assert app_client.get(f"{url}/progress").status_code == 200
    assert run_jobs(db, settings) == 1
    assert app_client.get(f"{url}/progress").headers["hx-refresh"] == "true"

    page = app_client.get(url).text
    assert shown(page, "rows-total") == "6"
    assert shown(page, "rows-rejected") == "2"
    assert page.count('data-testid="problem-row"') == 2
    assert re.search(r'data-testid="confirm"\s+disabled', page)
    assert 'data-testid="confirm-blocked"' in page
    refused = app_client.post(f"{url}/confirm", data={"csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 303
    run = session.scalars(select(ImportRun)).one()
    assert run.status is ImportStatus.VALIDATED

    report = app_client.get(f"{url}/problems.csv")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    text = report.content.decode("utf-8-sig")
    assert "約30名" in text
    assert "CRM-0001" in text

    # Skip the bad rows, check again, confirm, run the write.
    app_client.post(f"{url}/mapping", data={**form, "skip_invalid": "true"})
    assert run_jobs(db, settings) == 1
    page = app_client.get(url).text
    assert not re.search(r'data-testid="confirm"\s+disabled', page)
    assert shown(page, "rows-valid") == "4"
    response = app_client.post(f"{url}/confirm", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert run_jobs(db, settings) == 1

    page = app_client.get(url).text
    assert shown(page, "count-created") == "4"
    assert shown(page, "count-skipped") == "2"
    assert 'href="/portfolio"' in page
    names = set(session.scalars(select(Account.name).where(Account.external_id.like("CRM-%"))))
    assert names == {
        "株式会社あさひ商事",
        "有限会社つばめ工房",
        "株式会社ミライ人材",
        "ＮＥＸＴ株式会社",
    }

    history = app_client.get("/imports").text
    assert history.count('data-testid="history-row"') == 1
    assert f'href="{url}"' in history
    assert 'data-status="done"' in history


def test_save_a_mapping_and_use_it_for_the_next_file(
    app_client: TestClient, session: Session
) -> None:
    csrf = sign_in(app_client, session, Role.MANAGER)
    url = upload(app_client, csrf, FIXTURE.read_bytes())
    form = mapping_form(app_client.get(url).text)
    form["col:region"] = ""  # the user leaves a column out before saving
    response = app_client.post(
        f"{url}/save-mapping", data={**form, "name": "月次CRM"}, follow_redirects=False
    )
    assert response.status_code == 303
    duplicate = app_client.post(f"{url}/save-mapping", data={**form, "name": "月次CRM"})
    assert duplicate.status_code == 422

    index = app_client.get("/imports").text
    saved_id = re.search(r'<option value="([0-9a-f-]{36})" >月次CRM</option>', index)
    assert saved_id, index
    response = app_client.post(
        "/imports",
        data={"kind": "accounts", "csrf_token": csrf, "saved_mapping": saved_id.group(1)},
        files={"file": ("next.csv", FIXTURE.read_bytes(), "text/csv")},
        follow_redirects=False,
    )
    second = mapping_form(app_client.get(response.headers["location"]).text)
    assert second["col:name"] == "会社名"
    assert second["col:region"] == ""


def test_unreadable_uploads_are_explained(app_client: TestClient, session: Session) -> None:
    csrf = sign_in(app_client, session, Role.ADMIN)
    for name, content in [("empty.csv", b""), ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")]:
        response = app_client.post(
            "/imports",
            data={"kind": "accounts", "csrf_token": csrf},
            files={"file": (name, content, "application/octet-stream")},
        )
        assert response.status_code == 422
        assert 'data-testid="file-error"' in response.text
    missing = app_client.post("/imports", data={"kind": "accounts", "csrf_token": csrf})
    assert missing.status_code == 422
    assert session.scalars(select(ImportRun)).all() == []


def test_export_downloads(app_client: TestClient, session: Session) -> None:
    sign_in(app_client, session, Role.MANAGER)
    make_account(session, name="株式会社エクスポート", external_id="EXP-1")
    session.commit()

    response = app_client.get("/imports/export?kind=accounts&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("id,")
    assert "株式会社エクスポート" in text

    everything = app_client.get("/imports/export?kind=all&format=csv")
    assert everything.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(everything.content)).namelist()
    assert {"accounts.csv", "contacts.csv", "manifest.json"} <= set(names)


def test_only_importers_see_the_import_pages(app_client: TestClient, session: Session) -> None:
    sign_in(app_client, session, Role.CSM)
    assert app_client.get("/imports").status_code == 403
    assert app_client.get("/imports/export?kind=accounts&format=csv").status_code == 403
    assert 'href="/imports"' not in app_client.get("/portfolio").text
