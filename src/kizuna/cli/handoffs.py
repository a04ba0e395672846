"""``kizuna handoffs list | show | import | submit | accept | return | metrics``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import typer
from rich import box
from rich.table import Column, Table

from kizuna.cli.context import CLI_ACTOR, acting_as, console, database, date_option, fail
from kizuna.handoff import importer, service
from kizuna.handoff.schemas import HandoffFilters, HandoffOut, MetricsOut, Tab
from kizuna.kit.errors import DomainError
from kizuna.kit.money import format_money

handoffs_app = typer.Typer(
    help="Hand-offs at close: list, show, import won deals from CSV, submit, accept, "
    "return, and the measures.",
    no_args_is_help=True,
)
HANDOFF_ID = typer.Argument(..., help="The hand-off's id (see `kizuna handoffs list`).")
BY = typer.Option(None, "--by", metavar="EMAIL", help="Act as this user (default: system).")


def register(app: typer.Typer) -> None:
    app.add_typer(handoffs_app, name="handoffs")


def _days(hours: float | None) -> str:
    return "—" if hours is None else f"{hours / 24:.1f} d"


@handoffs_app.command("list")
def list_handoffs(
    tab: Tab = typer.Option(Tab.ALL, "--tab", help="review, returned, drafts, accepted, all."),
    won_from: str | None = typer.Option(None, "--from", metavar="YYYY-MM-DD"),
    won_to: str | None = typer.Option(None, "--to", metavar="YYYY-MM-DD"),
    limit: int = typer.Option(200, min=1, max=10_000, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print the hand-offs as JSON."),
) -> None:
    """Hand-offs, newest won first (review: oldest submission first)."""
    filters = HandoffFilters(
        tab=tab, won_from=date_option(won_from, "--from"), won_to=date_option(won_to, "--to")
    )
    rows: list[HandoffOut] = []
    cursor = None
    with database().sessions() as session, session.begin():
        sort = "submitted_at" if tab is Tab.REVIEW else "-won_on"
        while len(rows) < limit:
            page = service.list_handoffs(
                session,
                CLI_ACTOR,
                filters,
                sort=sort,
                cursor=cursor,
                limit=min(500, limit - len(rows)),
            )
            rows += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    table = Table(
        Column("id", no_wrap=True, style="dim", min_width=36),
        Column("won", no_wrap=True),
        Column("deal", overflow="fold", ratio=2),
        Column("account", overflow="fold", ratio=1),
        Column("MRR", justify="right", no_wrap=True),
        Column("status", no_wrap=True),
        Column("complete", justify="right", no_wrap=True),
        Column("to accept", justify="right", no_wrap=True),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for r in rows:
        table.add_row(
            str(r.id),
            r.won_on.isoformat(),
            r.deal_name,
            r.account_name,
            format_money(r.mrr_amount, r.currency or "JPY"),
            r.status.value + (f" ×{r.returns_count}" if r.returns_count else ""),
            f"{r.completeness}%",
            _days(r.hours_to_accept_first),
        )
    console.print(table)
    console.print(f"{len(rows)} hand-off(s)" + (" (more not shown)" if cursor else ""))


@handoffs_app.command("show")
def show(
    handoff_id: uuid.UUID = HANDOFF_ID,
    as_json: bool = typer.Option(False, "--json", help="Print the hand-off as JSON."),
) -> None:
    """One hand-off with every field, what is missing, and its history."""
    with database().sessions() as session, session.begin():
        try:
            h = service.get_handoff(session, CLI_ACTOR, handoff_id)
        except DomainError as exc:
            fail(exc, code=1)
    if as_json:
        typer.echo(json.dumps(h.model_dump(mode="json"), ensure_ascii=False))
        return
    console.print(f"[bold]{h.deal_name}[/] — {h.account_name}  [{h.status.value}]")
    console.print(
        f"won {h.won_on.isoformat()} · {format_money(h.mrr_amount, h.currency or 'JPY')}/month"
        f" · owner {h.sales_owner_name or '—'} · completeness {h.completeness}%"
    )
    if h.missing_fields:
        console.print(f"[yellow]missing to submit:[/] {', '.join(h.missing_fields)}")
    decision_maker = h.decision_maker_contact_name or h.decision_maker_name
    people = "; ".join(f"{p.name} ({p.title} {p.role})".strip() for p in h.key_people)
    for name, value in (
        ("purpose", h.purpose),
        ("success criteria", h.success_criteria),
        ("promises", h.promises),
        ("decision maker", f"{decision_maker} {h.decision_maker_title}".strip()),
        ("key people", people),
        (
            "expansion",
            service.expansion_text(
                h.expansion_departments,
                h.expansion_headcount,
                h.expansion_products,
                locale="en",
            ),
        ),
        ("risks", h.risks),
        ("sales history", h.sales_history),
    ):
        console.print(f"[dim]{name}:[/] {value or '—'}")
    if h.return_reason and h.status.value == "returned":
        console.print(f"[yellow]returned:[/] {h.return_reason}")
    for t in h.history:
        arrow = f"{t.from_status} → {t.to_status}" if t.from_status else t.to_status
        reason = f" — {t.reason}" if t.reason else ""
        console.print(
            f"  {t.occurred_at:%Y-%m-%d %H:%M} UTC  {t.actor_name or 'system'}: {arrow}{reason}"
        )


@handoffs_app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV with a header row."),
    by: str | None = BY,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Import won deals: all or nothing; every problem is printed as row.column: message
    (the header is row 1). Rows are keyed by external_id, so re-running changes nothing.
    Columns:"""
    data = file.read_bytes()
    with database().sessions() as session:
        try:
            with session.begin():
                result = importer.import_csv(session, acting_as(session, by), data)
        except DomainError as exc:
            fail(exc, code=1)
    if as_json:
        typer.echo(result.model_dump_json())
        return
    console.print(
        f"[green]✓[/] {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.submitted} submitted"
    )


import_file.__doc__ = (import_file.__doc__ or "") + ", ".join(importer.COLUMNS) + "."


def _transition(handoff_id: uuid.UUID, by: str | None, verb: str, reason: str = "") -> None:
    with database().sessions() as session:
        try:
            with session.begin():
                actor = acting_as(session, by)
                if verb == "submit":
                    h = service.submit_handoff(session, actor, handoff_id)
                elif verb == "accept":
                    h = service.accept_handoff(session, actor, handoff_id)
                else:
                    h = service.return_handoff(session, actor, handoff_id, reason)
                name, status = h.deal_name, h.status.value
        except DomainError as exc:
            fail(exc, code=1, short_paths=True)
    console.print(f"[green]✓[/] “{name}” is now {status}")


@handoffs_app.command("submit")
def submit(handoff_id: uuid.UUID = HANDOFF_ID, by: str | None = BY) -> None:
    """Submit to customer success (every required field must be filled)."""
    _transition(handoff_id, by, "submit")


@handoffs_app.command("accept")
def accept(handoff_id: uuid.UUID = HANDOFF_ID, by: str | None = BY) -> None:
    """Accept: copy to the account, publish handoff.accepted (onboarding playbooks)."""
    _transition(handoff_id, by, "accept")


@handoffs_app.command("return")
def send_back(
    handoff_id: uuid.UUID = HANDOFF_ID,
    reason: str = typer.Option(..., "--reason", help="What sales should add or fix."),
    by: str | None = BY,
) -> None:
    """Return to sales with a reason."""
    _transition(handoff_id, by, "return", reason)


def _metric_row(table: Table, name: str, m: MetricsOut) -> None:
    table.add_row(
        name,
        str(m.count),
        str(m.submitted),
        str(m.accepted),
        _days(m.median_hours_to_accept),
        "—" if m.average_completeness is None else f"{m.average_completeness:.0f}%",
        "—" if m.share_returned is None else f"{m.share_returned * 100:.0f}%",
    )


@handoffs_app.command("metrics")
def metrics(
    won_from: str | None = typer.Option(None, "--from", metavar="YYYY-MM-DD"),
    won_to: str | None = typer.Option(None, "--to", metavar="YYYY-MM-DD"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Median time to accept, average completeness at submission and share returned, in
    total and per sales owner, over the hand-offs of deals won in the period."""
    with database().sessions() as session, session.begin():
        report = service.metrics_report(
            session,
            CLI_ACTOR,
            won_from=date_option(won_from, "--from"),
            won_to=date_option(won_to, "--to"),
        )
    if as_json:
        typer.echo(report.model_dump_json())
        return
    table = Table(
        "sales owner",
        Column("hand-offs", justify="right"),
        Column("submitted", justify="right"),
        Column("accepted", justify="right"),
        Column("median to accept", justify="right"),
        Column("avg completeness", justify="right"),
        Column("returned", justify="right"),
        box=box.SIMPLE_HEAD,
    )
    for o in report.owners:
        _metric_row(table, o.sales_owner_name or "(none)", o)
    _metric_row(table, "[bold]total[/]", report.total)
    console.print(table)
