""" "Why did this fire": each rule of a condition with the account's actual value, for many
accounts at once (one vectorised pass per rule, not one per account), and a short text
for e-mails and Slack. Pure: facts in, JSON-ready dicts out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from kizuna.facts import conditions
from kizuna.facts.frame import Facts, FactSpec

_OP_SIGNS = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
    "in": "∈",
    "not_in": "∉",
    "between": "∈",
}


def jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return int(value) if value.is_integer() else round(value, 4)
    if isinstance(value, np.generic):
        return jsonable(value.item())
    return value


def explain_rows(
    condition: conditions.Condition | None, facts: Facts, rows: npt.NDArray[np.int64]
) -> list[list[dict[str, Any]]]:
    """For each row: ``[{fact, op, value, actual, passed, negated}, …]`` in reading order."""
    if condition is None:
        return [[] for _ in rows]
    return conditions.checks_json(conditions.outcomes(condition, facts), facts, rows)


def check_text(check: Mapping[str, Any], specs: Mapping[str, FactSpec], locale: str) -> str:
    spec = specs.get(str(check["fact"]))
    name = spec.title(locale) if spec else str(check["fact"])
    actual = check.get("actual")
    shown = "—" if actual is None else _plain(actual)
    op = str(check["op"])
    rule = f"{_OP_SIGNS[op]} {_plain(check.get('value'))}" if op in _OP_SIGNS else op
    return f"{name} = {shown} ({'NOT ' if check.get('negated') else ''}{rule})"


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def why_text(why: Mapping[str, Any], specs: Mapping[str, FactSpec], locale: str) -> str:
    """One line per reason: the trigger, then each check that held."""
    lines = [str(why.get("summary", ""))]
    for check in why.get("checks", []):
        if check.get("passed"):
            lines.append("- " + check_text(check, specs, locale))
    event = why.get("event")
    if isinstance(event, Mapping):
        payload = event.get("payload", {})
        details = ", ".join(f"{k}={v}" for k, v in sorted(payload.items()) if k != "response_id")
        lines.append(f"- {event.get('kind')} {details}".rstrip())
    date_info = why.get("date")
    if isinstance(date_info, Mapping):
        lines.append(f"- {date_info.get('fact')} = {date_info.get('date')}")
    return "\n".join(line for line in lines if line)


def trigger_summary(trigger: Mapping[str, Any], segment_names: Mapping[str, str]) -> str:
    """The trigger in words (English; pages translate their own rendering)."""
    kind = trigger.get("type")
    if kind == "segment_entered":
        return f"Entered the segment {segment_names.get(str(trigger.get('segment_id')), '?')}"
    if kind == "segment_left":
        return f"Left the segment {segment_names.get(str(trigger.get('segment_id')), '?')}"
    if kind == "health_dropped":
        return f"Health fell by {_plain(trigger['points'])}+ points in {trigger['days']} days"
    if kind == "phase_stalled":
        phase = trigger.get("phase") or "any phase"
        if trigger.get("days"):
            return f"{phase}: {trigger['days']}+ days in the phase"
        return f"{phase}: over the phase's target duration"
    if kind == "renewal_in":
        return f"Renewal within {trigger['days']} days"
    if kind == "nps_detractor":
        return f"NPS answer of {trigger['max_score']} or less"
    if kind == "handoff_received":
        return "Hand-off from sales accepted"
    if kind == "lead_passed":
        return "Upsell lead passed to sales"
    if kind == "lead_accepted":
        return "Upsell lead accepted by sales"
    if kind == "renewal_at_risk":
        return "Renewal forecast at risk"
    if kind == "seats_nearly_used":
        return f"Seats used ≥ {round(float(trigger['ratio']) * 100)}%"
    if kind == "date_field":
        offset = int(trigger.get("offset_days", 0))
        when = (
            "on"
            if offset == 0
            else (f"{-offset} days before" if offset < 0 else f"{offset} days after")
        )
        every = " (every year)" if trigger.get("anniversary") else ""
        return f"{when} {trigger.get('fact')}{every}"
    if kind == "condition":
        return "Condition became true"
    return "Run by hand"


def flatten(groups: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [check for group in groups for check in group]
