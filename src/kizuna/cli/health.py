"""``kizuna health``: one command group made of the scorecard commands (score,
scorecards …) and the churn-model commands (backtest, train, predict)."""

from __future__ import annotations

import typer

from kizuna.cli import health_model, health_scores

health_app = typer.Typer(
    help="Health scores, scorecards and the churn-risk model.", no_args_is_help=True
)
for part in (health_scores.app, health_model.app):
    health_app.registered_commands.extend(part.registered_commands)
    health_app.registered_groups.extend(part.registered_groups)
