"""``kizuna segments list | show ID | members ID [--csv] | create --file seg.yaml | delete ID``
and ``kizuna tags add | remove | list``.

Commands run as the system actor (they see every segment, private ones included) and
evaluate membership as of today in the default time zone. A segment file is YAML (or
JSON)::

    name: 解約リスクの高い大口顧客
    description: 赤信号で MRR 10万円以上
    shared: true
    definition:
      all:
        - {fact: health.band, op: eq, value: red}
        - {fact: signal.mrr, op: gte, value: 100000}
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import NoReturn

import typer
import yaml
from rich import box
from rich.table import Table
from sqlalchemy.orm import Session

from kizuna.auth.actor import Actor
from kizuna.cli.context import console, database, err_console, fail, settings
from kizuna.kit.clock import today
from kizuna.kit.errors import DomainError
from kizuna.segment import export, service, tags
from kizuna.segment.evaluation import FactSource
from kizuna.segment.schemas import SegmentIn

segments_app = typer.Typer(
    help="Segments: saved conditions naming a set of accounts.", no_args_is_help=True
)
tags_app = typer.Typer(help="Account tags.", no_args_is_help=True)
_CLI = Actor.system("cli")
SEGMENT = typer.Argument(..., help="The segment's id (see `list`).")
ACCOUNT = typer.Argument(..., help="The account's id.")


def register(app: typer.Typer) -> None:
    app.add_typer(segments_app, name="segments")
    app.add_typer(tags_app, name="tags")


def _fail(exc: DomainError) -> NoReturn:
    fail(exc, code=1, short_paths=True)


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def fact_source(session: Session) -> FactSource:
    """Facts as of today in the default time zone (shared with ``kizuna coverage``)."""
    zone = settings().default_timezone
    return FactSource(session, today=today(zone), zone=zone, data_dir=settings().data_dir)


@segments_app.command("list")
def list_segments(
    as_json: bool = typer.Option(False, "--json", help="Print the segments as JSON."),
    archived: bool = typer.Option(False, "--archived", help="Include archived segments."),
) -> None:
    """Every segment with its member count today."""
    try:
        with database().sessions() as session, session.begin():
            segments = service.list_segments(session, _CLI, include_archived=archived)
            counts = service.counts(_CLI, segments, source=fact_source(session))
            rows = service.to_out(session, _CLI, segments, counts)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        typer.echo(
            json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2)
        )
        return
    table = Table("id", "name", "owner", "shared", "members", box=box.SIMPLE_HEAD, pad_edge=False)
    for r in rows:
        count = "[yellow]needs fixing[/]" if r.member_count is None else f"{r.member_count:,}"
        table.add_row(
            str(r.id),
            r.name + (" [dim](archived)[/]" if r.archived else ""),
            r.owner_name or "—",
            "yes" if r.shared else "no",
            count,
        )
    console.print(table)


@segments_app.command("show")
def show(
    segment_id: uuid.UUID = SEGMENT,
    as_json: bool = typer.Option(False, "--json", help="Print the segment as JSON."),
) -> None:
    """A segment's definition (as YAML) and member count."""
    try:
        with database().sessions() as session, session.begin():
            segment = service.get_segment(session, _CLI, segment_id)
            counts = service.counts(_CLI, [segment], source=fact_source(session))
            out = service.to_out(session, _CLI, [segment], counts)[0]
    except DomainError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{out.name}[/]  {out.description}")
    console.print(f"members today: {out.member_count if out.member_count is not None else '?'}")
    console.print(yaml.safe_dump({"definition": out.definition}, allow_unicode=True), end="")


@segments_app.command("members")
def members(
    segment_id: uuid.UUID = SEGMENT,
    as_csv: bool = typer.Option(False, "--csv", help="Write CSV to standard output."),
    as_json: bool = typer.Option(False, "--json", help="Print the members as JSON."),
) -> None:
    """The accounts in a segment today, by name."""
    try:
        with database().sessions() as session, session.begin():
            source = fact_source(session)
            ids = service.member_ids(session, _CLI, segment_id, source=source)
            rows = service.member_details(session, ids, today=source.today)
    except DomainError as exc:
        _fail(exc)
    if as_csv:
        sys.stdout.write(export.members_csv(rows))
        return
    if as_json:
        typer.echo(
            json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2)
        )
        return
    table = Table("name", "tier", "phase", "CSM", "MRR", "health", box=box.SIMPLE_HEAD)
    for r in rows:
        table.add_row(
            r.name,
            r.tier.value if r.tier else "—",
            r.phase.value if r.phase else "—",
            r.csm_owner_name or "—",
            f"{r.mrr_amount:,} {r.currency}",
            "—" if r.health_score is None else f"{r.health_score:.0f} ({r.health_band})",
        )
    console.print(table)
    console.print(f"{len(rows):,} accounts")


@segments_app.command("create")
def create(
    file: Path = typer.Option(
        ..., "--file", "-f", exists=True, dir_okay=False, help="YAML or JSON."
    ),
) -> None:
    """Create a segment from a file (name, description, shared, definition)."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        err_console.print(f"[red]✗[/] {file}: {exc}")
        raise typer.Exit(1) from None
    try:
        body = SegmentIn.model_validate(data)
    except ValueError as exc:
        err_console.print(f"[red]✗[/] {file}: {exc}")
        raise typer.Exit(1) from None
    try:
        with database().sessions() as session, session.begin():
            segment = service.create_segment(session, _CLI, body, source=fact_source(session))
            counts = service.counts(_CLI, [segment], source=fact_source(session))
            segment_id, count = segment.id, counts[segment.id]
    except DomainError as exc:
        _fail(exc)
    console.print(f"[green]✓[/] created {segment_id} ({count:,} accounts today)")


@segments_app.command("delete")
def delete(segment_id: uuid.UUID = SEGMENT) -> None:
    """Archive a segment (playbooks naming it keep working)."""
    try:
        with database().sessions() as session, session.begin():
            service.archive_segment(session, _CLI, segment_id)
    except DomainError as exc:
        _fail(exc)
    console.print(f"[green]✓[/] archived {segment_id}")


@tags_app.command("add")
def add(
    account_id: uuid.UUID = ACCOUNT,
    tag: list[str] = typer.Argument(..., help="Tags to add."),
) -> None:
    try:
        with database().sessions() as session, session.begin():
            now = tags.add_tags(session, _CLI, account_id, tag)
    except DomainError as exc:
        _fail(exc)
    console.print(", ".join(now) or "—")


@tags_app.command("remove")
def remove(
    account_id: uuid.UUID = ACCOUNT,
    tag: list[str] = typer.Argument(..., help="Tags to remove."),
) -> None:
    try:
        with database().sessions() as session, session.begin():
            now = tags.remove_tags(session, _CLI, account_id, tag)
    except DomainError as exc:
        _fail(exc)
    console.print(", ".join(now) or "—")


@tags_app.command("list")
def list_tags(
    as_json: bool = typer.Option(False, "--json", help="Print the tags as JSON."),
) -> None:
    """Every tag in use, with the number of accounts carrying it."""
    with database().sessions() as session, session.begin():
        rows = tags.list_tags(session, _CLI)
    if as_json:
        typer.echo(json.dumps([r.model_dump() for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table("tag", "accounts", box=box.SIMPLE_HEAD, pad_edge=False)
    for r in rows:
        table.add_row(r.tag, f"{r.accounts:,}")
    console.print(table)
