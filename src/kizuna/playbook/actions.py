"""What a playbook does when it fires: tasks (inserted in bulk), e-mail and Slack
notifications (queued as ``notify.*`` jobs in the caller's transaction, so they are sent
only after it commits, and retried when a send fails), field updates and phase changes
(through the account, tag and journey services, so they are validated and audited).

The first task template of a playbook is its *primary* task: it carries ``playbook_id``
and is what de-duplicates (one open task per account × playbook, enforced by a partial
unique index on ``task``). Further templates are created alongside it with
``source = "playbook"`` and the same why, without ``playbook_id``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from kizuna.account import service as accounts
from kizuna.account.schemas import AccountUpdate
from kizuna.auth.actor import Actor
from kizuna.db.bulk import insert_rows
from kizuna.facts.frame import Facts, FactSpec
from kizuna.journey import service as journey
from kizuna.kit.errors import DomainError
from kizuna.kit.ids import uuid7
from kizuna.models.playbook import Playbook
from kizuna.models.task import Task, TaskPriority, TaskStatus
from kizuna.playbook.definition import Definition, render_text
from kizuna.playbook.routing import AccountOwners, Person, Router
from kizuna.playbook.schemas import TaskPreview
from kizuna.playbook.why import why_text
from kizuna.queue import service as queue
from kizuna.segment import tags

if TYPE_CHECKING:
    from kizuna.playbook.engine import Firing

EMAIL_JOB = "notify.email"
SLACK_JOB = "notify.slack"
SEND_ATTEMPTS = 5
PREVIEWS = 200  # accounts per playbook whose tasks are described in the report


@dataclass
class Result:
    """What the actions did (or would do) for one fired account."""

    tasks: list[TaskPreview] = field(default_factory=list)  # the first accounts' only
    task_count: int = 0
    notifications: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)  # stored on the firing
    detailed: bool = True  # build previews (the report lists the first accounts only)


@dataclass
class Executor:
    session: Session
    actor: Actor
    today: date
    now: datetime
    dry_run: bool
    public_url: str
    specs: Mapping[str, FactSpec]
    router: Router
    people: Mapping[uuid.UUID, Person]
    accounts: Mapping[str, AccountOwners]
    team_names: Mapping[uuid.UUID, str]
    created: int = 0  # tasks created so far in this evaluation (orders their creation times)

    def run(
        self,
        playbook: Playbook,
        version: int,
        definition: Definition,
        fired: Sequence[Firing],
        facts: Facts,
    ) -> list[Result]:
        results: list[Result] = []
        task_rows: list[dict[str, Any]] = []
        system = Actor.system(f"playbook:{playbook.key}"[:64])
        for n, firing in enumerate(fired):
            account_key = str(facts.account_ids[firing.row])
            account = self.accounts[account_key]
            result = Result(detailed=n < PREVIEWS)
            primary = True
            for action in definition.actions:
                kind = action["type"]
                if kind == "create_task":
                    task_rows.append(
                        self._task(playbook, version, action, account, firing, result, primary)
                    )
                    primary = False
                elif kind == "email_owner":
                    self._email(playbook, action, account, firing, result)
                elif kind == "slack":
                    self._slack(playbook, action, account, firing, result)
                elif kind == "update_field":
                    self._update(system, action, account, result)
                elif kind == "change_phase":
                    self._phase(system, playbook, action, account, result)
            results.append(result)
        if task_rows and not self.dry_run:
            for row in task_rows:  # distinct, ordered creation times
                row["created_at"] = row["updated_at"] = self.now + timedelta(
                    microseconds=self.created
                )
                self.created += 1
            insert_rows(self.session, Task.__table__, task_rows)
        return results

    # -- tasks -------------------------------------------------------------------------

    def _values(
        self, playbook: Playbook, account: AccountOwners, firing: Firing, *texts: str
    ) -> dict[str, str]:
        """Placeholder values; the why text only when one of ``texts`` uses it."""
        csm = account.owners.get("csm")
        owner = self.people.get(csm) if csm else None
        values = {
            "account": account.name,
            "link": f"{self.public_url.rstrip('/')}/accounts/{account.id}",
            "playbook": playbook.name,
            "owner": owner.name if owner else "",
        }
        if any("{why}" in t for t in texts):
            values["why"] = why_text(firing.why, self.specs, "ja")
        return values

    def _task(
        self,
        playbook: Playbook,
        version: int,
        action: Mapping[str, Any],
        account: AccountOwners,
        firing: Firing,
        result: Result,
        primary: bool,
    ) -> dict[str, Any]:
        route = self.router.route(str(action["assignee"]), account, playbook.team_id)
        values = self._values(
            playbook, account, firing, str(action["title"]), str(action["description"])
        )
        title = render_text(str(action["title"]), values)[:300]
        due_on = self.today + timedelta(days=int(action["due_in_days"]))
        person = self.people.get(route.assignee_id) if route.assignee_id else None
        result.task_count += 1
        if result.detailed:
            result.tasks.append(
                TaskPreview(
                    title=title,
                    due_on=due_on,
                    priority=str(action["priority"]),
                    assignee_id=route.assignee_id,
                    assignee_name=person.name if person else None,
                    assignee_email=person.email if person else None,
                    team_id=route.team_id,
                    team_name=self.team_names.get(route.team_id) if route.team_id else None,
                    route=route.how,
                    primary=primary,
                )
            )
        task_id = uuid7()
        result.log.append(
            {
                "type": "create_task",
                "task_id": str(task_id),
                "assignee": person.email if person else None,
                "team_id": str(route.team_id) if route.team_id else None,
                "route": route.how,
            }
        )
        return {
            "id": task_id,
            "account_id": account.id,
            "title": title,
            "description": render_text(str(action["description"]), values),
            "steps": [{"title": s, "done": False} for s in action["steps"]],
            "status": TaskStatus.OPEN,
            "priority": TaskPriority(str(action["priority"])),
            "due_on": due_on,
            "snoozed_until": None,
            "assignee_id": route.assignee_id,
            "team_id": route.team_id,
            "playbook_id": playbook.id if primary else None,
            "playbook_version": version,
            "source": "playbook",
            "why": firing.why,
            "outcome": None,
            "outcome_note": "",
            "created_by_id": self.actor.user_id,
            "created_at": self.now,
            "updated_at": self.now,
        }

    # -- notifications -----------------------------------------------------------------

    def _email(
        self,
        playbook: Playbook,
        action: Mapping[str, Any],
        account: AccountOwners,
        firing: Firing,
        result: Result,
    ) -> None:
        owner_id = account.owners.get(str(action["owner"]))
        person = self.people.get(owner_id) if owner_id else None
        if person is None:
            result.notifications.append(f"email: no {action['owner']} owner")
            result.log.append({"type": "email_owner", "sent": False, "reason": "no_recipient"})
            return
        values = self._values(playbook, account, firing)
        if "{why}" in str(action["subject"]) + str(action["body"]):
            values["why"] = why_text(firing.why, self.specs, person.locale)
        values["owner"] = person.name
        subject = render_text(str(action["subject"]), values)
        body = render_text(str(action["body"]), values)
        result.notifications.append(f"email → {person.email}: {subject}")
        entry: dict[str, Any] = {"type": "email_owner", "to": person.email, "subject": subject}
        if not self.dry_run:
            job = queue.enqueue(
                self.session,
                EMAIL_JOB,
                {"to": person.email, "subject": subject, "body": body, "playbook": playbook.key},
                max_attempts=SEND_ATTEMPTS,
            )
            entry["job_id"] = str(job.id)
        result.log.append(entry)

    def _slack(
        self,
        playbook: Playbook,
        action: Mapping[str, Any],
        account: AccountOwners,
        firing: Firing,
        result: Result,
    ) -> None:
        text = render_text(
            str(action["text"]), self._values(playbook, account, firing, str(action["text"]))
        )
        result.notifications.append(f"slack: {text[:80]}")
        entry: dict[str, Any] = {"type": "slack", "text": text}
        if not self.dry_run:
            job = queue.enqueue(
                self.session,
                SLACK_JOB,
                {"url": action.get("webhook_url"), "text": text, "playbook": playbook.key},
                max_attempts=SEND_ATTEMPTS,
            )
            entry["job_id"] = str(job.id)
        result.log.append(entry)

    # -- changes to the account ---------------------------------------------------------

    def _update(
        self, system: Actor, action: Mapping[str, Any], account: AccountOwners, result: Result
    ) -> None:
        name = str(action["field"])
        if name == "tags":
            described = " ".join(
                [*(f"+{t}" for t in action["add"]), *(f"-{t}" for t in action["remove"])]
            )
            result.updates.append(f"tags {described}")
            entry: dict[str, Any] = {"type": "update_field", "field": "tags"}
            if not self.dry_run:
                if action["add"]:
                    tags.add_tags(self.session, system, account.id, action["add"])
                if action["remove"]:
                    entry["tags"] = tags.remove_tags(
                        self.session, system, account.id, action["remove"]
                    )
            result.log.append(entry)
            return
        value = action.get("value")
        result.updates.append(f"{name} → {value}")
        entry = {"type": "update_field", "field": name, "value": value}
        if not self.dry_run:
            try:
                if name.startswith("custom."):
                    data = AccountUpdate(custom_fields={name.removeprefix("custom."): value})
                else:
                    data = AccountUpdate.model_validate({name: value})
                accounts.update_account(self.session, system, account.id, data)
            except DomainError as exc:
                entry |= {"done": False, "error": exc.message}
        result.log.append(entry)

    def _phase(
        self,
        system: Actor,
        playbook: Playbook,
        action: Mapping[str, Any],
        account: AccountOwners,
        result: Result,
    ) -> None:
        phase = str(action["phase"])
        result.updates.append(f"phase → {phase}")
        entry: dict[str, Any] = {"type": "change_phase", "phase": phase}
        if not self.dry_run:
            try:
                journey.move_phase(
                    self.session,
                    system,
                    account.id,
                    phase,
                    reason=f"playbook {playbook.key}",
                    system=f"playbook:{playbook.key}"[:64],
                )
            except DomainError as exc:
                entry |= {"done": False, "error": exc.message}
        result.log.append(entry)
