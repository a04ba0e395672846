"""E-mail and Slack actions end to end: the evaluation queues ``notify.*`` jobs in its
transaction, a worker sends them to a real SMTP server (aiosmtpd) and a local HTTP server,
and a failed send is retried."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_account, make_user
from kizuna.auth.actor import Actor
from kizuna.config import Settings
from kizuna.db.session import Database
from kizuna.jobs.runner import Worker
from kizuna.models.enums import Role
from kizuna.models.job import Job, JobStatus
from kizuna.playbook import service
from kizuna.playbook.schemas import PlaybookCreate

SYSTEM = Actor.system("test")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it can connect)
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if Hook.fail_first > 0:
            Hook.fail_first -= 1
            self.send_response(500)
        else:
            Hook.received.append(json.loads(body))
            self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def slack() -> Iterator[str]:
    Hook.received, Hook.fail_first = [], 0
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _fire(session: Session, tmp_path: Path, actions: list[dict[str, Any]]) -> None:
    owner = make_user(session, Role.CSM, email="owner@example.jp", name="担当 花子")
    make_account(session, name="通知先", employee_count=150, csm_owner_id=owner.id)
    definition = {
        "trigger": {"type": "condition",
                    "condition": {"fact": "account.employee_count", "op": "gte", "value": 100}},
        "actions": actions,
    }  # fmt: skip
    service.create_playbook(session, SYSTEM, PlaybookCreate(key="notify", name="通知テスト",
                            definition=definition))  # fmt: skip
    service.publish(session, SYSTEM, "notify")
    service.run(session, SYSTEM, today=datetime.now(UTC).date(), zone="Asia/Tokyo",
                data_dir=tmp_path, public_url="https://kizuna.example.jp")  # fmt: skip
    session.commit()


def _drain(db: Database, settings: Settings, names: list[str]) -> None:
    worker = Worker(db, settings, names=names)
    while worker.run_once():
        pass


def test_email_owner_is_sent_after_the_evaluation_commits(
    db: Database, session: Session, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    _fire(session, tmp_path, [{
        "type": "email_owner", "owner": "csm", "subject": "{account}: 要対応",
        "body": "{owner} さん\n{why}\n{link}",
    }])  # fmt: skip
    job = session.scalar(select(Job).where(Job.name == "notify.email"))
    assert job is not None
    assert job.payload["to"] == "owner@example.jp"
    assert inbox.messages == []  # queued, not sent inside the evaluation
    settings = Settings(environment="test", data_dir=tmp_path, database_url="sqlite://",
                        smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                        smtp_from="kizuna@example.jp")  # fmt: skip
    _drain(db, settings, ["notify.email"])
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert str(make_header(decode_header(message["Subject"]))) == "通知先: 要対応"
    assert message["To"] == "owner@example.jp"
    body = message.get_payload(decode=True).decode("utf-8")
    assert body.startswith("担当 花子 さん")
    assert "従業員数" in body  # the why, in the owner's language
    assert "https://kizuna.example.jp/accounts/" in body
    session.expire_all()
    assert session.get(Job, job.id).status == JobStatus.DONE  # type: ignore[union-attr]


def test_slack_message_is_posted_and_retried_after_a_failure(
    db: Database, session: Session, tmp_path: Path, slack: str
) -> None:
    _fire(session, tmp_path, [{"type": "slack", "webhook_url": slack,
                               "text": "{account} を確認してください"}])  # fmt: skip
    Hook.fail_first = 1
    settings = Settings(environment="test", data_dir=tmp_path, database_url="sqlite://")
    worker = Worker(db, settings, names=["notify.slack"])
    assert worker.run_once()
    session.expire_all()
    job = session.scalar(select(Job).where(Job.name == "notify.slack"))
    assert job is not None
    assert job.status == JobStatus.QUEUED  # failed once, will be retried
    assert job.max_attempts == 5
    job.run_after = datetime.now(UTC)
    session.commit()
    _drain(db, settings, ["notify.slack"])
    assert Hook.received == [{"text": "通知先 を確認してください"}]


def test_without_smtp_settings_nothing_is_sent(
    db: Database, session: Session, tmp_path: Path
) -> None:
    _fire(session, tmp_path, [{"type": "email_owner", "subject": "s", "body": "b"}])
    settings = Settings(environment="test", data_dir=tmp_path, database_url="sqlite://")
    _drain(db, settings, ["notify.email"])
    session.expire_all()
    job = session.scalar(select(Job).where(Job.name == "notify.email"))
    assert job is not None
    assert job.status == JobStatus.DONE
    assert job.result["sent"] is False
