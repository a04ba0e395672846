"""Pure parts of playbooks: definition validation (paths), texts, date windows, routing."""

from __future__ import annotations

import uuid
from datetime import date

import numpy as np
import pytest

from kizuna.facts.frame import FactSpec, Kind
from kizuna.kit.errors import Invalid
from kizuna.playbook.definition import Catalog, parse_definition, render_text, trigger_condition
from kizuna.playbook.engine import _date_hits
from kizuna.playbook.routing import AccountOwners, Person, Router

SEGMENT = uuid.uuid4()
SPECS = {
    s.key: s
    for s in (
        FactSpec("account.employee_count", Kind.NUMBER, "従業員数", "Employees", "account"),
        FactSpec("account.created_on", Kind.DATE, "登録日", "Created on", "account"),
        FactSpec("account.custom.go_live", Kind.DATE, "稼働日", "Go-live", "custom"),
        FactSpec("account.name", Kind.TEXT, "顧客名", "Name", "account"),
        FactSpec("signal.days_to_renewal", Kind.NUMBER, "更新まで", "To renewal", "revenue"),
    )
}
CATALOG = Catalog(
    specs=SPECS,
    segments={SEGMENT: "大企業"},
    user_emails=frozenset({"a@example.jp"}),
    custom_fields={"risk": "text"},
)


def paths(data: object) -> set[str]:
    with pytest.raises(Invalid) as caught:
        parse_definition(data, CATALOG)
    return {str(p.loc[1]) for p in caught.value.problems}


def test_defaults_are_filled_in_and_unknown_keys_refused() -> None:
    d = parse_definition(
        {"trigger": {"type": "nps_detractor"}, "actions": [{"type": "create_task", "title": "t"}]},
        CATALOG,
    )
    assert d.trigger == {"type": "nps_detractor", "max_score": 6}
    assert d.actions[0] == {
        "type": "create_task",
        "title": "t",
        "description": "",
        "steps": [],
        "due_in_days": 7,
        "priority": "normal",
        "assignee": "owner:csm",
    }
    assert d.data["audience"] == {"segment_id": None, "condition": None}
    assert paths({"trigger": {"type": "manual", "extra": 1}, "actions": [], "oops": 1}) == {
        "definition",
        "definition.trigger",
        "definition.actions",
    }


def test_every_bad_part_is_named() -> None:
    assert paths(
        {
            "trigger": {"type": "segment_entered", "segment_id": str(uuid.uuid4())},
            "audience": {"condition": {"fact": "nope", "op": "eq", "value": 1}},
            "touch_models": ["high_touch", "no_touch"],
            "actions": [
                {
                    "type": "create_task",
                    "title": "x",
                    "assignee": "user:b@example.jp",
                    "priority": "asap",
                    "due_in_days": -1,
                },
                {"type": "update_field", "field": "custom.unknown", "value": 1},
                {"type": "update_field", "field": "tags", "add": ["ok", "bad,tag"]},
                {"type": "slack", "text": "hi {nobody}", "webhook_url": "ftp://x"},
                {"type": "change_phase", "phase": "churned"},
                {"type": "dance"},
            ],
            "cooldown_days": 1.5,
        }
    ) == {
        "definition.trigger.segment_id",
        "definition.audience.condition.fact",
        "definition.touch_models[1]",
        "definition.actions[0].assignee",
        "definition.actions[0].priority",
        "definition.actions[0].due_in_days",
        "definition.actions[1].field",
        "definition.actions[2].add[1]",
        "definition.actions[3].text",
        "definition.actions[3].webhook_url",
        "definition.actions[4].phase",
        "definition.actions[5].type",
        "definition.cooldown_days",
    }


def test_triggers_needing_missing_facts_are_refused() -> None:
    assert paths(
        {
            "trigger": {"type": "phase_stalled", "days": 3},
            "actions": [{"type": "create_task", "title": "t"}],
        }
    ) == {"definition.trigger.type"}
    assert paths(
        {
            "trigger": {"type": "date_field", "fact": "account.name"},
            "actions": [{"type": "create_task", "title": "t"}],
        }
    ) == {"definition.trigger.fact"}


def test_trigger_conditions() -> None:
    d = parse_definition(
        {
            "trigger": {"type": "renewal_in", "days": 60},
            "actions": [{"type": "create_task", "title": "t"}],
        },
        CATALOG,
    )
    assert trigger_condition(d) == {
        "all": [
            {"fact": "signal.days_to_renewal", "op": "gte", "value": 0},
            {"fact": "signal.days_to_renewal", "op": "lte", "value": 60},
        ]
    }


def test_render_text_fills_known_placeholders_only() -> None:
    assert render_text("{account} → {link} {other}", {"account": "A社", "link": "https://x"}) == (
        "A社 → https://x {other}"
    )


def _dates(*values: str | None) -> np.ndarray:  # type: ignore[type-arg]
    return np.array([np.datetime64(v, "D") if v else np.datetime64("NaT") for v in values])


def test_date_window_with_offset() -> None:
    column = _dates("2026-07-07", "2026-07-08", None)
    hits = _date_hits(column, -7, False, date(2026, 6, 29), date(2026, 6, 30))
    assert hits.tolist() == [True, False, False]
    # A pause of three days is caught up.
    hits = _date_hits(column, -7, False, date(2026, 6, 27), date(2026, 7, 1))
    assert hits.tolist() == [True, True, False]


def test_anniversaries_from_the_first_year_on_and_29_february() -> None:
    column = _dates("2025-07-01", "2026-06-30", "2024-02-29")
    assert _date_hits(column, 0, True, date(2026, 6, 30), date(2026, 7, 1)).tolist() == [
        True,
        False,
        False,
    ]
    assert _date_hits(column, 0, True, date(2026, 6, 29), date(2026, 6, 30)).tolist() == [
        False,
        False,
        False,
    ]  # the date itself is not an anniversary
    assert _date_hits(column, 0, True, date(2027, 2, 27), date(2027, 2, 28)).tolist() == [
        False,
        False,
        True,
    ]


def test_routing_falls_back_and_takes_turns() -> None:
    team = uuid.uuid4()
    a, b, csm = (Person(uuid.uuid4(), n, f"{n}@x", "ja", team) for n in ("a", "b", "csm"))
    people = {p.id: p for p in (a, b, csm)}
    router = Router(people, {p.email: p.id for p in people.values()}, {team: [a.id, b.id]}, {})
    account = AccountOwners(
        uuid.uuid4(), "X", "tier1", {"csm": csm.id, "sales": None, "ae": None, "support": None}
    )
    assert router.route("owner:sales", account, None).assignee_id == csm.id  # fallback
    assert router.route("owner:sales", account, None).how == "fallback:csm"
    turns = [router.route("team:round_robin", account, team).assignee_id for _ in range(3)]
    assert turns == [a.id, b.id, a.id]
    queue = router.route("team:queue", account, team)
    assert (queue.assignee_id, queue.team_id) == (None, team)
    # No team at all: the CSM.
    assert router.route("team:round_robin", account, None).assignee_id == csm.id
