"""The official `segment-analytics-python` client, pointed at a live Kizuna with ``host=``,
delivers identify, group, track, page and alias calls, each stored exactly once."""

from __future__ import annotations

from collections import Counter
from typing import Any

from segment.analytics import Client
from sqlalchemy import select

from conftest import LiveServer
from kizuna.auth.actor import Actor
from kizuna.models import Account, Contact, EventInbox, UsageGroup, UsageUser
from kizuna.usage import sources
from kizuna.usage.source_schemas import SourceCreate


def test_segment_client_batches_arrive_once(live_server: LiveServer) -> None:
    with live_server.database.sessions() as session, session.begin():
        account = Account(name="Acme", external_id="ACME-1", custom_fields={})
        session.add(account)
        session.flush()
        session.add(
            Contact(account_id=account.id, name="Taro", email="taro@acme.jp", custom_fields={})
        )
        source, key = sources.create_source(
            session,
            Actor.system(),
            SourceCreate(name="Python app", trait_mapping={"employees": "employee_count"}),
        )
        account_id = account.id
    errors: list[Any] = []
    client = Client(
        key,
        host=live_server.url,
        gzip=True,
        upload_size=40,
        max_retries=2,
        on_error=lambda error, batch: errors.append(error),
    )
    client.identify("u-1", {"email": "taro@acme.jp", "name": "Taro"})
    client.group("u-1", "ACME-1", {"name": "Acme", "employees": 250})
    for i in range(150):
        client.track(f"u-{i % 7}", "Report Exported", {"n": i}, context={"groupId": "ACME-1"})
    client.page("u-1", "Docs", "Getting started", {"path": "/docs"})
    client.alias("anon-9", "u-9")
    # A retry of an already delivered event (same messageId) is stored once.
    client.track("u-1", "Login", message_id="fixed-id")
    client.track("u-1", "Login", message_id="fixed-id")
    client.flush()
    client.join()
    assert errors == []

    with live_server.database.sessions() as session, session.begin():
        rows = session.execute(
            select(EventInbox.type, EventInbox.message_id).where(EventInbox.source_id == source.id)
        ).all()
        assert Counter(t for t, _ in rows) == Counter(
            {"identify": 1, "group": 1, "track": 151, "page": 1, "alias": 1}
        )
        assert len({m for _, m in rows}) == len(rows)
        user = session.scalar(select(UsageUser).where(UsageUser.user_id == "u-1"))
        assert user is not None
        assert user.account_id == account_id
        assert user.contact_id is not None
        group = session.scalar(select(UsageGroup).where(UsageGroup.group_id == "ACME-1"))
        assert group is not None
        assert group.account_id == account_id
        refreshed = session.get(Account, account_id)
        assert refreshed is not None
        assert refreshed.employee_count == 250
