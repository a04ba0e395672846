"""A playbook's definition: when (trigger) / who (audience) / how (touch models) / what
(actions), plus the cooldown. Strict validation that names every bad part by its path
(``definition.actions[1].assignee``). Pure: what it needs from the database (facts,
segments, users, custom fields, phases) comes in a :class:`Catalog`.

Stored form (JSON, normalised: defaults filled in, unknown keys refused)::

    {"trigger": {"type": "health_dropped", "points": 10, "days": 7},
     "audience": {"segment_id": "…" | null, "condition": {…} | null},
     "touch_models": ["high_touch"],            # empty: every account
     "actions": [{"type": "create_task", "title": "…", …}, …],
     "cooldown_days": 0}
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kizuna.facts import conditions
from kizuna.facts.frame import FactSpec, Kind
from kizuna.kit.errors import FieldProblem, Invalid

TRIGGERS: tuple[str, ...] = (
    "segment_entered",
    "segment_left",
    "health_dropped",
    "phase_stalled",
    "renewal_in",
    "nps_detractor",
    "handoff_received",
    "lead_passed",
    "lead_accepted",
    "renewal_at_risk",
    "seats_nearly_used",
    "date_field",
    "condition",
    "manual",
)
# Triggers evaluated as a condition over today's facts, firing on its false → true edge
# (segment_left: true → false); the engine keeps the matches between evaluations.
CONDITION_TRIGGERS = frozenset(
    {
        "segment_entered",
        "segment_left",
        "health_dropped",
        "phase_stalled",
        "renewal_in",
        "seats_nearly_used",
        "condition",
    }
)
# Triggers reading domain events (kizuna.outbox), and the event kind each reads.
EVENT_KINDS = {
    "nps_detractor": "survey.answered",
    "handoff_received": "handoff.accepted",
    "lead_passed": "lead.passed",
    "lead_accepted": "lead.accepted",
    "renewal_at_risk": "renewal.at_risk",
}
ACTIONS: tuple[str, ...] = ("create_task", "email_owner", "slack", "update_field", "change_phase")
TOUCH_MODELS: tuple[str, ...] = ("high_touch", "low_touch", "tech_touch")
OWNERS: tuple[str, ...] = ("csm", "sales", "ae", "support")
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
TEAM_ROUTES: tuple[str, ...] = ("round_robin", "queue")
ACCOUNT_FIELDS: tuple[str, ...] = ("industry", "region", "expansion_room", "notes")
PLACEHOLDERS: tuple[str, ...] = ("account", "link", "why", "playbook", "owner")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_TAG = re.compile(r"^[\w][\w\-:. ]{0,63}$")
MAX_ACTIONS = 20
MAX_STEPS = 30
MAX_DAYS = 3650


@dataclass(frozen=True)
class Catalog:
    """What validation needs to know about the world (built by the service)."""

    specs: Mapping[str, FactSpec]
    segments: Mapping[uuid.UUID, str] = field(default_factory=dict)  # usable segments: name
    user_emails: frozenset[str] = frozenset()  # active users, lower-case
    custom_fields: Mapping[str, str] = field(default_factory=dict)  # account custom key: type
    phases: tuple[str, ...] = ("onboarding", "adoption", "expansion")
    check_custom_value: Callable[[str, Any], str | None] | None = None  # → problem or None


@dataclass(frozen=True)
class Definition:
    """A validated definition: ``data`` is the normalised stored form."""

    data: dict[str, Any]

    @property
    def trigger(self) -> dict[str, Any]:
        t: dict[str, Any] = self.data["trigger"]
        return t

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])

    @property
    def segment_id(self) -> uuid.UUID | None:
        raw = self.data["audience"]["segment_id"]
        return uuid.UUID(raw) if raw else None

    @property
    def audience_condition(self) -> dict[str, Any] | None:
        c: dict[str, Any] | None = self.data["audience"]["condition"]
        return c

    @property
    def touch_models(self) -> list[str]:
        return list(self.data["touch_models"])

    @property
    def actions(self) -> list[dict[str, Any]]:
        return list(self.data["actions"])

    @property
    def cooldown_days(self) -> int:
        return int(self.data["cooldown_days"])

    def creates_tasks(self) -> bool:
        return any(a["type"] == "create_task" for a in self.actions)


def empty_definition() -> dict[str, Any]:
    """What a new playbook starts with (a manual trigger and one task)."""
    return {
        "trigger": {"type": "manual"},
        "audience": {"segment_id": None, "condition": None},
        "touch_models": [],
        "actions": [
            {
                "type": "create_task",
                "title": "",
                "description": "",
                "steps": [],
                "due_in_days": 7,
                "priority": "normal",
                "assignee": "owner:csm",
            }
        ],
        "cooldown_days": 0,
    }


class _Problems:
    """Problems with paths in the condition language's style: ``("body", "a.b[1].c")``."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.items: list[FieldProblem] = []

    def add(self, path: str, code: str, message: str) -> None:
        loc = f"{self.root}.{path}" if path else self.root
        self.items.append(FieldProblem(("body", loc), code, message))


def parse_definition(data: Any, catalog: Catalog, *, root: str = "definition") -> Definition:
    """Validate ``data``; ``Invalid`` lists every problem with its path."""
    p = _Problems(root)
    if not isinstance(data, dict):
        p.add("", "not_an_object", "must be an object")
        raise Invalid(p.items)
    _unknown(data, {"trigger", "audience", "touch_models", "actions", "cooldown_days"}, "", p)
    out: dict[str, Any] = {
        "trigger": _trigger(data.get("trigger"), catalog, p),
        "audience": _audience(data.get("audience"), catalog, p),
        "touch_models": _touch_models(data.get("touch_models"), p),
        "actions": _actions(data.get("actions"), catalog, p),
        "cooldown_days": _int(data.get("cooldown_days", 0), "cooldown_days", p, 0, MAX_DAYS),
    }
    _needs_facts(out["trigger"], catalog, p)
    if p.items:
        raise Invalid(p.items)
    return Definition(out)


def _needs_facts(trigger: dict[str, Any], catalog: Catalog, p: _Problems) -> None:
    """Triggers built on facts another feature provides: refuse them while it is absent."""
    needed = {
        "phase_stalled": ("journey.phase", "journey.days_in_phase", "journey.overdue"),
        "renewal_in": ("signal.days_to_renewal",),
        "seats_nearly_used": ("signal.seat_activation",),
    }.get(str(trigger["type"]), ())
    missing = [k for k in needed if k not in catalog.specs]
    if missing:
        p.add("trigger.type", "facts_missing", f"needs the facts {', '.join(missing)}")


def _unknown(data: dict[str, Any], allowed: set[str], path: str, p: _Problems) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        p.add(path, "unknown_keys", f"unknown keys: {', '.join(map(str, extra))}")


def _int(raw: Any, path: str, p: _Problems, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or int(raw) != raw:
        p.add(path, "not_an_integer", "must be a whole number")
        return low
    if not low <= raw <= high:
        p.add(path, "out_of_range", f"must be between {low} and {high}")
        return low
    return int(raw)


def _number(raw: Any, path: str, p: _Problems, low: float, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        p.add(path, "not_a_number", "must be a number")
        return low
    if not low <= raw <= high:
        p.add(path, "out_of_range", f"must be between {low:g} and {high:g}")
        return low
    return float(raw)


def _text(raw: Any, path: str, p: _Problems, *, required: bool, max_length: int) -> str:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        p.add(path, "not_text", "must be text")
        return ""
    text: str = raw.strip()
    if required and not text:
        p.add(path, "required", "is required")
    if len(text) > max_length:
        p.add(path, "too_long", f"at most {max_length} characters")
    return text


def _segment(raw: Any, path: str, catalog: Catalog, p: _Problems, *, required: bool) -> str | None:
    if raw in (None, ""):
        if required:
            p.add(path, "required", "choose a segment")
        return None
    try:
        segment_id = uuid.UUID(str(raw))
    except ValueError:
        p.add(path, "not_a_uuid", "must be a segment id")
        return None
    if segment_id not in catalog.segments:
        p.add(path, "unknown_segment", "no such segment (or it is archived)")
        return None
    return str(segment_id)


def _trigger(raw: Any, catalog: Catalog, p: _Problems) -> dict[str, Any]:
    if not isinstance(raw, dict):
        p.add("trigger", "required", "a trigger object with a type")
        return {"type": "manual"}
    kind = raw.get("type")
    if kind not in TRIGGERS:
        p.add("trigger.type", "bad_trigger", f"must be one of {', '.join(TRIGGERS)}")
        return {"type": "manual"}
    path = "trigger"
    out: dict[str, Any] = {"type": kind}
    allowed: set[str] = {"type"}
    if kind in ("segment_entered", "segment_left"):
        allowed |= {"segment_id"}
        out["segment_id"] = _segment(
            raw.get("segment_id"), f"{path}.segment_id", catalog, p, required=True
        )
    elif kind == "health_dropped":
        allowed |= {"points", "days"}
        out["points"] = _number(raw.get("points"), f"{path}.points", p, 1, 100)
        out["days"] = _int(raw.get("days", 7), f"{path}.days", p, 1, 90)
    elif kind == "phase_stalled":
        allowed |= {"phase", "days"}
        phase = raw.get("phase")
        if phase in (None, ""):
            out["phase"] = None
        elif phase not in catalog.phases:
            p.add(f"{path}.phase", "bad_phase", f"must be one of {', '.join(catalog.phases)}")
            out["phase"] = None
        else:
            out["phase"] = phase
        days = raw.get("days")
        out["days"] = None if days in (None, "") else _int(days, f"{path}.days", p, 1, MAX_DAYS)
    elif kind == "renewal_in":
        allowed |= {"days"}
        out["days"] = _int(raw.get("days"), f"{path}.days", p, 0, MAX_DAYS)
    elif kind == "nps_detractor":
        allowed |= {"max_score"}
        out["max_score"] = _int(raw.get("max_score", 6), f"{path}.max_score", p, 0, 10)
    elif kind == "seats_nearly_used":
        allowed |= {"ratio"}
        out["ratio"] = _number(raw.get("ratio", 0.9), f"{path}.ratio", p, 0.01, 10)
    elif kind == "date_field":
        allowed |= {"fact", "offset_days", "anniversary"}
        fact = raw.get("fact")
        spec = catalog.specs.get(fact) if isinstance(fact, str) else None
        if (
            spec is None
            or spec.kind is not Kind.DATE
            or not (fact == "account.created_on" or str(fact).startswith("account.custom."))
        ):
            p.add(
                f"{path}.fact",
                "bad_fact",
                "account.created_on or a date custom field (account.custom.<key>)",
            )
        out["fact"] = fact
        out["offset_days"] = _int(
            raw.get("offset_days", 0), f"{path}.offset_days", p, -MAX_DAYS, MAX_DAYS
        )
        anniversary = raw.get("anniversary", False)
        if not isinstance(anniversary, bool):
            p.add(f"{path}.anniversary", "not_a_flag", "true or false")
            anniversary = False
        out["anniversary"] = anniversary
    elif kind == "condition":
        allowed |= {"condition"}
        try:
            cond = conditions.parse(
                raw.get("condition"), catalog.specs, field=f"{p.root}.trigger.condition"
            )
            out["condition"] = conditions.to_json(cond)
        except Invalid as exc:
            p.items += exc.problems
            out["condition"] = None
        if out["condition"] in (None, {"all": []}):
            p.add(f"{path}.condition", "required", "a condition (it fires when it becomes true)")
    _unknown(raw, allowed, path, p)
    return out


def _audience(raw: Any, catalog: Catalog, p: _Problems) -> dict[str, Any]:
    if raw is None:
        return {"segment_id": None, "condition": None}
    if not isinstance(raw, dict):
        p.add("audience", "not_an_object", "must be an object")
        return {"segment_id": None, "condition": None}
    _unknown(raw, {"segment_id", "condition"}, "audience", p)
    segment = _segment(raw.get("segment_id"), "audience.segment_id", catalog, p, required=False)
    condition = None
    if raw.get("condition") not in (None, {}, {"all": []}):
        try:
            parsed = conditions.parse(
                raw["condition"], catalog.specs, field=f"{p.root}.audience.condition"
            )
            condition = conditions.to_json(parsed)
        except Invalid as exc:
            p.items += exc.problems
    return {"segment_id": segment, "condition": condition}


def _touch_models(raw: Any, p: _Problems) -> list[str]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        p.add("touch_models", "not_a_list", "must be a list")
        return []
    out = []
    for n, item in enumerate(raw):
        if item not in TOUCH_MODELS:
            p.add(f"touch_models[{n}]", "bad_choice", f"must be one of {', '.join(TOUCH_MODELS)}")
        elif item not in out:
            out.append(item)
    return out


def _actions(raw: Any, catalog: Catalog, p: _Problems) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        p.add("actions", "required", "at least one action")
        return []
    if len(raw) > MAX_ACTIONS:
        p.add("actions", "too_many", f"at most {MAX_ACTIONS} actions")
    return [_action(item, f"actions[{n}]", catalog, p) for n, item in enumerate(raw)]


def _action(raw: Any, path: str, catalog: Catalog, p: _Problems) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("type") not in ACTIONS:
        p.add(f"{path}.type", "bad_action", f"must be one of {', '.join(ACTIONS)}")
        return {"type": "invalid"}
    kind = raw["type"]
    out: dict[str, Any] = {"type": kind}
    allowed = {"type"}
    if kind == "create_task":
        allowed |= {"title", "description", "steps", "due_in_days", "priority", "assignee"}
        out["title"] = _text(raw.get("title"), f"{path}.title", p, required=True, max_length=300)
        out["description"] = _text(
            raw.get("description"), f"{path}.description", p, required=False, max_length=5000
        )
        out["steps"] = _steps(raw.get("steps"), f"{path}.steps", p)
        out["due_in_days"] = _int(raw.get("due_in_days", 7), f"{path}.due_in_days", p, 0, 365)
        priority = raw.get("priority", "normal")
        if priority not in PRIORITIES:
            p.add(f"{path}.priority", "bad_choice", f"must be one of {', '.join(PRIORITIES)}")
            priority = "normal"
        out["priority"] = priority
        out["assignee"] = _assignee(
            raw.get("assignee", "owner:csm"), f"{path}.assignee", catalog, p
        )
        for name in ("title", "description"):
            _placeholders(out[name], f"{path}.{name}", p)
    elif kind == "email_owner":
        allowed |= {"owner", "subject", "body"}
        owner = raw.get("owner", "csm")
        if owner not in OWNERS:
            p.add(f"{path}.owner", "bad_choice", f"must be one of {', '.join(OWNERS)}")
            owner = "csm"
        out["owner"] = owner
        out["subject"] = _text(
            raw.get("subject"), f"{path}.subject", p, required=True, max_length=200
        )
        out["body"] = _text(raw.get("body"), f"{path}.body", p, required=True, max_length=10_000)
        for name in ("subject", "body"):
            _placeholders(out[name], f"{path}.{name}", p)
    elif kind == "slack":
        allowed |= {"webhook_url", "text"}
        url = _text(
            raw.get("webhook_url"), f"{path}.webhook_url", p, required=False, max_length=500
        )
        if url and not url.startswith(("https://", "http://")):
            p.add(f"{path}.webhook_url", "bad_url", "an http(s) URL (empty: the default webhook)")
        out["webhook_url"] = url or None
        out["text"] = _text(raw.get("text"), f"{path}.text", p, required=True, max_length=3000)
        _placeholders(out["text"], f"{path}.text", p)
    elif kind == "update_field":
        allowed |= {"field", "value", "add", "remove"}
        out |= _update_field(raw, path, catalog, p)
    elif kind == "change_phase":
        allowed |= {"phase"}
        phase = raw.get("phase")
        if phase not in catalog.phases:
            p.add(f"{path}.phase", "bad_phase", f"must be one of {', '.join(catalog.phases)}")
        out["phase"] = phase
    _unknown(raw, allowed, path, p)
    return out


def _steps(raw: Any, path: str, p: _Problems) -> list[str]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        p.add(path, "not_a_list", "a list of step titles")
        return []
    if len(raw) > MAX_STEPS:
        p.add(path, "too_many", f"at most {MAX_STEPS} steps")
    out = []
    for n, item in enumerate(raw):
        title = item.get("title") if isinstance(item, dict) else item
        text = _text(title, f"{path}[{n}]", p, required=True, max_length=300)
        if text:
            out.append(text)
    return out


def _assignee(raw: Any, path: str, catalog: Catalog, p: _Problems) -> str:
    if not isinstance(raw, str) or ":" not in raw:
        p.add(
            path,
            "bad_assignee",
            "owner:csm|sales|ae|support, user:<email> or team:round_robin|queue",
        )
        return "owner:csm"
    kind, _, value = raw.partition(":")
    if kind == "owner" and value in OWNERS:
        return raw
    if kind == "team" and value in TEAM_ROUTES:
        return raw
    if kind == "user":
        email = value.strip().lower()
        if email not in catalog.user_emails:
            p.add(path, "unknown_user", f"no active user with the e-mail {value!r}")
        return f"user:{email}"
    p.add(
        path, "bad_assignee", "owner:csm|sales|ae|support, user:<email> or team:round_robin|queue"
    )
    return "owner:csm"


def _placeholders(text: str, path: str, p: _Problems) -> None:
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS:
            allowed = ", ".join("{" + x + "}" for x in PLACEHOLDERS)
            p.add(path, "bad_placeholder", f"unknown placeholder {{{name}}} (use {allowed})")


def render_text(text: str, values: Mapping[str, str]) -> str:
    """Fill ``{account}``, ``{link}``… (validated names only; other braces stay)."""
    parts = _template(text)
    if len(parts) == 1:
        return text
    return "".join(
        part if n % 2 == 0 else values.get(part, "{" + part + "}") for n, part in enumerate(parts)
    )


@lru_cache(maxsize=1024)
def _template(text: str) -> list[str]:
    """``text`` split at its placeholders: literal, name, literal, name, …, literal (a
    playbook renders the same few texts for thousands of accounts)."""
    return _PLACEHOLDER.split(text)


def _update_field(raw: dict[str, Any], path: str, catalog: Catalog, p: _Problems) -> dict[str, Any]:
    name = raw.get("field")
    if name == "tags":
        add, remove = (_tags(raw.get(k), f"{path}.{k}", p) for k in ("add", "remove"))
        if not add and not remove:
            p.add(f"{path}.add", "required", "tags to add or to remove")
        if "value" in raw:
            p.add(f"{path}.value", "unknown_keys", "tags take add / remove lists")
        return {"field": "tags", "add": add, "remove": remove}
    for key in ("add", "remove"):
        if key in raw:
            p.add(f"{path}.{key}", "unknown_keys", "only the tags field takes add / remove")
    value = raw.get("value")
    if name in ACCOUNT_FIELDS:
        limit = 100 if name in ("industry", "region") else 5000
        return {
            "field": name,
            "value": _text(value, f"{path}.value", p, required=False, max_length=limit),
        }
    if isinstance(name, str) and name.startswith("custom."):
        key = name.removeprefix("custom.")
        if key not in catalog.custom_fields:
            p.add(f"{path}.field", "unknown_field", f"no active account custom field {key!r}")
        elif catalog.check_custom_value is not None:
            problem = catalog.check_custom_value(key, value)
            if problem:
                p.add(f"{path}.value", "bad_value", problem)
        return {"field": name, "value": value}
    fields = ", ".join((*ACCOUNT_FIELDS, "tags", "custom.<key>"))
    p.add(f"{path}.field", "bad_field", f"must be one of {fields}")
    return {"field": name, "value": value}


def _tags(raw: Any, path: str, p: _Problems) -> list[str]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        p.add(path, "not_a_list", "a list of tags")
        return []
    out = []
    for n, tag in enumerate(raw):
        if not isinstance(tag, str) or not _TAG.match(tag.strip()):
            p.add(f"{path}[{n}]", "bad_tag", "a tag of 1–64 letters, digits, - _ : . or spaces")
        elif tag.strip() not in out:
            out.append(tag.strip())
    return out


def trigger_condition(definition: Definition) -> dict[str, Any] | None:
    """The condition a condition trigger watches (segments excepted: their definition is
    read when evaluating, so a changed segment counts at once). None for other triggers."""
    t = definition.trigger
    kind = t["type"]
    if kind == "health_dropped":
        return {"fact": health_change_fact(int(t["days"])), "op": "lte", "value": -t["points"]}
    if kind == "phase_stalled":
        parts: list[dict[str, Any]] = []
        if t.get("phase"):
            parts.append({"fact": "journey.phase", "op": "eq", "value": t["phase"]})
        if t.get("days"):
            parts.append({"fact": "journey.days_in_phase", "op": "gte", "value": t["days"]})
        else:
            parts.append({"fact": "journey.overdue", "op": "is_true"})
        return {"all": parts}
    if kind == "renewal_in":
        return {
            "all": [
                {"fact": "signal.days_to_renewal", "op": "gte", "value": 0},
                {"fact": "signal.days_to_renewal", "op": "lte", "value": t["days"]},
            ]
        }
    if kind == "seats_nearly_used":
        return {"fact": "signal.seat_activation", "op": "gte", "value": t["ratio"]}
    if kind == "condition":
        c: dict[str, Any] = t["condition"]
        return c
    return None


def health_change_fact(days: int) -> str:
    """The fact a health-drop trigger reads: the stored 7-day change, or a change over
    ``days`` the engine computes from the score history."""
    return "health.change_7d" if days == 7 else f"health.change_{days}d"
