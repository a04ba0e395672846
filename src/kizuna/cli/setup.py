"""init, migrate, demo, serve."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from kizuna.cli.context import console, database, err_console, settings
from kizuna.db.migrate import upgrade
from kizuna.kit.errors import Conflict
from kizuna.models import Account

DEMO_BACKFILL_DAYS = 90  # weeks of health history, so the trend charts have data


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(migrate)
    app.command()(demo)
    app.command("demo-events")(demo_events)
    app.command()(serve)


def migrate() -> None:
    """Bring the database schema up to date (safe to run at every start)."""
    upgrade(settings().database_url)
    console.print(f"[green]✓[/] database migrated: {_display_url()}")


def init() -> None:
    """Prepare a fresh installation: create the data folder, migrate the database and
    register the default schedules (daily health rescore, weekly churn-model retraining, …);
    `kizuna worker` runs them."""
    s = settings()
    s.data_dir.mkdir(parents=True, exist_ok=True)
    migrate()
    _ensure_schedules()


def _ensure_schedules() -> None:
    """Create or update the default schedules (idempotent; a paused one stays paused)."""
    from kizuna.jobs.schedules import ensure_default_schedules

    s = settings()
    with database().sessions() as session, session.begin():
        keys = [schedule.key for schedule in ensure_default_schedules(session, s.default_timezone)]
    console.print(f"[green]✓[/] schedules: {', '.join(keys)}")


def demo(
    seed: int = typer.Option(42, help="Random seed: the same seed gives the same company."),
    accounts: int = typer.Option(320, min=10, help="Number of customer accounts."),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Do nothing (exit 0) when data is already loaded."
    ),
    usage_months: int = typer.Option(
        3, min=0, max=36, help="Months of product-usage events to load (0: none)."
    ),
) -> None:
    """Load the demo company (a Japanese B2B SaaS vendor) into an empty database."""
    from kizuna.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

    try:
        with database().sessions() as session, session.begin():
            if if_empty and session.scalar(select(func.count()).select_from(Account)):
                console.print("demo data already loaded — nothing to do")
                return
            with _progress() as progress:
                task = progress.add_task("demo", total=None)

                def report(stage: str, done: int, total: int) -> None:
                    progress.update(task, description=stage, completed=done, total=total)

                summary = load_demo(session, seed=seed, accounts=accounts, progress=report)
    except Conflict as exc:
        err_console.print(f"[red]✗[/] {exc.message}")
        raise typer.Exit(1) from None
    console.print(f"[green]✓[/] demo company loaded: {summary}")
    _ensure_schedules()
    if usage_months:
        _demo_usage(seed, accounts, usage_months)
    _demo_health()
    _demo_sales(seed)
    _demo_success(seed)
    console.print(f"  demo logins (password [bold]{DEMO_PASSWORD}[/]):")
    for email, role, _name in DEMO_USERS:
        console.print(f"    {role:<20} {email}")


def demo_events(
    output: Path = typer.Argument(..., help="Parquet file to write, e.g. var/demo-events.parquet."),
    seed: int = typer.Option(42, help="The seed the demo company was loaded with."),
    accounts: int = typer.Option(320, min=10, help="The account count it was loaded with."),
    months: int = typer.Option(24, min=1, max=36, help="How many months of history."),
) -> None:
    """Write the demo company's product-usage events (Segment track calls) to Parquet.

    The events belong to the same accounts as `kizuna demo` loads (same seed and count);
    the usage-ingestion feature imports them.
    """
    from kizuna.demo import generate
    from kizuna.demo.events import count_usage_events, write_usage_events_parquet
    from kizuna.kit.clock import today

    data = generate(seed, accounts, today=today())
    start = _months_back(data.today, months)
    total = count_usage_events(data, start, data.today)
    with _progress() as progress:
        progress.add_task(f"{total:,} events", total=None)
        written = write_usage_events_parquet(data, output, start, data.today)
    console.print(f"[green]✓[/] wrote {written:,} events ({start} – {data.today}) to {output}")


def _demo_usage(seed: int, accounts: int, months: int) -> None:
    """Load the demo's usage events through the bulk import, then compute the metrics."""
    from kizuna.auth.actor import Actor
    from kizuna.demo.usage import load_demo_usage
    from kizuna.kit.clock import today
    from kizuna.usage import compute
    from kizuna.usage.store import EventStore

    s = settings()
    with database().sessions() as session, session.begin(), _progress() as progress:
        task = progress.add_task("usage events", total=None)

        def report(stage: str, done: int, total: int | None) -> None:
            progress.update(task, description=f"usage: {stage}", completed=done, total=total)

        result = load_demo_usage(
            session,
            EventStore.under(s.data_dir),
            seed=seed,
            accounts=accounts,
            today=today(),
            months=months,
            progress=report,
        )
    options = compute.Options(data_dir=s.data_dir, zone=s.default_timezone)
    with database().sessions() as session, console.status("computing usage metrics…"):
        computed = compute.run(session, Actor.system("demo"), options)
    console.print(
        f"[green]✓[/] usage: {result.stored:,} events, {computed.metrics} metrics "
        f"for {computed.accounts} accounts"
    )


def _demo_health() -> None:
    """Train the churn-risk model on the demo history, then score the demo accounts with
    90 days of history so the trend charts have data."""
    from kizuna.auth.actor import Actor
    from kizuna.cli.health_scores import run_score
    from kizuna.health import calibration
    from kizuna.health.churn import service as churn
    from kizuna.kit.clock import today

    s = settings()
    with (
        database().sessions() as session,
        session.begin(),
        console.status("training the churn-risk model…"),
    ):
        model = churn.train(
            session,
            Actor.system("demo"),
            data_dir=s.data_dir,
            zone=s.default_timezone,
            today=today(s.default_timezone),
        )
        status, auc, message = model.status, model.metrics.get("auc"), model.message
    if status == "published":
        console.print(f"[green]✓[/] churn-risk model published (held-out AUC {auc:.3f})")
    else:
        console.print(f"[yellow]![/] churn-risk model not published: {message}")
    result = run_score(DEMO_BACKFILL_DAYS)
    with database().sessions() as session, session.begin():
        calibration.backtest_published(
            session, data_dir=s.data_dir, zone=s.default_timezone, today=today(s.default_timezone)
        )
    bands = " · ".join(f"{band} {count}" for band, count in result.bands.items())
    console.print(f"[green]✓[/] health: {result.accounts} accounts scored ({bands})")


def _demo_success(seed: int) -> None:
    """Tags, segments and coverage rules; the journey's phase history and first
    evaluation; the CSMs' own tasks; then the example playbooks, evaluated once (they read
    the journey's facts, so they come last)."""
    from kizuna.demo.coverage import load_coverage_demo
    from kizuna.demo.journey import load_journey
    from kizuna.demo.playbooks import load_playbooks
    from kizuna.demo.tasks import load_demo_tasks
    from kizuna.kit.clock import today

    s = settings()
    day, zone, data_dir = today(s.default_timezone), s.default_timezone, s.data_dir
    with (
        database().sessions() as session,
        session.begin(),
        console.status("journey, segments, tasks and playbooks…"),
    ):
        load_coverage_demo(session, today=day, zone=zone, data_dir=data_dir)
        journey = load_journey(session, seed=seed, today=day, zone=zone, data_dir=data_dir)
        tasks = load_demo_tasks(session, today=day, seed=seed)
        report = load_playbooks(session, today=day, zone=zone, data_dir=data_dir)
    fired = report.fired if report is not None else 0
    console.print(
        f"[green]✓[/] journey: {journey.history_rows} phase-history rows, {journey.goals} goals;"
        f" tasks: {tasks.open_tasks} open, {tasks.closed_tasks} done; playbooks fired {fired}"
    )


def _demo_sales(seed: int) -> None:
    """Customer sales (C8): hand-offs at close, expansion potential and PoCs, upsell leads
    and opportunities (won ones add subscription lines), targets, then the renewals synced
    from the lines with forecasts and closing plans. History, not news: no domain events."""
    from kizuna.demo.handoffs import load_handoffs
    from kizuna.demo.pipeline import load_pipeline
    from kizuna.demo.potential import load_pocs, load_potential
    from kizuna.demo.renewals import load_renewals
    from kizuna.demo.targets import load_targets
    from kizuna.kit.clock import today

    s = settings()
    day = today(s.default_timezone)
    with database().sessions() as session, session.begin(), console.status("customer sales…"):
        handoffs = load_handoffs(session, seed)
        potential = load_potential(session, seed, today=day)
        pocs = load_pocs(session, seed, today=day)
        pipeline = load_pipeline(session, seed)
        targets = load_targets(session, seed, today=day)
        renewals = load_renewals(session, seed, today=day, reporting=s.default_currency)
    console.print(
        f"[green]✓[/] customer sales: {handoffs.handoffs} hand-offs, {potential.potentials}"
        f" potentials, {pocs.pocs} PoCs, {pipeline.leads} leads, {pipeline.opportunities}"
        f" opportunities ({pipeline.won} won), {targets.targets} targets,"
        f" {renewals.renewals} renewals, {renewals.plans} closing plans"
    )


def _months_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, 1)


def serve(
    host: str = typer.Option(None, help="Interface to listen on (default from settings)."),
    port: int = typer.Option(None, help="Port (default 8000)."),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
) -> None:
    """Serve the web app and the API."""
    import uvicorn

    s = settings()
    console.print(f"Kizuna is running at [bold]http://{host or s.host}:{port or s.port}[/]")
    uvicorn.run(
        "kizuna.cli.asgi:build",
        host=host or s.host,
        port=port or s.port,
        reload=reload,
        factory=True,
        log_level="info",
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _display_url() -> str:
    url = settings().database_url
    return url.split("@")[-1] if "@" in url else url
