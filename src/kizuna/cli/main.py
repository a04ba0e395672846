"""``kizuna``: set up, load the demo, serve, and administer users and tokens."""

from __future__ import annotations

import typer

from kizuna.cli import admin, data, playbooks, revenue, schedules, setup, usage, worker
from kizuna.cli import coverage as coverage_cli
from kizuna.cli import handoffs as handoffs_cli
from kizuna.cli import journey as journey_cli
from kizuna.cli import leads as leads_cli
from kizuna.cli import opportunities as opportunities_cli
from kizuna.cli import pocs as pocs_cli
from kizuna.cli import potential as potential_cli
from kizuna.cli import renewals as renewals_cli
from kizuna.cli import sales as sales_cli
from kizuna.cli import segments as segments_cli
from kizuna.cli import targets as targets_cli
from kizuna.cli import tasks as tasks_cli
from kizuna.cli.health import health_app
from kizuna.cli.metrics import metrics_app

app = typer.Typer(
    name="kizuna",
    help="Kizuna (絆) — customer success operating system.\n\n"
    "Settings come from the environment (KIZUNA_DATABASE_URL, KIZUNA_SECRET_KEY, …); "
    "see docs/operations.md.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
setup.register(app)
data.register(app)
app.add_typer(admin.users_app, name="users")
app.add_typer(admin.tokens_app, name="tokens")
revenue.register(metrics_app)
usage.register(metrics_app)
app.add_typer(metrics_app, name="metrics")
app.add_typer(revenue.rates_app, name="rates")
app.add_typer(usage.events_app, name="events")
app.add_typer(health_app, name="health")
app.add_typer(journey_cli.app, name="journey")
worker.register(app)
schedules.register(app)
playbooks.register(app)
segments_cli.register(app)
coverage_cli.register(app)
tasks_cli.register(app)
handoffs_cli.register(app)
potential_cli.register(app)
pocs_cli.register(app)
renewals_cli.register(app)
targets_cli.register(app)
sales_cli.register(app)
leads_cli.register(app)
opportunities_cli.register(app)
