"""Who gets a playbook's task: an account owner, a named user, or a team (the next member
in turn, or the team's queue). Pure: the engine loads the people and teams.

The team is the playbook's team, else the team that owns the account's tier (coverage).
Whatever cannot be resolved (no such owner, an inactive user, a team without active
members) falls back to the account's CSM owner; with no CSM owner either, the task goes to
the team's queue (no assignee), or to nobody in particular (visible to managers).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    name: str
    email: str
    locale: str
    team_id: uuid.UUID | None


@dataclass(frozen=True)
class AccountOwners:
    id: uuid.UUID
    name: str
    tier: str | None
    owners: Mapping[str, uuid.UUID | None]  # csm / sales / ae / support → user id


@dataclass(frozen=True)
class Route:
    assignee_id: uuid.UUID | None
    team_id: uuid.UUID | None
    how: str  # owner:csm, user:…, team:round_robin, team:queue, fallback:csm, unassigned


@dataclass
class Router:
    """Resolves assignees. "In turn" (``team:round_robin``) gives the task to the member of
    the team who least recently received a playbook task (never: first, by name), so the
    turn carries over between evaluations and counts every playbook's tasks."""

    people: Mapping[uuid.UUID, Person]  # active users
    by_email: Mapping[str, uuid.UUID]
    members: Mapping[uuid.UUID, Sequence[uuid.UUID]]  # team → active members, by name
    tier_teams: Mapping[str, uuid.UUID | None]
    last_task: dict[uuid.UUID, float] = field(default_factory=dict)  # user → when (a clock)
    _clock: float | None = None  # the latest value of last_task, kept as tasks are routed

    def team_for(self, playbook_team: uuid.UUID | None, account: AccountOwners) -> uuid.UUID | None:
        if playbook_team is not None:
            return playbook_team
        return self.tier_teams.get(account.tier or "")

    def route(self, spec: str, account: AccountOwners, playbook_team: uuid.UUID | None) -> Route:
        route = self._route(spec, account, playbook_team)
        if route.assignee_id is not None:
            if self._clock is None:
                self._clock = max(self.last_task.values(), default=0)
            self._clock += 1
            self.last_task[route.assignee_id] = self._clock
        return route

    def _route(self, spec: str, account: AccountOwners, playbook_team: uuid.UUID | None) -> Route:
        kind, _, value = spec.partition(":")
        team = self.team_for(playbook_team, account)
        if kind == "owner":
            owner = account.owners.get(value)
            if owner is not None and owner in self.people:
                return Route(owner, team or self.people[owner].team_id, spec)
        elif kind == "user":
            user = self.by_email.get(value)
            if user is not None:
                return Route(user, team or self.people[user].team_id, spec)
        elif kind == "team" and team is not None:
            if value == "queue":
                return Route(None, team, spec)
            picked = self.next_member(team)
            if picked is not None:
                return Route(picked, team, spec)
        csm = account.owners.get("csm")
        if csm is not None and csm in self.people:
            return Route(csm, team or self.people[csm].team_id, "fallback:csm")
        return Route(None, team, "team:queue" if team else "unassigned")

    def next_member(self, team: uuid.UUID) -> uuid.UUID | None:
        """The member who least recently received a playbook task (ties: by name)."""
        members = list(self.members.get(team, ()))
        if not members:
            return None
        return min(members, key=lambda m: (self.last_task.get(m, float("-inf")), members.index(m)))
