"""``kizuna pocs list | show | create | add-account | record-result | move | decide |
cancel``: the PoC tracker from a terminal."""

from __future__ import annotations

import uuid

import typer
from rich import box
from rich.table import Table

from kizuna.cli.context import acting_as, console, database, fail
from kizuna.cli.potential import (
    JSON,
    resolve_account,
    resolve_product,
    resolve_user,
)
from kizuna.kit.errors import DomainError
from kizuna.models.poc import PocDecision, PocOutcome, PocStatus
from kizuna.poc import service
from kizuna.poc.schemas import (
    PocAccountIn,
    PocCreate,
    PocFilters,
    PocOut,
    ResultIn,
    Transition,
)

app = typer.Typer(
    help="PoCs: list, show, create, add accounts, record results, move, decide, cancel.",
    no_args_is_help=True,
)
POC_ID = typer.Argument(..., help="The PoC's id (see `kizuna pocs list`).")
BY = typer.Option(None, "--by", metavar="EMAIL", help="Act as this user (audit, owner).")


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="pocs")


def _show(poc: PocOut) -> None:
    console.print(f"[bold]{poc.name}[/]  [{poc.status.value}]  {poc.id}")
    console.print(
        f"product: {poc.product_name or '—'} · owner: {poc.owner_name or '—'} · "
        f"{poc.starts_on or '—'} – {poc.ends_on or '—'}"
    )
    if poc.purpose:
        console.print(f"purpose: {poc.purpose}")
    for c in poc.success_criteria:
        console.print(f"  {c.key}: {c.criterion} (target {c.target or '—'}; {c.measure or '—'})")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("account", "participants", *[c.key for c in poc.success_criteria], "outcome"):
        table.add_column(name, overflow="fold")
    for a in poc.accounts:
        table.add_row(
            a.account_name,
            ", ".join(p.name for p in a.participants) or "—",
            *[a.results.get(c.key, "—") for c in poc.success_criteria],
            a.outcome.value if a.outcome else "—",
        )
    console.print(table)
    if poc.decision:
        console.print(f"decision: {poc.decision.value} — {poc.decision_note}")
    for f in poc.feedback:
        console.print(f"feedback: {f.text} (sent {f.sent_on or 'not yet'})")


def _run_and_show(
    as_json: bool, poc_id: uuid.UUID, by: str | None, move: Transition | None = None
) -> None:
    """Apply ``move`` (if any), then print the PoC."""
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                if move is not None:
                    service.transition(session, actor, poc_id, move)
                out = service.get_poc(session, actor, poc_id)
        except DomainError as exc:
            fail(exc, code=1, short_paths=True)
    if as_json:
        typer.echo(out.model_dump_json())
    else:
        _show(out)


@app.command("list")
def list_pocs(
    status: PocStatus | None = typer.Option(None, "--status", help="Only this status."),
    owner: str | None = typer.Option(None, "--owner", metavar="EMAIL", help="Only this CSM's."),
    as_json: bool = JSON,
) -> None:
    """PoCs (open first) and the count per CSM."""
    with database().sessions() as session, session.begin():
        filters = PocFilters(status=status, owner_id=resolve_user(session, owner))
        listing = service.list_pocs(session, acting_as(session, None), filters)
    if as_json:
        typer.echo(listing.model_dump_json())
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True, style="dim", min_width=36)
    for name in ("name", "status", "owner", "accounts", "decision"):
        table.add_column(name, overflow="fold")
    for p in listing.items:
        table.add_row(
            str(p.id), p.name, p.status.value, p.owner_name or "—", str(p.account_count),
            p.decision.value if p.decision else "—",
        )  # fmt: skip
    console.print(table)
    counts = ", ".join(f"{c.owner_name or '—'}: {c.total}" for c in listing.by_owner)
    console.print(f"{len(listing.items)} PoC(s). Per CSM: {counts or '—'}")


@app.command("show")
def show(poc_id: uuid.UUID = POC_ID, as_json: bool = JSON) -> None:
    """Everything about one PoC."""
    _run_and_show(as_json, poc_id, None)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The PoC's name."),
    purpose: str = typer.Option("", "--purpose", help="What the PoC should resolve."),
    product: str | None = typer.Option(None, "--product", help="Product code."),
    criterion: list[str] = typer.Option(
        [], "--criterion", help="'criterion|target|how measured' (repeat for more)."
    ),
    starts: str | None = typer.Option(None, "--starts", help="Start date, YYYY-MM-DD."),
    ends: str | None = typer.Option(None, "--ends", help="End date, YYYY-MM-DD."),
    owner: str | None = typer.Option(None, "--owner", metavar="EMAIL", help="The CSM."),
    by: str | None = BY,
    as_json: bool = JSON,
) -> None:
    """A new PoC (planned)."""
    criteria = []
    for text in criterion:
        parts = [p.strip() for p in text.split("|")] + ["", ""]
        criteria.append({"criterion": parts[0], "target": parts[1], "measure": parts[2]})
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                data = PocCreate.model_validate(
                    {
                        "name": name,
                        "purpose": purpose,
                        "product_id": resolve_product(session, product).id if product else None,
                        "success_criteria": criteria,
                        "starts_on": starts,
                        "ends_on": ends,
                        "owner_id": resolve_user(session, owner),
                    }
                )
                poc = service.create_poc(session, actor, data)
                out = service.get_poc(session, actor, poc.id)
        except DomainError as exc:
            fail(exc, code=1, short_paths=True)
        except ValueError as exc:
            fail(str(exc), code=1)
    if as_json:
        typer.echo(out.model_dump_json())
    else:
        _show(out)


@app.command("add-account")
def add_account(
    poc_id: uuid.UUID = POC_ID,
    account: str = typer.Argument(..., help="Account id, external id or exact name."),
    reason: str = typer.Option("", "--reason", help="Why this account was chosen."),
    participant: list[str] = typer.Option([], "--participant", help="A name (repeat)."),
    by: str | None = BY,
    as_json: bool = JSON,
) -> None:
    """Add a target account with why it was chosen and its participants."""
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                data = PocAccountIn.model_validate(
                    {
                        "account_id": resolve_account(session, account).id,
                        "reason": reason,
                        "participants": [{"name": n} for n in participant if n.strip()],
                    }
                )
                service.add_account(session, actor, poc_id, data)
        except DomainError as exc:
            fail(exc, code=1, short_paths=True)
    _run_and_show(as_json, poc_id, by)


@app.command("record-result")
def record_result(
    poc_id: uuid.UUID = POC_ID,
    account: str = typer.Argument(..., help="Account id, external id or exact name."),
    result: list[str] = typer.Option([], "--result", help="KEY=measured result (repeat)."),
    outcome: PocOutcome | None = typer.Option(None, "--outcome", help="met, partly, not_met."),
    by: str | None = BY,
    as_json: bool = JSON,
) -> None:
    """Record measured results per criterion key (see `show`) and the account's outcome."""
    results = {}
    for item in result:
        key, sep, text = item.partition("=")
        if not sep:
            fail(f"--result {item!r}: write KEY=text", code=1)
        results[key.strip()] = text
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                body = {"results": results} | ({"outcome": outcome} if outcome else {})
                service.record_result(
                    session, actor, poc_id, resolve_account(session, account).id,
                    ResultIn.model_validate(body),
                )  # fmt: skip
        except DomainError as exc:
            fail(exc, code=1, short_paths=True)
    _run_and_show(as_json, poc_id, by)


@app.command("move")
def move(
    poc_id: uuid.UUID = POC_ID,
    status: PocStatus = typer.Argument(..., help="running or evaluating."),
    by: str | None = BY,
    as_json: bool = JSON,
) -> None:
    """Move along the flow: planned → running → evaluating (use decide / cancel after)."""
    if status in (PocStatus.DECIDED, PocStatus.CANCELLED):
        fail(f"use `kizuna pocs {'decide' if status is PocStatus.DECIDED else 'cancel'}`", code=1)
    _run_and_show(as_json, poc_id, by, Transition(status=status))


@app.command("decide")
def decide(
    poc_id: uuid.UUID = POC_ID,
    decision: PocDecision = typer.Option(..., "--decision", help="adopt, extend or stop."),
    note: str = typer.Option(..., "--note", help="Why (required)."),
    by: str | None = BY,
    as_json: bool = JSON,
) -> None:
    """Record the decision of a PoC under evaluation."""
    body = Transition(status=PocStatus.DECIDED, decision=decision, note=note)
    _run_and_show(as_json, poc_id, by, body)


@app.command("cancel")
def cancel(
    poc_id: uuid.UUID = POC_ID,
    reason: str = typer.Option("", "--reason", help="Why it was cancelled."),
    by: str | None = BY,
    as_json: bool = JSON,
) -> None:
    """Cancel an open PoC."""
    _run_and_show(as_json, poc_id, by, Transition(status=PocStatus.CANCELLED, note=reason))
